// Signing and verifying a digest instead of a message, so a 1 GiB file is hashed once as a
// stream. node:crypto cannot do this for ECDSA (crypto.sign always hashes; a null algorithm means
// SHA-256), so ECDSA goes through @noble/curves, imported only when needed (it costs ~40 ms to
// load). RSA PKCS#1 v1.5 is the raw RSA operation over DigestInfo ‖ digest (RFC 8017 §9.2).
import { constants, privateEncrypt, publicDecrypt, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { HashAlgorithm, KeyAlgorithm } from './types.ts';

// DER prefix of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING(len) }.
const DIGEST_INFO: Readonly<Record<string, Buffer>> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
  'sha3-256': Buffer.from('3031300d060960864801650304020805000420', 'hex'),
  'sha3-384': Buffer.from('3041300d060960864801650304020905000430', 'hex'),
};

export const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, sha384: 48, sha512: 64 };

type EcAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521';

async function curve(alg: EcAlgorithm) {
  const nist = await import('@noble/curves/nist.js');
  return alg === 'ecdsa-p256' ? nist.p256 : alg === 'ecdsa-p384' ? nist.p384 : nist.p521;
}

const COORD_BYTES: Readonly<Record<EcAlgorithm, number>> = { 'ecdsa-p256': 32, 'ecdsa-p384': 48, 'ecdsa-p521': 66 };

function jwkBytes(v: string | undefined, size: number): Uint8Array {
  const b = Buffer.from(v ?? '', 'base64url');
  if (b.length >= size) return b;
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

/** ASN.1 DER signature over `digest` (ECDSA) or a PKCS#1 v1.5 signature (RSA). */
export async function signDigest(key: KeyObject, alg: KeyAlgorithm, hash: HashAlgorithm, digest: Uint8Array): Promise<Uint8Array> {
  checkLength(hash, digest);
  if (alg === 'rsa') {
    return new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hash], digest])));
  }
  if (alg === 'ed25519') throw new Error('pure Ed25519 cannot sign a digest');
  const c = await curve(alg);
  const d = jwkBytes(key.export({ format: 'jwk' }).d, COORD_BYTES[alg]);
  try {
    // RFC 6979 nonces with added randomness (noble's extraEntropy), low-S, DER as cosign emits.
    return c.sign(digest, d, { prehash: false, format: 'der', extraEntropy: true });
  } finally {
    d.fill(0);
  }
}

/** True when `signature` verifies over `digest`; false for any malformed or wrong signature. */
export async function verifyDigest(key: KeyObject, alg: KeyAlgorithm, hash: HashAlgorithm, digest: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (digest.length !== DIGEST_BYTES[hash] || alg === 'ed25519') return false;
  const nist = alg === 'rsa' ? undefined : await import('@noble/curves/nist.js');
  return verifyDigestWith(nist, key, hash, digest, signature) ?? false;
}

export type NistCurves = typeof import('@noble/curves/nist.js');
const CURVE_OF: Readonly<Record<string, { name: 'p256' | 'p384' | 'p521'; size: number }>> = {
  prime256v1: { name: 'p256', size: 32 },
  secp384r1: { name: 'p384', size: 48 },
  secp521r1: { name: 'p521', size: 66 },
};

/**
 * The synchronous core, for callers that must answer synchronously (the Sigstore verifier's
 * SignatureContent) and so load the curves up front. ECDSA (DER) or RSA PKCS#1 v1.5 over
 * `digest`; false for a wrong or malformed signature; undefined for a key type or curve that
 * cannot be checked from a digest (or ECDSA without `nist`).
 */
export function verifyDigestWith(nist: NistCurves | undefined, key: KeyObject, hash: string, digest: Uint8Array, signature: Uint8Array): boolean | undefined {
  if (key.asymmetricKeyType === 'rsa') {
    const prefix = DIGEST_INFO[hash];
    if (!prefix) return undefined;
    let recovered: Buffer;
    try {
      recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    } catch {
      return false;
    }
    const expected = Buffer.concat([prefix, digest]);
    return recovered.length === expected.length && timingSafeEqual(recovered, expected);
  }
  const curveInfo = key.asymmetricKeyType === 'ec' ? CURVE_OF[String(key.asymmetricKeyDetails?.namedCurve)] : undefined;
  if (!curveInfo || !nist) return undefined;
  const jwk = key.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), jwkBytes(jwk.x, curveInfo.size), jwkBytes(jwk.y, curveInfo.size)]);
  try {
    // lowS: false: Go and OpenSSL produce high-S signatures half the time.
    return nist[curveInfo.name].verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
  } catch {
    return false;
  }
}

function checkLength(hash: HashAlgorithm, digest: Uint8Array): void {
  if (digest.length !== DIGEST_BYTES[hash]) {
    throw new Error(`a ${hash} digest is ${DIGEST_BYTES[hash]} bytes, got ${digest.length}`);
  }
}
