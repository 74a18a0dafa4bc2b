// The commonest bundle `verify-blob --key --bundle` sees, checked with node:crypto alone: a
// message signature made with a key, with no transparency log entry and no timestamp (what
// `sign-blob --key --bundle` writes without Rekor). Loading @sigstore/verify, @sigstore/bundle,
// @sigstore/core and protobuf-specs for it costs more than the rest of the command
// (docs/design/startup.md). For such a bundle the whole of what verify-bundle.ts checks is: the
// bundle's shape (version, one message signature, a public-key hint, no certificate), the
// artifact's digest against messageDigest, and the signature with the key; there is nothing to
// check against a trusted root. This path only ever says yes: anything else (another kind of
// bundle, a malformed one, a mismatch, a failed signature) returns undefined, and the caller runs
// verify-bundle.ts, whose verdict and error message stand. Proven against it, case by case, by
// test/unit/sigstore/key-bundle-root-unused.test.ts.
import { createHash, type KeyObject } from 'node:crypto';

import { DIGEST_HEX_LENGTH } from './artifact-digest.ts';
import { isKnownBundleMediaType } from './bundle-media-types.ts';
import { DigestSignatureContent, loadPrehashCurves } from './prehashed-signature.ts';

/** What a key-signed bundle with no log entry and no timestamp earns (verify-bundle.ts too). */
export const NO_TLOG_WARNING = 'the bundle has no transparency log entry and no timestamp: the key signed it, but when is unproven';

/** messageDigest.algorithm as protobuf-specs spells it in JSON -> Node's hash name. */
const HASHES: Readonly<Record<string, 'sha256' | 'sha384' | 'sha512'>> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

export interface KeyOnlyVerification {
  kind: 'messageSignature';
  signer: Record<string, never>;
  warnings: string[];
  tlog: false;
  timestamps: [];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** protobuf-specs' isSet: present and not null. */
const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * Verifies `json` (a parsed bundle) for the artifact, signed by `key`, when it is a key-signed
 * message signature with no log entry and no timestamp. Undefined in every other case, including
 * every failure: the caller then verifies with verify-bundle.ts. `ignoreTlog` only decides the
 * warning, as there (--insecure-ignore-tlog silences it).
 */
export async function verifyKeyOnlyMessageBundle(
  json: unknown,
  artifact: { bytes: Uint8Array } | { digest: { algorithm: string; hex: string } },
  key: KeyObject,
  opts: { ignoreTlog?: boolean } = {},
): Promise<KeyOnlyVerification | undefined> {
  try {
    if (!isObject(json) || !isKnownBundleMediaType(json.mediaType) || isSet(json.dsseEnvelope)) return undefined;
    const material = json.verificationMaterial;
    if (!isObject(material) || !isObject(material.publicKey) || isSet(material.x509CertificateChain) || isSet(material.certificate)) return undefined;
    const hint = material.publicKey.hint;
    if (isSet(hint) && typeof hint !== 'string') return undefined;
    if (isSet(material.tlogEntries) && !(Array.isArray(material.tlogEntries) && material.tlogEntries.length === 0)) return undefined;
    const tsData = material.timestampVerificationData;
    if (isSet(tsData)) {
      if (!isObject(tsData)) return undefined;
      const ts = tsData.rfc3161Timestamps;
      if (isSet(ts) && !(Array.isArray(ts) && ts.length === 0)) return undefined;
    }
    const message = json.messageSignature;
    if (!isObject(message) || !isObject(message.messageDigest)) return undefined;
    const { algorithm, digest: claimedB64 } = message.messageDigest;
    const hashName = typeof algorithm === 'string' && Object.hasOwn(HASHES, algorithm) ? HASHES[algorithm]! : undefined;
    if (!hashName || typeof claimedB64 !== 'string' || typeof message.signature !== 'string') return undefined;
    // The bytes protobuf-specs' fromJSON would decode (Buffer's lenient base64).
    const claimed = Buffer.from(claimedB64, 'base64');
    const signature = Buffer.from(message.signature, 'base64');
    if (claimed.length === 0 || signature.length === 0) return undefined;

    let digest: Buffer;
    let bytes: Uint8Array | undefined;
    if ('bytes' in artifact) {
      bytes = artifact.bytes;
      digest = createHash(hashName).update(bytes).digest();
    } else {
      if (artifact.digest.algorithm !== hashName) return undefined;
      if (!new RegExp(`^[0-9a-fA-F]{${DIGEST_HEX_LENGTH[hashName]}}$`).test(artifact.digest.hex)) return undefined;
      digest = Buffer.from(artifact.digest.hex, 'hex');
    }
    if (!claimed.equals(digest)) return undefined;
    if (!bytes) await loadPrehashCurves();
    // The same signature check verify-bundle.ts hands @sigstore/verify's Verifier.
    if (!new DigestSignatureContent(signature, digest, hashName, bytes).verifySignature(key)) return undefined;
    return { kind: 'messageSignature', signer: {}, warnings: opts.ignoreTlog ? [] : [NO_TLOG_WARNING], tlog: false, timestamps: [] };
  } catch {
    return undefined; // the full verifier says what is wrong
  }
}
