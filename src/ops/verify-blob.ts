// verify-blob: checks a signature (--signature: a file or literal base64, base64 or raw DER) or a
// Sigstore bundle (--bundle, verified by src/sigstore/verify-bundle.ts) against a file, stdin, or
// a `sha256:`/`sha384:`/`sha512:HEX` digest. Failures say which of three things went wrong: the
// signature is malformed, the file does not match (digest differs from the bundle's), or it does
// not verify with this key.
import { createHash } from 'node:crypto';
import { fstatSync } from 'node:fs';
import path from 'node:path';
import { loadPublicKey } from '../crypto/keys.ts';
import { decodeBase64Strict } from '../crypto/pem.ts';
import { signatureShapeProblem } from '../crypto/signature-shape.ts';
import { verifyInput, type Input, type KeyVerifier } from '../crypto/signer.ts';
import { Collector, fileError, openInput, pumpFile, pumpStream } from '../fs/stream.ts';
import { SealError, jsonErrorDetail } from '../errors.ts';
import type { OnProgress } from '../progress.ts';
import type { ExtensionPolicy } from '../sigstore/cert-extensions.ts';
import { defaultTufCacheDir } from '../sigstore/tuf-cache-dir.ts';
import type { OpEnv } from './op-env.ts';

export interface VerifyBlobOptions {
  /** Absent for keyless bundles, which name the signer with the certificate* options instead. */
  key?: string;
  /** A signature file, or the base64 signature itself. */
  signature?: string;
  /** A Sigstore bundle file. */
  bundle?: string;
  /** A path (relative to env.cwd), `-` for stdin, or `sha256:`/`sha384:`/`sha512:<hex>`. */
  target: string;
  /** Keyless --bundle policy (src/sigstore/identity-policy.ts: anchored matching). */
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  /** Keyless --bundle: exact certificate extension values (GitHub workflow fields, OIDs). */
  certificateExtensions?: ExtensionPolicy;
  /** trusted_root.json for --bundle; default: the embedded production root. */
  trustedRoot?: string;
  insecureIgnoreTlog?: boolean;
  /**
   * Keyless with --signature (cosign's --certificate, goreleaser's default): the signing certificate
   * file; the signature and it are verified as a bundle, with the Rekor entry looked up online.
   */
  certificate?: string;
  certificateChain?: string;
  /** Rekor to look the entry up in (default https://rekor.sigstore.dev). */
  rekorUrl?: string;
  /** Keyless: accept a certificate without an embedded SCT (--insecure-ignore-sct). */
  insecureIgnoreSct?: boolean;
  /** --bundle: fail when the bundle has no transparency log entry. */
  requireTlog?: boolean;
}

export interface VerifyBlobResult {
  via: 'signature' | 'bundle';
  /** Warnings the bundle verifier raised (no tlog, embedded root, ...), already logged. */
  warnings: string[];
}

type Target = { kind: 'digest'; algorithm: 'sha256' | 'sha384' | 'sha512'; hex: string } | { kind: 'stdin' } | { kind: 'file'; path: string; shown: string };

const MAX_SIGNATURE_FILE = 1 << 20;
/** Up to this size a file is verified from its bytes (bundleArtifact). */
const SMALL_FILE = 1 << 20;
const MAX_BUNDLE_FILE = 64 << 20;
// What the bundle path buffers when it cannot stream stdin (non-SHA-256 bundle, Ed25519 key).
const MAX_STDIN_BYTES = 256 << 20;

/** What the steps below need from the OpEnv: the env's pieces, and the progress of the one input read. */
interface Deps {
  stdin: AsyncIterable<Uint8Array | string>;
  log: OpEnv['log'];
  signal: AbortSignal;
  /** Bytes of the file (or stdin) hashed so far, and the file's size. */
  onProgress?: OnProgress;
}

export async function verifyBlob(opts: VerifyBlobOptions, env: OpEnv): Promise<VerifyBlobResult> {
  if ((opts.signature === undefined) === (opts.bundle === undefined)) {
    throw new SealError('usage', 'give exactly one of --signature and --bundle');
  }
  const resolve = (p: string) => path.resolve(env.cwd, p);
  const target = parseTarget(opts.target, resolve);
  const onProgress = target.kind === 'digest' ? undefined : env.progress?.(`Verifying ${target.kind === 'stdin' ? 'stdin' : path.basename(target.shown)}`);
  const deps: Deps = {
    get stdin() {
      return env.stdin; // opened only when the target is stdin
    },
    log: env.log,
    signal: env.signal,
    ...(onProgress ? { onProgress } : {}),
  };
  if (target.kind === 'file') openInput(target.path, 'file', target.shown).close(); // exit 1 early for a missing file
  const keyless = [
    opts.certificateIdentity,
    opts.certificateIdentityRegexp,
    opts.certificateOidcIssuer,
    opts.certificateOidcIssuerRegexp,
    opts.certificateExtensions,
  ];
  if (opts.certificate !== undefined || opts.certificateChain !== undefined) {
    if (opts.certificate === undefined) throw new SealError('usage', '--certificate-chain goes with --certificate');
    if (opts.signature === undefined) throw new SealError('usage', '--certificate goes with --signature (a bundle carries its own certificate)');
    if (opts.key !== undefined) throw new SealError('usage', 'pass either --key or --certificate, not both');
  } else if (opts.signature !== undefined && (opts.key === undefined || keyless.some((v) => v !== undefined))) {
    throw new SealError('usage', '--signature needs --key; the --certificate-* flags work with --bundle only');
  }
  if (opts.signature !== undefined && opts.requireTlog) {
    throw new SealError('usage', '--require-tlog needs --bundle: a bare signature carries no transparency log entry');
  }
  const verifier = opts.key === undefined ? undefined : await loadPublicKey(opts.key, { env: env.vars, cwd: env.cwd });
  const policy = {
    certificateIdentity: opts.certificateIdentity,
    certificateIdentityRegexp: opts.certificateIdentityRegexp,
    certificateOidcIssuer: opts.certificateOidcIssuer,
    certificateOidcIssuerRegexp: opts.certificateOidcIssuerRegexp,
    extensions: opts.certificateExtensions,
    trustedRootPath: opts.trustedRoot === undefined ? undefined : resolve(opts.trustedRoot),
    tufCacheDir: defaultTufCacheDir(env.vars),
    ignoreTlog: opts.insecureIgnoreTlog,
    requireTlog: opts.requireTlog,
    ...(opts.insecureIgnoreSct ? { ignoreSct: true } : {}),
  };
  const result =
    opts.certificate !== undefined
      ? await viaCertificate(opts, target, policy, resolve, deps)
      : opts.signature !== undefined
        ? await viaSignature(opts.signature, target, verifier!, opts.key!, resolve, deps)
        : await viaBundle(opts.bundle!, target, verifier, policy, resolve, deps);
  deps.log.info('Verified OK');
  return result;
}

function parseTarget(t: string, resolve: (p: string) => string): Target {
  if (t === '-') return { kind: 'stdin' };
  const prefixed = /^(sha256|sha384|sha512):/.exec(t);
  if (prefixed) {
    const algorithm = prefixed[1] as 'sha256' | 'sha384' | 'sha512';
    const hex = t.slice(algorithm.length + 1);
    const len = { sha256: 64, sha384: 96, sha512: 128 }[algorithm];
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) {
      throw new SealError('usage', `${t} is not a ${algorithm} digest: want ${algorithm}: and ${len} hex characters`);
    }
    return { kind: 'digest', algorithm, hex: hex.toLowerCase() };
  }
  if (t === '') throw new SealError('usage', 'the file to verify is an empty string');
  return { kind: 'file', path: resolve(t), shown: t };
}

const describe = (t: Target) => (t.kind === 'file' ? t.shown : t.kind === 'stdin' ? 'stdin' : `${t.algorithm}:${t.hex}`);

async function viaSignature(
  ref: string,
  target: Target,
  verifier: KeyVerifier,
  keyRef: string,
  resolve: (p: string) => string,
  deps: Deps,
): Promise<VerifyBlobResult> {
  const { bytes: sig, source } = await readSignature(ref, resolve);
  const problem = signatureShapeProblem(verifier.algorithm, sig, verifier.rsaModulusBytes);
  if (problem) {
    throw new SealError('verification', `malformed signature (${source}): ${problem}`, { code: 'MALFORMED_SIGNATURE' });
  }
  let ok: boolean;
  if (target.kind === 'digest') {
    if (!verifier.verifyDigest) {
      throw new SealError('usage', 'an Ed25519 signature covers the whole file, so it cannot be checked against a digest', {
        hint: 'give the file instead of sha256:…',
      });
    }
    ok = await verifier.verifyDigest(Buffer.from(target.hex, 'hex'), target.algorithm, sig);
  } else {
    const input: Input = target.kind === 'stdin' ? { stream: deps.stdin, name: 'stdin' } : { path: target.path, name: target.shown };
    ok = await verifyInput(verifier, input, sig, deps.signal, deps.onProgress);
  }
  if (!ok) {
    throw new SealError(
      'verification',
      `the signature does not verify for ${describe(target)} with ${keyRef}: the content changed since it was signed, or another key signed it`,
      { code: 'SIGNATURE_MISMATCH' },
    );
  }
  return { via: 'signature', warnings: [] };
}

/** The signature bytes from a file (base64 text or raw DER) or from the argument itself (base64). */
async function readSignature(ref: string, resolve: (p: string) => string): Promise<{ bytes: Uint8Array; source: string }> {
  let content: Buffer;
  try {
    const handle = openInput(resolve(ref), 'signature file', ref);
    try {
      if (handle.size > MAX_SIGNATURE_FILE) {
        throw new SealError('input', `${ref} is ${handle.size} bytes, too large to be a signature`, { code: 'BAD_SIGNATURE_FILE' });
      }
      content = handle.readAll();
    } finally {
      handle.close();
    }
  } catch (err) {
    const notFound = (err as SealError).code === 'FILE_NOT_FOUND';
    if (notFound && /^[A-Za-z0-9+/]{16,}={0,2}$/.test(ref)) {
      const bytes = decodeBase64Strict(ref);
      if (bytes) return { bytes, source: 'the --signature value' };
    }
    throw err;
  }
  const text = content.toString('latin1');
  if (text.trim() === '') throw new SealError('input', `signature file ${ref} is empty`, { code: 'BAD_SIGNATURE_FILE' });
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const bytes = decodeBase64Strict(text.replace(/\s+/g, ''));
    if (!bytes) {
      throw new SealError('verification', `malformed signature (${ref}): it is not valid base64`, { code: 'MALFORMED_SIGNATURE' });
    }
    return { bytes, source: ref };
  }
  return { bytes: new Uint8Array(content), source: ref }; // raw DER (cosign sign-blob --b64=false)
}

/** --certificate + --signature: made into a bundle (Rekor entry looked up online) and verified as one. */
async function viaCertificate(
  opts: VerifyBlobOptions,
  target: Target,
  policy: Omit<import('../sigstore/verify-bundle.ts').VerifyPolicy, 'publicKeyPem' | 'publicKey'>,
  resolve: (p: string) => string,
  deps: Deps,
): Promise<VerifyBlobResult> {
  const { certSignatureBundle, lookUpRekorEntries } = await import('../sigstore/cert-signature-bundle.ts');
  const read = (ref: string, what: string): Buffer => {
    const handle = openInput(resolve(ref), what, ref);
    try {
      if (handle.size > MAX_SIGNATURE_FILE) throw new SealError('input', `${ref} is ${handle.size} bytes, too large for a ${what}`);
      return handle.readAll();
    } finally {
      handle.close();
    }
  };
  const certificate = read(opts.certificate!, 'certificate file');
  const chain = opts.certificateChain === undefined ? undefined : read(opts.certificateChain, 'certificate chain file');
  const { bytes: signature } = await readSignature(opts.signature!, resolve);
  let digestHex: string;
  if (target.kind === 'digest') {
    if (target.algorithm !== 'sha256') throw new SealError('usage', '--certificate with --signature verifies a sha256 digest');
    digestHex = target.hex;
  } else {
    const h = createHash('sha256');
    if (target.kind === 'file') await pumpFile(target.path, [h], deps.signal, target.shown, deps.onProgress);
    else await pumpStream(deps.stdin, [h], deps.signal, deps.onProgress);
    digestHex = h.digest('hex');
  }
  const input = { certificate, signature, digestHex, ...(chain ? { chain } : {}) };
  let entries: unknown[] = [];
  if (!policy.ignoreTlog) {
    const rekorUrl = opts.rekorUrl ?? 'https://rekor.sigstore.dev';
    entries = await lookUpRekorEntries(input, { rekorUrl, ...(deps.signal ? { signal: deps.signal } : {}) });
    if (entries.length === 0) {
      throw new SealError('verification', `Rekor at ${rekorUrl} has no entry for this signature and certificate`, {
        code: 'TLOG_MISSING',
        hint: 'a keyless signature is only valid with its log entry (or a TSA timestamp in a bundle)',
      });
    }
  }
  return viaBundle('--certificate and --signature', target, undefined, policy, resolve, deps, certSignatureBundle(input, entries));
}

async function viaBundle(
  ref: string,
  target: Target,
  verifier: KeyVerifier | undefined,
  policy: Omit<import('../sigstore/verify-bundle.ts').VerifyPolicy, 'publicKeyPem' | 'publicKey'>,
  resolve: (p: string) => string,
  deps: Deps,
  /** A bundle built here (--certificate), instead of the file `ref`. */
  preloaded?: unknown,
): Promise<VerifyBlobResult> {
  let text: Buffer = Buffer.alloc(0);
  if (preloaded === undefined)
    try {
      const handle = openInput(resolve(ref), 'bundle file', ref);
      try {
        if (handle.size > MAX_BUNDLE_FILE) throw new SealError('input', `${ref} is ${handle.size} bytes, too large for a bundle`);
        text = handle.readAll();
      } finally {
        handle.close();
      }
    } catch (err) {
      throw err instanceof SealError ? err : fileError(err, ref, 'bundle file');
    }
  let json: unknown = preloaded;
  if (preloaded === undefined)
    try {
      json = JSON.parse(text.toString('utf8'));
    } catch (err) {
      throw new SealError('input', `${ref} is not JSON, so not a Sigstore bundle: ${jsonErrorDetail(err)}`, { code: 'BAD_BUNDLE' });
    }
  const artifact = target.kind === 'digest' ? { digest: { algorithm: target.algorithm, hex: target.hex } } : await bundleArtifact(json, target, verifier, deps);
  // A key-signed message signature with no log entry and no timestamp: checked with node:crypto
  // alone when it verifies (key-bundle-verify.ts), without loading the Sigstore libraries.
  // Anything else, and every failure, goes to verify-bundle.ts, whose verdict and message stand.
  const keyOnly =
    verifier !== undefined &&
    preloaded === undefined &&
    !('path' in artifact) &&
    policy.trustedRootPath === undefined &&
    !policy.requireTlog &&
    [policy.certificateIdentity, policy.certificateIdentityRegexp, policy.certificateOidcIssuer, policy.certificateOidcIssuerRegexp, policy.extensions].every(
      (v) => v === undefined,
    );
  if (keyOnly) {
    const { verifyKeyOnlyMessageBundle } = await import('../sigstore/key-bundle-verify.ts');
    const fast = await verifyKeyOnlyMessageBundle(json, artifact, verifier.keyObject, { ignoreTlog: policy.ignoreTlog === true });
    if (fast) {
      for (const w of fast.warnings) deps.log.warn(w);
      return { via: 'bundle', warnings: fast.warnings };
    }
  }
  const [{ verifyBundle, describeTimestamps }, { EMBEDDED_ROOT_WARNING }] = await Promise.all([
    import('../sigstore/verify-bundle.ts'),
    import('../sigstore/trusted-root.ts'),
  ]);
  const result = await verifyBundle(json, artifact, { ...policy, ...(verifier ? { publicKey: verifier.keyObject } : {}) }, { signal: deps.signal });
  // With a key and no log entry or timestamp the trusted root is never consulted, so its
  // staleness is not worth a warning there.
  const material = (json as { verificationMaterial?: { tlogEntries?: unknown[]; timestampVerificationData?: { rfc3161Timestamps?: unknown[] } } })
    .verificationMaterial;
  const usesRoot = !verifier || (material?.tlogEntries?.length ?? 0) > 0 || (material?.timestampVerificationData?.rfc3161Timestamps?.length ?? 0) > 0;
  const warnings = (result.warnings ?? []).filter((w) => usesRoot || w !== EMBEDDED_ROOT_WARNING);
  for (const w of warnings) deps.log.warn(w);
  for (const line of describeTimestamps(result.timestamps)) deps.log.debug(line);
  return { via: 'bundle', warnings };
}

/**
 * What verifyBundle checks the bundle against. A small file (<= 1 MiB) goes as its bytes:
 * node:crypto then checks the signature over them, and @noble/curves, which a check from a digest
 * needs (~25 ms to load and run), is never loaded. A larger SHA-256 bundle (or a DSSE one, whose
 * subject is SHA-256) with an ECDSA/RSA key gets the digest, hashed here in one fast pass
 * (stream.ts); otherwise a file goes by path and stdin is held in memory.
 */
async function bundleArtifact(
  bundle: unknown,
  target: Exclude<Target, { kind: 'digest' }>,
  verifier: KeyVerifier | undefined,
  deps: Deps,
): Promise<{ path: string } | { bytes: Uint8Array } | { digest: { algorithm: 'sha256'; hex: string } }> {
  const alg = (bundle as { messageSignature?: { messageDigest?: { algorithm?: string } } })?.messageSignature?.messageDigest?.algorithm;
  if (target.kind === 'file') {
    const handle = openInput(target.path, 'file', target.shown);
    try {
      // A regular file only: a pipe (<(...), /dev/stdin) reports size 0 and is streamed below.
      if (handle.size <= SMALL_FILE && fstatSync(handle.fd).isFile()) return { bytes: handle.readAll() };
    } finally {
      handle.close();
    }
  }
  // Keyless: Fulcio keys are ECDSA, which verifies from the digest.
  if ((alg === undefined || alg === 'SHA2_256') && (verifier === undefined || verifier.hashAlgorithm)) {
    const h = createHash('sha256');
    if (target.kind === 'file') await pumpFile(target.path, [h], deps.signal, target.shown, deps.onProgress);
    else await pumpStream(deps.stdin, [h], deps.signal, deps.onProgress);
    return { digest: { algorithm: 'sha256', hex: h.digest('hex') } };
  }
  if (target.kind === 'file') return { path: target.path };
  const all = new Collector(MAX_STDIN_BYTES, 'stdin', {
    message: 'the limit for stdin when the bundle is not over SHA-256 or the key is Ed25519',
    hint: 'give the file instead of -',
  });
  await pumpStream(deps.stdin, [all], deps.signal, deps.onProgress);
  return { bytes: all.bytes() };
}
