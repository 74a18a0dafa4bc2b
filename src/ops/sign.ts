// seal sign: sign image manifests in the legacy `.sig` format or as Sigstore bundle referrers.
import path from 'node:path';
import { childDescriptors, openImage, type ResolvedImage } from '../cosign/image.ts';
import { appendLegacyLayer } from '../cosign/legacy.ts';
import { untilWritten } from '../oci/safe-update.ts';
import { attachBundle } from '../cosign/referrer-bundles.ts';
import { buildSimpleSigningPayload } from '../cosign/simple-signing.ts';
import { buildSignStatement } from '../cosign/sign-statement.ts';
import { SealError } from '../errors.ts';
import { exists, writeFileAtomic } from '../fs/atomic.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, SIMPLESIGNING_MEDIA_TYPE } from '../cosign/layout.ts';
import { IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import { sha256Digest } from '../oci/digest.ts';
import { repositoryName } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import { concurrencyLimit, mapPoolAhead } from '../util/pool.ts';
import type { OpEnv } from './op-env.ts';
import { openSigner } from './signing/open.ts';
import type { ArtifactSigner, SigningOptions } from './signing/types.ts';

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
  signing: SigningOptions;
  /** false: sign without writing anything to the registry or layout (cosign's --upload=false). Default true. */
  upload?: boolean;
  /** Legacy: the docker-reference to sign instead of the image's repository (cosign's --sign-container-identity). */
  identity?: string;
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

export async function signImages(options: SignImagesOptions, env: OpEnv): Promise<SignedManifest[]> {
  const { log } = env;
  const given = options.outputs ?? {};
  if (options.upload === false && [given.signature, given.payload, given.certificate, given.bundle].every((o) => o === undefined)) {
    log.warn('--upload=false and no output file: the signature is made and not kept anywhere (add --output-signature FILE or --bundle FILE)');
  }
  // As cosign: with a key, --output-certificate gets the public key (written after signing).
  const keyCertificate = options.signing.key !== undefined ? given.certificate : undefined;
  const opts: SignImagesOptions = { ...options };
  if (keyCertificate !== undefined) {
    const { certificate: _public, ...rest } = given;
    opts.outputs = rest;
  }
  // Refused before a password prompt or a keyless token exchange.
  const concurrency = concurrencyLimit(opts.concurrency);
  await checkSignOutputs(opts);
  const signer = await openSigner(opts.signing, env, { command: 'sign', legacyFormat: opts.format === 'legacy' });
  try {
    await signer.prepare();
    if (opts.upload === false && opts.format === 'legacy' && signer.logged) {
      log.warn(
        '--upload=false: the Rekor entry of this signature is not written to any file; for keyless two-step signing prefer --format bundle --bundle FILE',
      );
    }
    // An image holds its slot until its signature is written; the settle-and-confirm after the
    // write (safe-update.ts) is a wait, so it runs outside the limit and the settles of many
    // images overlap. Every image's settle is awaited before the command reports success.
    const settles: Promise<unknown>[] = [];
    // Each image's tag is resolved up to `concurrency` images ahead (mapPoolAhead): when a slot
    // frees, the next image's first round trip is behind it.
    const perImage = await mapPoolAhead(
      opts.images,
      concurrency,
      (input) => openImage(input, opts.store, log),
      async (img, input) => {
        const targets: Descriptor[] = [img.descriptor];
        if (opts.recursive) targets.push(...childDescriptors(img.manifest));
        const out: SignedManifest[] = [];
        for (const target of targets) {
          const signed = await signOne(img, target, input, opts, signer, log);
          out.push(signed.result);
          if (signed.settled) settles.push(signed.settled);
        }
        return out;
      },
    ).finally(() => Promise.allSettled(settles));
    // Every settle has ended by now (finally above); the first failure, if any, is the run's.
    const failed = (await Promise.allSettled(settles)).find((o) => o.status === 'rejected');
    if (failed) throw failed.reason;
    if (keyCertificate !== undefined) {
      const publicKey = await signer.publicKey();
      await writeFileAtomic(path.resolve(given.cwd ?? env.cwd, keyCertificate), publicKey!.pem, { overwrite: true, mode: 0o644 });
      log.info(`Wrote the public key to ${keyCertificate} (a key signature has no certificate)`);
    }
    return perImage.flat();
  } finally {
    await signer.close();
  }
}

async function signOne(
  img: ResolvedImage,
  target: Descriptor,
  input: string,
  opts: SignImagesOptions,
  signer: ArtifactSigner,
  log: Log,
): Promise<{ result: SignedManifest; settled?: Promise<unknown> }> {
  const store = img.attachStore;
  const write = { log, signal: opts.store.signal };
  if (opts.format === 'legacy') {
    const payload = buildSimpleSigningPayload(opts.identity ?? repositoryName(img.ref), target.digest, opts.annotations);
    const { annotations } = await signer.legacySignature(payload);
    const layer: Descriptor = {
      mediaType: SIMPLESIGNING_MEDIA_TYPE,
      size: payload.length,
      digest: sha256Digest(payload),
      annotations,
    };
    const files = await writeOutputs(
      opts.outputs,
      {
        signature: annotations[ANNOTATION.signature],
        payload,
        certificate: opts.outputs?.certificate === undefined ? undefined : certificateOf(annotations),
      },
      log,
    );
    const result = { image: input, digest: target.digest, format: 'legacy' as const, ...(files.length ? { files } : {}) };
    if (opts.upload === false) return { result: { ...result, location: '', uploaded: false } };
    log.info(`Pushing signature for ${target.digest} to ${store.name}`);
    const { settled, written } = await untilWritten((onWritten: (tag: string) => void) =>
      appendLegacyLayer(store, target.digest, 'sig', layer, payload, { ...write, onWritten }),
    );
    const tag = written ?? (await settled).tag;
    return { result: { ...result, location: `${store.name}:${tag}`, uploaded: true }, settled };
  }
  const statement = buildSignStatement(target.digest, opts.annotations);
  const bundle = await signer.dsseBundle(statement, IN_TOTO_PAYLOAD_TYPE);
  const files = await writeOutputs(opts.outputs, { bundle }, log);
  const result = { image: input, digest: target.digest, format: 'bundle' as const, ...(files.length ? { files } : {}) };
  if (opts.upload === false) return { result: { ...result, location: '', uploaded: false } };
  log.info(`Pushing signature bundle for ${target.digest} to ${store.name} as a referrer`);
  const info = { predicateType: COSIGN_SIGN_PREDICATE, now: opts.now };
  const { settled, written } = await untilWritten((onWritten: (digest: string) => void) => attachBundle(store, target, bundle, info, { ...write, onWritten }));
  const digest = written ?? (await settled).digest;
  return { result: { ...result, location: `${store.name}@${digest}`, uploaded: true }, settled };
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
