// Verifies a Sigstore bundle (v0.1-v0.3; message signature or DSSE) against an artifact given as
// bytes, a file or a sha256/sha384/sha512 digest (or, DSSE only, no artifact: claims unchecked),
// offline, with @sigstore/verify doing the cryptography and seal adding what the library leaves
// to its callers (docs/trusted-root.md, docs/design/sigstore-js.md §7):
// - the WHOLE bundle is verified whatever is given about the artifact: signature, certificate
//   chain and SCT, every log entry (body against the signed content, SET or inclusion proof and
//   checkpoint), timestamps; only the artifact match depends on the artifact;
// - the artifact digest must equal the bundle's messageDigest, and a digest-only artifact gets a
//   prehashed signature check (prehashed-signature.ts);
// - a DSSE statement must name the artifact among its subjects (statement-subject.ts);
// - where seal differs from @sigstore/verify 4.1.3 (checkpoint origins, several timestamps) it
//   follows sigstore-go; see acceptCheckpointOrigins and selectTimestamps below;
// - identities and issuers match ANCHORED (identity-policy.ts);
// - the trusted root is validated before use (trusted-root.ts);
// - every library exception, whatever its class, becomes one SealError line.
// Error kinds: 'usage' for a contradictory policy or artifact, 'input' for an unreadable bundle,
// key, artifact file or trusted root (not JSON, not a bundle, unknown version), 'verification'
// for everything the bundle fails to prove (including a bundle missing what its version requires).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import { PolicyError, VerificationError, Verifier, toSignedEntity, type SignedEntity, type TrustMaterial } from '@sigstore/verify';
// Not in the package's index; the package has no "exports" map, so the file is importable.
import { getTSATimestamp } from '@sigstore/verify/dist/timestamp/index.js';

import { SealError, flattenControls, messageOf } from '../errors.ts';
import { DIGEST_HEX_LENGTH, HASH_NAMES, digestBytes, digestFile, digestFileMulti, type DigestAlgorithm } from './artifact-digest.ts';
import { checkExtensions, type ExtensionCheck } from './cert-extensions.ts';
import { isKnownBundleMediaType, isSigstoreBundle } from './bundle-media-types.ts';
import { checkSignerIdentity, signerRequirement, type SignerRequirement, type VerifyPolicy } from './identity-policy.ts';
import { NO_TLOG_WARNING } from './key-bundle-verify.ts';
import { DigestSignatureContent, loadPrehashCurves } from './prehashed-signature.ts';
import { checkStatementSubject, subjectAlgorithms, type SubjectAlgorithm } from './statement-subject.ts';
import { loadTrustedRoot, trustMaterialFor } from './trusted-root.ts';

export type { VerifyPolicy } from './identity-policy.ts';
export { bundleMediaTypes, isSigstoreBundle } from './bundle-media-types.ts';

export interface BundleArtifact {
  bytes?: Uint8Array;
  /** Hashed as a stream; read whole only for Ed25519 keys, whose signatures cover the bytes. */
  path?: string;
  digest?: { algorithm: DigestAlgorithm; hex: string };
  /**
   * No artifact (cosign's --check-claims=false, or no file given): the bundle is still verified
   * whole, only the match with an artifact is skipped. DSSE only: a message signature is over
   * the artifact itself and cannot be checked without it.
   */
  unchecked?: true;
}

/** A timestamp the bundle carries, and whether it counted (--verbose lists them). */
export interface TimestampUse {
  source: 'rfc3161' | 'tlog';
  /** Position among the bundle's RFC 3161 timestamps or tlog entries. */
  index: number;
  /** ISO time, when it could be read. */
  time?: string;
  used: boolean;
  /** Why it was not used. */
  reason?: string;
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
  /** The bundle's timestamps (RFC 3161 and tlog integrated times), used or not. */
  timestamps: TimestampUse[];
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
  // A key-signed bundle with no log entry and no timestamp has nothing to check against the
  // trusted root: the Verifier gets empty trust material (it consults the root only for
  // certificates, log entries and timestamps, none of which is there) and the root is not loaded
  // (~4 ms of start-up: JSON, certificates, keys). A root named with --trusted-root is still read.
  const rootUnused =
    requirement.mode === 'key' &&
    policy.trustedRootPath === undefined &&
    bundle.verificationMaterial.tlogEntries.length === 0 &&
    (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0) === 0;
  const trusted = rootUnused ? undefined : await loadTrustedRoot(policy.trustedRootPath, { tufCacheDir: policy.tufCacheDir });
  warnings.push(...(trusted?.warnings ?? []));

  const signingKey = signingKeyFor(bundle, requirement);
  checkTlogEntryShapes(bundle);

  // Build the entity, replacing the library's message content with one bound to the artifact digest.
  let entity: SignedEntity = wrapLibrary(() => toSignedEntity(bundle), 'cannot read the bundle');
  let statementDigests: Partial<Record<SubjectAlgorithm, string>> | undefined;
  if (bundle.content.$case === 'messageSignature') {
    if (artifact.unchecked) {
      throw new SealError('usage', 'a message signature covers the artifact itself, so it cannot be verified without it', {
        hint: 'give the file or its digest',
      });
    }
    const { signature, messageDigest } = bundle.content.messageSignature;
    const hashName = HASH_NAMES[messageDigest?.algorithm ?? 1] ?? 'sha256';
    const { digest, bytes } = await artifactDigest(artifact, hashName, signingKey, options.signal);
    if (!messageDigest || !Buffer.from(messageDigest.digest).equals(digest)) {
      throw new SealError('verification', `the artifact's ${hashName} digest does not match the bundle's messageDigest`, {
        code: 'DIGEST_MISMATCH',
      });
    }
    if (!bytes) await loadPrehashCurves();
    entity = { ...entity, signature: new DigestSignatureContent(signature, digest, hashName, bytes) };
  } else if (!artifact.unchecked) {
    statementDigests = await statementArtifactDigests(artifact, bundle.content.dsseEnvelope.payload, options.signal);
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
  let thresholds: { tlogThreshold?: number; timestampThreshold?: number; ctlogThreshold?: number } = {};
  if (requirement.mode === 'key') {
    if (policy.ignoreTlog) {
      thresholds = { tlogThreshold: 0, timestampThreshold: 0 };
    } else if (!hasTlog && !hasTimestamps) {
      thresholds = { tlogThreshold: 0, timestampThreshold: 0 };
      warnings.push(NO_TLOG_WARNING);
    } else if (!hasTlog) {
      // A key needs no log entry (--require-tlog asks for one); the timestamps present must verify.
      thresholds = { tlogThreshold: 0 };
    }
  } else if (policy.ignoreTlog) {
    // A certificate is only valid for minutes; without the log, a TSA timestamp must say when it signed.
    thresholds = { tlogThreshold: 0 };
  }

  checkDuplicateTimestamps(bundle);
  const keyFinder = signingKey && requirement.mode === 'key' ? () => ({ publicKey: signingKey, validFor: () => true }) : undefined;
  const trust = trusted
    ? acceptCheckpointOrigins(trustMaterialFor(trusted.root, keyFinder), bundle)
    : { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: keyFinder ?? noKey };
  const selected = selectTimestamps(entity, trust, thresholds.timestampThreshold ?? 1);
  entity = selected.entity;
  if (policy.ignoreSct) thresholds = { ...thresholds, ctlogThreshold: 0 }; // --insecure-ignore-sct
  const verified = wrapLibrary(() => new Verifier(trust, thresholds).verify(entity), 'bundle verification failed');

  const tlog = hasTlog && !policy.ignoreTlog;
  const signer = {
    identity: verified.identity?.subjectAlternativeName ?? otherNameIdentity(bundle),
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

  const common = { signer: clean(signer), warnings, tlog, timestamps: selected.uses, ...(extensions && { extensions }) };
  if (bundle.content.$case === 'dsseEnvelope') {
    const env = bundle.content.dsseEnvelope;
    const payload = new Uint8Array(env.payload);
    if (statementDigests) checkStatementSubject(env.payloadType, payload, statementDigests);
    return { kind: 'dsseEnvelope', payload, payloadType: env.payloadType, ...common };
  }
  return { kind: 'messageSignature', ...common };
}

const noKey = (): never => {
  throw new SealError('verification', 'no public key to verify the bundle with');
};

/** One line per timestamp, for --verbose: which ones counted and why the others did not. */
export function describeTimestamps(uses: readonly TimestampUse[]): string[] {
  return uses.map((u) => {
    const what = u.source === 'rfc3161' ? `RFC 3161 timestamp ${u.index}` : `tlog entry ${u.index} integrated time`;
    return `${what}${u.time ? ` ${u.time}` : ''}: ${u.used ? 'used' : `not used (${u.reason ?? 'invalid'})`}`;
  });
}

/**
 * The artifact's digests for matching a statement's subjects: the given digest, or the file's
 * (bytes') digests in the algorithms the subjects use (sha256 when they use none seal knows).
 */
async function statementArtifactDigests(
  artifact: BundleArtifact,
  payload: Uint8Array,
  signal?: AbortSignal,
): Promise<Partial<Record<SubjectAlgorithm, string>>> {
  if (artifact.digest) return { [artifact.digest.algorithm]: artifact.digest.hex.toLowerCase() };
  const algs = subjectAlgorithms(payload);
  if (algs.length === 0) algs.push('sha256');
  const digests = artifact.bytes ? algs.map((a) => digestBytes(artifact.bytes as Uint8Array, a)) : await digestFileMulti(artifact.path as string, algs, signal);
  return Object.fromEntries(algs.map((a, i) => [a, digests[i]!.toString('hex')]));
}

/**
 * Each transparency log entry has what its proofs need. The library reads an inclusion proof's
 * checkpoint without looking (a v0.1 bundle may omit it) and would fail with a TypeError.
 */
function checkTlogEntryShapes(bundle: Bundle): void {
  bundle.verificationMaterial.tlogEntries.forEach((entry, i) => {
    if (entry.inclusionProof && !entry.inclusionProof.checkpoint?.envelope) {
      throw new SealError('verification', `transparency log entry ${i} has an inclusion proof without a checkpoint, so the proof cannot be verified`, {
        code: 'TLOG_INCLUSION_PROOF_ERROR',
      });
    }
  });
}

/**
 * @sigstore/verify 4.1.3 accepts a checkpoint signature only when the note's origin (the log
 * name, e.g. `rekor.sigstore.dev - 1193050959916656506`) appears in the trusted log's baseUrl.
 * A private or scaffolding deployment names its log otherwise (`rekor-00001-deployment…`), so
 * its valid checkpoints are refused. sigstore-go picks the log by key hint only and verifies the
 * signature with that log's key; seal does the same by adding the names the bundle's checkpoints
 * are signed under to the baseURL of the log whose key hint they carry. The signature is still
 * verified with that log's key; the name proves nothing a key could not.
 */
export function acceptCheckpointOrigins(trust: TrustMaterial, bundle: Bundle): TrustMaterial {
  const names = new Map<string, Set<string>>();
  for (const entry of bundle.verificationMaterial.tlogEntries) {
    const envelope = entry.inclusionProof?.checkpoint?.envelope;
    if (typeof envelope !== 'string') continue;
    for (const m of envelope.matchAll(/\u2014 (\S+) (\S+)\n/g)) {
      const sig = Buffer.from(m[2]!, 'base64');
      if (sig.length < 5) continue;
      const hint = sig.subarray(0, 4).toString('hex');
      const set = names.get(hint) ?? new Set<string>();
      set.add(m[1]!);
      names.set(hint, set);
    }
  }
  if (names.size === 0) return trust;
  return {
    ...trust,
    tlogs: trust.tlogs.map((t) => {
      const extra = names.get(t.logID.subarray(0, 4).toString('hex'));
      return extra ? { ...t, baseURL: [t.baseURL, ...extra].join('\n') } : t;
    }),
  };
}

/**
 * The same RFC 3161 timestamp twice counts once toward no threshold: refused outright, before
 * any is verified, as sigstore-python does (@sigstore/verify only notices duplicates among the
 * timestamps that verify).
 */
function checkDuplicateTimestamps(bundle: Bundle): void {
  const seen = new Set<string>();
  for (const t of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    const key = Buffer.from(t.signedTimestamp).toString('base64');
    if (seen.has(key)) {
      throw new SealError('verification', 'bundle verification failed: duplicate RFC 3161 timestamp (TIMESTAMP_ERROR)', { code: 'TIMESTAMP_ERROR' });
    }
    seen.add(key);
  }
}

/**
 * A Fulcio certificate whose SAN is an otherName (OID 1.3.6.1.4.1.57264.1.7, a username such as
 * `foo!oidc.local` from a private deployment): @sigstore/verify reads only URI and email SANs,
 * sigstore-go reads this one too.
 */
function otherNameIdentity(bundle: Bundle): string | undefined {
  const raw = leafCertificateBytes(bundle);
  if (!raw) return undefined;
  try {
    return X509Certificate.parse(Buffer.from(raw)).extSubjectAltName?.otherName(SIGSTORE_OTHERNAME_OID);
  } catch {
    return undefined;
  }
}

const SIGSTORE_OTHERNAME_OID = '1.3.6.1.4.1.57264.1.7';

/** sigstore-python's MAX_ALLOWED_TIMESTAMP. */
const MAX_TIMESTAMPS = 32;

/**
 * @sigstore/verify 4.1.3 refuses the whole bundle when any RFC 3161 timestamp fails. sigstore-go
 * and sigstore-python verify each one and count the valid ones (with the log's integrated times)
 * against a threshold; seal does the same: the timestamps that verify are handed on, the others
 * are reported (why, in `uses`) and ignored, and too few valid ones fail with the reasons.
 */
export function selectTimestamps(entity: SignedEntity, trust: TrustMaterial, threshold: number): { entity: SignedEntity; uses: TimestampUse[] } {
  const uses: TimestampUse[] = [];
  const kept: SignedEntity['timestamps'] = [];
  const rfc3161 = entity.timestamps.filter((t) => t.$case === 'timestamp-authority').length;
  // As sigstore-python: a bounded count, and timestamps with no authority to check them are an
  // error, not silently ignored.
  if (rfc3161 > MAX_TIMESTAMPS) {
    throw new SealError('verification', `bundle verification failed: too many RFC 3161 timestamps (${rfc3161} > ${MAX_TIMESTAMPS}) (TIMESTAMP_ERROR)`, {
      code: 'TIMESTAMP_ERROR',
    });
  }
  if (rfc3161 > 0 && trust.timestampAuthorities.length === 0) {
    throw new SealError(
      'verification',
      'bundle verification failed: the bundle has RFC 3161 timestamps but the trusted root has no timestamp authority to verify them (TIMESTAMP_ERROR)',
      {
        code: 'TIMESTAMP_ERROR',
      },
    );
  }
  let tsa = 0;
  let tlog = 0;
  for (const t of entity.timestamps) {
    if (t.$case === 'transparency-log') {
      const index = tlog++;
      const seconds = Number(t.tlogEntry.integratedTime);
      // Counted only with an inclusion promise, whose signature covers the integrated time.
      const used = t.tlogEntry.inclusionPromise !== undefined;
      uses.push({
        source: 'tlog',
        index,
        ...(Number.isFinite(seconds) && seconds > 0 && { time: new Date(seconds * 1000).toISOString() }),
        used,
        ...(!used && { reason: 'no inclusion promise signs the integrated time' }),
      });
      kept.push(t);
      continue;
    }
    const index = tsa++;
    let time: string | undefined;
    try {
      time = t.timestamp.signingTime.toISOString();
    } catch {
      time = undefined;
    }
    try {
      getTSATimestamp(t.timestamp, entity.signature.signature, trust.timestampAuthorities);
      uses.push({ source: 'rfc3161', index, ...(time && { time }), used: true });
      kept.push(t);
    } catch (err) {
      uses.push({ source: 'rfc3161', index, ...(time && { time }), used: false, reason: oneLine(messageOf(err)) });
    }
  }
  const usable = uses.filter((u) => u.used).length;
  const rejected = uses.filter((u) => u.source === 'rfc3161' && !u.used);
  if (usable < threshold && rejected.length > 0) {
    const why = rejected.map((u) => `timestamp ${u.index}: ${u.reason ?? 'invalid'}`).join('; ');
    throw new SealError('verification', `bundle verification failed: ${usable} valid timestamp(s), ${threshold} required (${why}) (TIMESTAMP_ERROR)`, {
      code: 'TIMESTAMP_ERROR',
    });
  }
  return { entity: rejected.length > 0 ? { ...entity, timestamps: kept } : entity, uses };
}

function checkArtifact(artifact: BundleArtifact): void {
  const given = [artifact.bytes, artifact.path, artifact.digest, artifact.unchecked].filter((x) => x !== undefined).length;
  if (given === 0) throw new SealError('usage', 'no artifact to verify the bundle against', { hint: 'give a file or a sha256 digest' });
  if (given > 1) throw new SealError('usage', 'give the artifact as bytes, a file or a digest, not several');
  if (artifact.digest) {
    const alg = artifact.digest.algorithm;
    const len = Object.hasOwn(DIGEST_HEX_LENGTH, alg) ? DIGEST_HEX_LENGTH[alg] : undefined;
    if (len === undefined) {
      throw new SealError('usage', `unsupported digest algorithm ${String(alg)}; use sha256, sha384 or sha512`);
    }
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(artifact.digest.hex)) {
      throw new SealError('usage', `the artifact digest must be ${len} hex characters (${alg})`);
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
    // protobuf-specs' fromJSON hands a number or an object to Buffer.from and lets its TypeError
    // out ("The first argument must be of type string…"): name the problem, not Node's internals.
    if (err instanceof TypeError) {
      throw new SealError('verification', 'invalid bundle: a field has the wrong JSON type (a number, object or null where text such as base64 belongs)', {
        cause: err,
        code: 'INVALID_BUNDLE',
      });
    }
    throw new SealError('verification', `invalid bundle: ${oneLine(messageOf(err))}${detail ? ` ${oneLine(detail)}` : ''}`, {
      cause: err,
      code: 'INVALID_BUNDLE',
    });
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
      key = req.publicKey ?? createPublicKey(req.publicKeyPem!);
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

const SMALL_FILE = 1024 * 1024;
function smallFile(file: string): boolean {
  try {
    return statSync(file).size <= SMALL_FILE;
  } catch {
    return false; // the read below reports it
  }
}

async function artifactDigest(
  artifact: BundleArtifact,
  hashName: string,
  key: KeyObject | undefined,
  signal?: AbortSignal,
): Promise<{ digest: Buffer; bytes?: Uint8Array }> {
  if (artifact.bytes) return { digest: digestBytes(artifact.bytes, hashName), bytes: artifact.bytes };
  if (artifact.path !== undefined) {
    // Ed25519 signs the bytes themselves. A small file is read whole too: node:crypto then checks
    // the signature over the bytes, and @noble/curves (~30 ms to load) is not needed.
    const wholeFile = key?.asymmetricKeyType === 'ed25519' || key?.asymmetricKeyType === 'ed448' || smallFile(artifact.path);
    if (!wholeFile) return { digest: await digestFile(artifact.path, hashName, signal) };
    let bytes: Buffer;
    try {
      // node:fs/promises loaded here only (~1.5 ms of start-up otherwise).
      const { readFile } = await import('node:fs/promises');
      bytes = await readFile(artifact.path, { signal });
    } catch (err) {
      throw new SealError('input', `cannot read artifact ${artifact.path}: ${messageOf(err)}`, { cause: err });
    }
    return { digest: digestBytes(bytes, hashName), bytes };
  }
  const given = artifact.digest as { algorithm: string; hex: string };
  if (hashName !== given.algorithm) {
    throw new SealError('verification', `the bundle signs a ${hashName} digest, but a ${given.algorithm} digest was given`, {
      hint: `pass the artifact file, or its ${hashName} digest`,
      code: 'DIGEST_MISMATCH',
    });
  }
  return { digest: Buffer.from(given.hex.toLowerCase(), 'hex') };
}

/** Runs a library call; anything it throws (VerificationError, PolicyError, TypeError, ...) is one line. */
function wrapLibrary<T>(fn: () => T, what: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SealError) throw err;
    const code = err instanceof VerificationError || err instanceof PolicyError ? err.code : undefined;
    // A library TypeError (a field the library read without looking) says nothing to a user:
    // the bundle is malformed; the original stays in `cause` for --verbose.
    const detail =
      code || !(err instanceof TypeError || err instanceof RangeError)
        ? oneLine(messageOf(err))
        : 'the bundle is malformed (a field is missing or has the wrong type)';
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

const kindName = (kind: BundleVerification['kind']): string => (kind === 'dsseEnvelope' ? 'DSSE envelope (attestation)' : 'message signature');

function clean(signer: { identity?: string; issuer?: string }): { identity?: string; issuer?: string } {
  const out: { identity?: string; issuer?: string } = {};
  if (signer.identity !== undefined) out.identity = signer.identity;
  if (signer.issuer !== undefined) out.issuer = signer.issuer;
  return out;
}
