// seal sign: sign image manifests in the legacy `.sig` format or as Sigstore bundle referrers.
import path from 'node:path';
import { childDescriptors, openImage, type ResolvedImage } from '../cosign/image.ts';
import { signDsseBundle } from '../cosign/key-bundle.ts';
import { legacyKeylessLayer } from '../cosign/keyless-layer.ts';
import { appendLegacyLayer } from '../cosign/legacy.ts';
import { attachBundle } from '../cosign/referrer-bundles.ts';
import { buildSimpleSigningPayload } from '../cosign/simple-signing.ts';
import { buildSignStatement } from '../cosign/sign-statement.ts';
import type { Signer } from '../crypto/types.ts';
import { SealError } from '../errors.ts';
import { exists, writeFileAtomic } from '../fs/atomic.ts';
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
  /** false: sign without writing anything to the registry or layout (cosign's --upload=false). Default true. */
  upload?: boolean;
  /** Local copies of what was signed (two-step signing); absolute paths or relative to `cwd`. */
  outputs?: SignOutputs;
}

export interface SignOutputs {
  /** Legacy: the base64 signature, no newline (as cosign writes it). */
  signature?: string;
  /** Legacy: the exact simple-signing payload bytes that were signed. */
  payload?: string;
  /** Legacy, keyless: the Fulcio signing certificate (PEM). */
  certificate?: string;
  /** Bundle format: the Sigstore bundle that is (or, with upload false, would be) attached. */
  bundle?: string;
  /** Replace existing files; without it an existing file is refused before signing. */
  force?: boolean;
  cwd?: string;
}

export interface SignedManifest {
  image: string;
  digest: string;
  format: SignatureFormat;
  /** The `.sig` tag, or the referrer manifest digest; empty when not uploaded. */
  location: string;
  uploaded: boolean;
  /** Files written (--output-*, --bundle). */
  files?: string[];
}

const outputFlags = { signature: '--output-signature', payload: '--output-payload', certificate: '--output-certificate', bundle: '--bundle' } as const;

/**
 * Refuses output and upload combinations that cannot work, and existing output files (unless
 * forced), before any key is loaded or anything is signed.
 */
export async function checkSignOutputs(opts: Pick<SignImagesOptions, 'images' | 'recursive' | 'format' | 'upload' | 'outputs'>): Promise<void> {
  const out = opts.outputs ?? {};
  const given = (Object.keys(outputFlags) as (keyof typeof outputFlags)[]).filter((k) => out[k] !== undefined);
  const legacyOnly = given.filter((k) => k !== 'bundle');
  if (opts.format === 'bundle' && legacyOnly.length) {
    throw new SealError('usage', `${outputFlags[legacyOnly[0]!]} is for the legacy format; with --format bundle, --bundle FILE writes the bundle`);
  }
  if (opts.format === 'legacy' && out.bundle !== undefined) {
    throw new SealError('usage', '--bundle is for --format bundle; the legacy format writes --output-signature and --output-payload');
  }
  if (given.length && (opts.images.length > 1 || opts.recursive)) {
    throw new SealError('usage', `${given.map((k) => outputFlags[k]).join(', ')} write one signature: sign one image, without --recursive`);
  }
  const paths = given.map((k) => path.resolve(out.cwd ?? '.', out[k] as string));
  if (new Set(paths).size !== paths.length) throw new SealError('usage', 'two output flags name the same file');
  if (!out.force) {
    for (const [i, p] of paths.entries()) {
      if (await exists(p)) throw new SealError('input', `${out[given[i]!]} already exists`, { hint: 'pass --force to overwrite it', code: 'FILE_EXISTS' });
    }
  }
}

/** `signer` may be undefined only with `makeBundle` (format bundle) or `makeMessageBundle` (legacy). */
export async function signImages(opts: SignImagesOptions, signer: Signer | undefined, log: Log): Promise<SignedManifest[]> {
  const keyless = opts.format === 'bundle' ? opts.makeBundle : opts.makeMessageBundle;
  if (signer === undefined && keyless === undefined) {
    throw new SealError('usage', `no signing key, and no keyless signer for the ${opts.format} format`, { hint: 'sign with --key, or keylessly with an identity token' });
  }
  await checkSignOutputs(opts);
  if (opts.upload === false && opts.format === 'legacy' && opts.makeMessageBundle) {
    log.warn('--upload=false: the Rekor entry of this signature is not written to any file; for keyless two-step signing prefer --format bundle --bundle FILE');
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
    const files = await writeOutputs(opts.outputs, {
      signature: annotations[ANNOTATION.signature],
      payload,
      certificate: opts.outputs?.certificate === undefined ? undefined : certificateOf(annotations),
    }, log);
    const result = { image: input, digest: target.digest, format: 'legacy' as const, ...(files.length ? { files } : {}) };
    if (opts.upload === false) return { ...result, location: '', uploaded: false };
    log.info(`Pushing signature for ${target.digest} to ${store.name}`);
    const { tag } = await appendLegacyLayer(store, target.digest, 'sig', layer, payload, write);
    return { ...result, location: `${store.name}:${tag}`, uploaded: true };
  }
  const statement = buildSignStatement(target.digest, opts.annotations);
  const bundle = opts.makeBundle ? await opts.makeBundle(statement) : await signDsseBundle(signer!, statement, INTOTO_PAYLOAD_TYPE);
  const files = await writeOutputs(opts.outputs, { bundle }, log);
  const result = { image: input, digest: target.digest, format: 'bundle' as const, ...(files.length ? { files } : {}) };
  if (opts.upload === false) return { ...result, location: '', uploaded: false };
  log.info(`Pushing signature bundle for ${target.digest} to ${store.name} as a referrer`);
  const desc = await attachBundle(store, target, bundle, { predicateType: COSIGN_SIGN_PREDICATE, now: opts.now }, write);
  return { ...result, location: `${store.name}@${desc.digest}`, uploaded: true };
}

function certificateOf(annotations: Record<string, string>): string {
  const pem = annotations[ANNOTATION.certificate];
  if (!pem) throw new SealError('internal', 'this signature has no certificate to write (--output-certificate is for keyless signing)');
  return pem;
}

const outputNames = { signature: 'signature', payload: 'payload', certificate: 'certificate', bundle: 'bundle' } as const;

/** Writes the requested local copies, each atomically; returns the paths as given. */
async function writeOutputs(
  outputs: SignOutputs | undefined,
  content: { signature?: string; payload?: Uint8Array; certificate?: string; bundle?: Uint8Array },
  log: Log,
): Promise<string[]> {
  const written: string[] = [];
  for (const k of Object.keys(outputNames) as (keyof typeof outputNames)[]) {
    const file = outputs?.[k];
    const data = content[k];
    if (file === undefined || data === undefined) continue;
    await writeFileAtomic(path.resolve(outputs?.cwd ?? '.', file), data, { overwrite: outputs?.force === true });
    log.info(`Wrote ${outputNames[k]} to ${file}`);
    written.push(file);
  }
  return written;
}
