// seal sign: sign image manifests in the legacy `.sig` format or as Sigstore bundle referrers.
import { childDescriptors, openImage, type ResolvedImage } from '../cosign/image.ts';
import { signDsseBundle } from '../cosign/key-bundle.ts';
import { legacyKeylessLayer } from '../cosign/keyless-layer.ts';
import { appendLegacyLayer } from '../cosign/legacy.ts';
import { attachBundle } from '../cosign/referrer-bundles.ts';
import { buildSimpleSigningPayload } from '../cosign/simple-signing.ts';
import { buildSignStatement } from '../cosign/sign-statement.ts';
import type { Signer } from '../crypto/types.ts';
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, INTOTO_PAYLOAD_TYPE, SIMPLESIGNING_MEDIA_TYPE } from '../oci/cosign-layout.ts';
import { sha256Digest } from '../oci/digest.ts';
import { repositoryName } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import { mapPool } from '../util/pool.ts';

export type SignatureFormat = 'legacy' | 'bundle';

export interface SignImagesOptions {
  images: string[];
  annotations: Record<string, string>;
  recursive: boolean;
  format: SignatureFormat;
  store: StoreOptions;
  /** Images processed at once (default 4). */
  concurrency?: number;
  now?: Date;
  /**
   * Makes the bundle for an in-toto statement (format bundle): keyless signing, or a key with
   * --tlog-upload. Default: a DSSE bundle signed with `signer`, not logged.
   */
  makeBundle?: (statement: Uint8Array) => Promise<Uint8Array>;
  /**
   * Legacy format, keyless or a key with --tlog-upload: makes a message-signature bundle (Fulcio
   * certificate or public-key hint, Rekor hashedrekord entry) over the simple-signing payload; its
   * material goes into the layer's annotations as cosign v2 writes them. Called before any push.
   */
  makeMessageBundle?: (payload: Uint8Array) => Promise<Uint8Array>;
}

export interface SignedManifest {
  image: string;
  digest: string;
  format: SignatureFormat;
  /** The `.sig` tag, or the referrer manifest digest. */
  location: string;
}

/** `signer` may be undefined only with `makeBundle` (format bundle) or `makeMessageBundle` (legacy). */
export async function signImages(opts: SignImagesOptions, signer: Signer | undefined, log: Log): Promise<SignedManifest[]> {
  const keyless = opts.format === 'bundle' ? opts.makeBundle : opts.makeMessageBundle;
  if (signer === undefined && keyless === undefined) {
    throw new SealError('usage', `no signing key, and no keyless signer for the ${opts.format} format`, { hint: 'sign with --key, or keylessly with an identity token' });
  }
  const perImage = await mapPool(opts.images, opts.concurrency ?? 4, async (input) => {
    const img = await openImage(input, opts.store, log);
    const targets: Descriptor[] = [img.descriptor];
    if (opts.recursive) targets.push(...childDescriptors(img.manifest));
    const out: SignedManifest[] = [];
    for (const target of targets) out.push(await signOne(img, target, input, opts, signer, log));
    return out;
  });
  return perImage.flat();
}

async function signOne(
  img: ResolvedImage,
  target: Descriptor,
  input: string,
  opts: SignImagesOptions,
  signer: Signer | undefined,
  log: Log,
): Promise<SignedManifest> {
  const store = img.attachStore;
  const write = { log, signal: opts.store.signal };
  if (opts.format === 'legacy') {
    const payload = buildSimpleSigningPayload(repositoryName(img.ref), target.digest, opts.annotations);
    const annotations = opts.makeMessageBundle
      ? legacyKeylessLayer(await opts.makeMessageBundle(payload)).annotations
      : { [ANNOTATION.signature]: Buffer.from(await signer!.sign(payload)).toString('base64') };
    const layer: Descriptor = {
      mediaType: SIMPLESIGNING_MEDIA_TYPE,
      size: payload.length,
      digest: sha256Digest(payload),
      annotations,
    };
    log.info(`Pushing signature for ${target.digest} to ${store.name}`);
    const { tag } = await appendLegacyLayer(store, target.digest, 'sig', layer, payload, write);
    return { image: input, digest: target.digest, format: 'legacy', location: `${store.name}:${tag}` };
  }
  const statement = buildSignStatement(target.digest, opts.annotations);
  const bundle = opts.makeBundle ? await opts.makeBundle(statement) : await signDsseBundle(signer!, statement, INTOTO_PAYLOAD_TYPE);
  log.info(`Pushing signature bundle for ${target.digest} to ${store.name} as a referrer`);
  const desc = await attachBundle(store, target, bundle, { predicateType: COSIGN_SIGN_PREDICATE, now: opts.now }, write);
  return { image: input, digest: target.digest, format: 'bundle', location: `${store.name}@${desc.digest}` };
}
