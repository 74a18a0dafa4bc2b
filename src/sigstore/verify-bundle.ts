// Verifies a Sigstore bundle (v0.1-v0.3; message signature or DSSE) against an artifact given as
// bytes, a file or a sha256 digest, offline, with @sigstore/verify doing the cryptography and
// seal adding what the library leaves to its callers (docs/trusted-root.md, docs/design/sigstore-js.md §7):
// - the artifact digest must equal the bundle's messageDigest, and a digest-only artifact gets a
//   prehashed signature check (prehashed-signature.ts);
// - a DSSE statement must name the artifact among its subjects (statement-subject.ts);
// - identities and issuers match ANCHORED (identity-policy.ts);
// - the trusted root is validated before use (trusted-root.ts);
// - every library exception, whatever its class, becomes one SealError line.
// Error kinds: 'usage' for a contradictory policy or artifact, 'input' for an unreadable bundle,
// key, artifact file or trusted root (not JSON, not a bundle, unknown version), 'verification'
// for everything the bundle fails to prove (including a bundle missing what its version requires).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { PolicyError, VerificationError, Verifier, toSignedEntity, type SignedEntity } from '@sigstore/verify';

import { SealError, flattenControls, messageOf } from '../errors.ts';
import { HASH_NAMES, digestBytes, digestFile } from './artifact-digest.ts';
import { checkExtensions, type ExtensionCheck } from './cert-extensions.ts';
import { isKnownBundleMediaType, isSigstoreBundle } from './bundle-media-types.ts';
import { checkSignerIdentity, signerRequirement, type SignerRequirement, type VerifyPolicy } from './identity-policy.ts';
import { DigestSignatureContent } from './prehashed-signature.ts';
import { checkStatementSubject } from './statement-subject.ts';
import { loadTrustedRoot, trustMaterialFor } from './trusted-root.ts';

export type { VerifyPolicy } from './identity-policy.ts';
export { bundleMediaTypes, isSigstoreBundle } from './bundle-media-types.ts';

export interface BundleArtifact {
  bytes?: Uint8Array;
  /** Hashed as a stream; read whole only for Ed25519 keys, whose signatures cover the bytes. */
  path?: string;
  digest?: { algorithm: 'sha256'; hex: string };
}

export interface BundleVerification {
  kind: 'messageSignature' | 'dsseEnvelope';
  /** DSSE only: the exact payload bytes the signature covers. */
  payload?: Uint8Array;
  payloadType?: string;
  /** From the certificate; empty for a key-signed bundle. */
  signer: { identity?: string; issuer?: string };
  /** Things a caller should print on stderr: an embedded (snapshot) root, no tlog/timestamp proof. */
  warnings: string[];
  /** A transparency log entry (inclusion promise or proof, and body) was verified. */
  tlog: boolean;
  /** Keyless: the certificate extension checks the policy asked for, as made (all passed). */
  extensions?: ExtensionCheck[];
}

export interface VerifyBundleOptions {
  signal?: AbortSignal;
}

/**
 * Verifies `bundle` (parsed JSON, JSON text or JSON bytes) for `artifact` under `policy`.
 * Resolves with what was verified; rejects with a SealError ('usage' | 'input' | 'verification').
 */
export async function verifyBundle(
  bundle: unknown,
  artifact: BundleArtifact,
  policy: VerifyPolicy,
  options: VerifyBundleOptions = {},
): Promise<BundleVerification> {
  return verify(bundle, artifact, policy, options);
}

/**
 * Verifies a DSSE bundle (an attestation) whose in-toto statement must name `digestHex` (sha256,
 * with or without the `sha256:` prefix) as a subject, e.g. an image manifest digest.
 */
export async function verifyDsseBundleForDigest(
  bundle: unknown,
  digestHex: string,
  policy: VerifyPolicy,
  options: VerifyBundleOptions = {},
): Promise<BundleVerification & { kind: 'dsseEnvelope'; payload: Uint8Array; payloadType: string }> {
  const hex = digestHex.startsWith('sha256:') ? digestHex.slice('sha256:'.length) : digestHex;
  const result = await verify(bundle, { digest: { algorithm: 'sha256', hex } }, policy, options, 'dsseEnvelope');
  return result as BundleVerification & { kind: 'dsseEnvelope'; payload: Uint8Array; payloadType: string };
}

async function verify(
  input: unknown,
  artifact: BundleArtifact,
  policy: VerifyPolicy,
  options: VerifyBundleOptions,
  expectKind?: BundleVerification['kind'],
): Promise<BundleVerification> {
  const requirement = signerRequirement(policy);
  checkArtifact(artifact);
  const bundle = parseBundle(input);
  const kind = bundle.content.$case;
  if (expectKind && kind !== expectKind) {
    throw new SealError('verification', `the bundle holds a ${kindName(kind)}, not a ${kindName(expectKind)}`);
  }
  const warnings: string[] = [];
  const trusted = await loadTrustedRoot(policy.trustedRootPath, { tufCacheDir: policy.tufCacheDir });
  warnings.push(...trusted.warnings);

  const signingKey = signingKeyFor(bundle, requirement);

  // Build the entity, replacing the library's message content with one bound to the artifact digest.
  let entity: SignedEntity = wrapLibrary(() => toSignedEntity(bundle), 'cannot read the bundle');
  let statementDigest: Buffer | undefined;
  if (bundle.content.$case === 'messageSignature') {
    const { signature, messageDigest } = bundle.content.messageSignature;
    const hashName = HASH_NAMES[messageDigest?.algorithm ?? 1] ?? 'sha256';
    const { digest, bytes } = await artifactDigest(artifact, hashName, signingKey, options.signal);
    if (!messageDigest || !Buffer.from(messageDigest.digest).equals(digest)) {
      throw new SealError('verification', `the artifact's ${hashName} digest does not match the bundle's messageDigest`, {
        code: 'DIGEST_MISMATCH',
      });
    }
    entity = { ...entity, signature: new DigestSignatureContent(signature, digest, hashName, bytes) };
  } else {
    statementDigest = (await artifactDigest(artifact, 'sha256', undefined, options.signal)).digest;
  }

  const hasTimestamps = (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0) > 0;
  const hasTlog = bundle.verificationMaterial.tlogEntries.length > 0;
  if (policy.requireTlog && policy.ignoreTlog) {
    throw new SealError('usage', '--require-tlog and --insecure-ignore-tlog contradict each other');
  }
  if (policy.requireTlog && !hasTlog) {
    throw new SealError('verification', 'the bundle has no transparency log entry (--require-tlog)', { code: 'TLOG_MISSING' });
  }
  if (policy.ignoreTlog) {
    // Entries are dropped, not merely not counted: their integrated times are unproven without them.
    entity = { ...entity, tlogEntries: [], timestamps: entity.timestamps.filter((t) => t.$case === 'timestamp-authority') };
  }
  let thresholds: { tlogThreshold?: number; timestampThreshold?: number } = {};
  if (requirement.mode === 'key') {
    if (policy.ignoreTlog) {
      thresholds = { tlogThreshold: 0, timestampThreshold: 0 };
    } else if (!hasTlog && !hasTimestamps) {
      thresholds = { tlogThreshold: 0, timestampThreshold: 0 };
      warnings.push('the bundle has no transparency log entry and no timestamp: the key signed it, but when is unproven');
    }
  } else if (policy.ignoreTlog) {
    // A certificate is only valid for minutes; without the log, a TSA timestamp must say when it signed.
    thresholds = { tlogThreshold: 0 };
  }

  const keyFinder = signingKey && requirement.mode === 'key' ? () => ({ publicKey: signingKey, validFor: () => true }) : undefined;
  const trust = trustMaterialFor(trusted.root, keyFinder);
  const verified = wrapLibrary(() => new Verifier(trust, thresholds).verify(entity), 'bundle verification failed');

  const tlog = hasTlog && !policy.ignoreTlog;
  const signer = {
    identity: verified.identity?.subjectAlternativeName,
    issuer: verified.identity?.extensions?.issuer,
  };
  let extensions: ExtensionCheck[] | undefined;
  if (requirement.mode === 'identity') {
    checkSignerIdentity(requirement, signer);
    if (requirement.extensions.length > 0) {
      // The leaf the Verifier just checked (signingKeyFor made sure it parses).
      const leaf = X509Certificate.parse(Buffer.from(leafCertificateBytes(bundle) as Uint8Array));
      extensions = checkExtensions(requirement.extensions, (oid) => leaf.extension(oid)?.value);
    }
  }

  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const payload = new Uint8Array(env.payload);
    checkStatementSubject(env.payloadType, payload, (statementDigest as Buffer).toString('hex'));
    return { kind: 'dsseEnvelope', payload, payloadType: env.payloadType, signer: clean(signer), warnings, tlog, ...(extensions && { extensions }) };
  }
  return { kind: 'messageSignature', signer: clean(signer), warnings, tlog, ...(extensions && { extensions }) };
}

function checkArtifact(artifact: BundleArtifact): void {
  const given = [artifact.bytes, artifact.path, artifact.digest].filter((x) => x !== undefined).length;
  if (given === 0) throw new SealError('usage', 'no artifact to verify the bundle against', { hint: 'give a file or a sha256 digest' });
  if (given > 1) throw new SealError('usage', 'give the artifact as bytes, a file or a digest, not several');
  if (artifact.digest) {
    if (artifact.digest.algorithm !== 'sha256') {
      throw new SealError('usage', `unsupported digest algorithm ${String(artifact.digest.algorithm)}; only sha256 is supported`);
    }
    if (!/^[0-9a-fA-F]{64}$/.test(artifact.digest.hex)) {
      throw new SealError('usage', 'the artifact digest must be 64 hex characters (sha256)');
    }
  }
}

/** JSON text, JSON bytes or a parsed object to a validated Bundle. */
function parseBundle(input: unknown): Bundle {
  let json: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SealError('input', `the bundle is not valid JSON: ${oneLine(messageOf(err))}`, { cause: err });
    }
  }
  if (!isSigstoreBundle(json)) {
    throw new SealError('input', 'not a Sigstore bundle (expected a bundle mediaType, verificationMaterial and one signature)');
  }
  const mediaType = (json as { mediaType: string }).mediaType;
  if (!isKnownBundleMediaType(mediaType)) {
    throw new SealError('input', `unsupported bundle media type ${mediaType}`, {
      hint: 'seal reads bundle versions 0.1, 0.2 and 0.3',
    });
  }
  try {
    return bundleFromJSON(json);
  } catch (err) {
    const fields = (err as { fields?: unknown }).fields;
    const detail = Array.isArray(fields) && fields.length > 0 ? ` (${fields.join(', ')})` : '';
    throw new SealError('verification', `invalid bundle: ${oneLine(messageOf(err))}${detail ? ` ${oneLine(detail)}` : ''}`, { cause: err, code: 'INVALID_BUNDLE' });
  }
}

/**
 * The key that must verify the signature, known before verification: the policy key, or the
 * leaf certificate's key (only its type matters here, for choosing how to hash the artifact).
 * Also rejects a bundle whose kind of key contradicts the policy.
 */
function signingKeyFor(bundle: Bundle, req: SignerRequirement): KeyObject | undefined {
  const material = bundle.verificationMaterial.content;
  if (req.mode === 'key') {
    let key: KeyObject;
    try {
      key = createPublicKey(req.publicKeyPem);
    } catch (err) {
      throw new SealError('input', `cannot parse the public key: ${messageOf(err)}`, { cause: err });
    }
    if (material.$case !== 'publicKey') {
      throw new SealError('verification', 'the bundle is signed with a certificate (keyless), but a public key was given', {
        hint: 'verify it with --certificate-identity and --certificate-oidc-issuer',
        code: 'NO_MATCHING_KEY',
      });
    }
    return key;
  }
  if (material.$case === 'publicKey') {
    throw new SealError('verification', 'the bundle is signed with a public key, not a certificate, so it has no identity to check', {
      hint: 'verify it with --key',
      code: 'NO_CERTIFICATE',
    });
  }
  const raw = leafCertificateBytes(bundle);
  if (!raw) throw new SealError('verification', 'the bundle has an empty certificate chain', { code: 'NO_CERTIFICATE' });
  try {
    return createPublicKey({ key: X509Certificate.parse(Buffer.from(raw)).publicKey, format: 'der', type: 'spki' });
  } catch (err) {
    throw new SealError('verification', `cannot parse the bundle's signing certificate: ${messageOf(err)}`, { cause: err });
  }
}

function leafCertificateBytes(bundle: Bundle): Uint8Array | undefined {
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'certificate') return material.certificate.rawBytes;
  if (material.$case === 'x509CertificateChain') return material.x509CertificateChain.certificates[0]?.rawBytes;
  return undefined;
}

async function artifactDigest(
  artifact: BundleArtifact,
  hashName: string,
  key: KeyObject | undefined,
  signal?: AbortSignal,
): Promise<{ digest: Buffer; bytes?: Uint8Array }> {
  if (artifact.bytes) return { digest: digestBytes(artifact.bytes, hashName), bytes: artifact.bytes };
  if (artifact.path !== undefined) {
    const wholeFile = key?.asymmetricKeyType === 'ed25519' || key?.asymmetricKeyType === 'ed448';
    if (!wholeFile) return { digest: await digestFile(artifact.path, hashName, signal) };
    let bytes: Buffer;
    try {
      bytes = await readFile(artifact.path, { signal });
    } catch (err) {
      throw new SealError('input', `cannot read artifact ${artifact.path}: ${messageOf(err)}`, { cause: err });
    }
    return { digest: digestBytes(bytes, hashName), bytes };
  }
  const hex = (artifact.digest as { hex: string }).hex.toLowerCase();
  if (hashName !== 'sha256') {
    throw new SealError('verification', `the bundle signs a ${hashName} digest, but a sha256 digest was given`, {
      hint: 'pass the artifact file instead',
      code: 'DIGEST_MISMATCH',
    });
  }
  return { digest: Buffer.from(hex, 'hex') };
}

/** Runs a library call; anything it throws (VerificationError, PolicyError, TypeError, ...) is one line. */
function wrapLibrary<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SealError) throw err;
    const code = err instanceof VerificationError || err instanceof PolicyError ? err.code : undefined;
    const detail = oneLine(messageOf(err));
    throw new SealError('verification', `${what}: ${detail}${code ? ` (${code})` : ''}`, { cause: err, code: code ?? 'VERIFICATION' });
  }
}

/**
 * A library message as one readable line: white space folded, control characters dropped, and
 * `[object Object]` (a field of the wrong type, stringified by the library) said in words.
 */
const oneLine = (s: string): string =>
  flattenControls(s)
    .replace(/\s+/g, ' ')
    .replace(/\[object Object\]/g, '(an object where a value was expected)')
    .trim()
    .slice(0, 300);

const kindName = (kind: BundleVerification['kind']): string =>
  kind === 'dsseEnvelope' ? 'DSSE envelope (attestation)' : 'message signature';

function clean(signer: { identity?: string; issuer?: string }): { identity?: string; issuer?: string } {
  const out: { identity?: string; issuer?: string } = {};
  if (signer.identity !== undefined) out.identity = signer.identity;
  if (signer.issuer !== undefined) out.issuer = signer.issuer;
  return out;
}
