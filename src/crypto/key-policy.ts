// Which keys seal signs and verifies with, and how each signs by default. The policy is
// sigstore's `goodkey` (docs/formats/cosign-formats.md a.5): RSA 2048-4096, ECDSA P-256/P-384/P-521, Ed25519.
// The rejection messages keep cosign's wording first, so users searching for it find both.
import type { KeyObject } from 'node:crypto';
import { SealError } from '../errors.ts';
import type { HashAlgorithm, KeyAlgorithm } from './types.ts';

const CURVES: Readonly<Record<string, KeyAlgorithm>> = {
  prime256v1: 'ecdsa-p256',
  secp384r1: 'ecdsa-p384',
  secp521r1: 'ecdsa-p521',
};

/** OpenSSL curve names as users know them. */
const CURVE_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  secp224r1: 'P-224',
  prime192v1: 'P-192',
};

export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 4096;

/** The algorithm of a key seal accepts; throws SealError('input') for any other, naming `source`. */
export function keyAlgorithm(key: KeyObject, source: string): KeyAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const alg = CURVES[curve];
    if (alg) return alg;
    if (CURVE_NAMES[curve]) {
      throw new SealError('input', `error validating ecdsa key: ECDSA curve ${CURVE_NAMES[curve]} not allowed (${source})`, {
        hint: 'use a P-256, P-384 or P-521 key',
        code: 'UNSUPPORTED_KEY',
      });
    }
    throw new SealError('input', `error parsing ecdsa private key: ${source} uses the curve ${curve}, which seal and cosign do not support`, {
      hint: 'use a P-256, P-384 or P-521 key',
      code: 'UNSUPPORTED_KEY',
    });
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      throw new SealError('input', `error validating rsa key: key size not supported: ${bits} (${source})`, {
        hint: `use an RSA key of ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits`,
        code: 'UNSUPPORTED_KEY',
      });
    }
    return 'rsa';
  }
  if (type === 'ed25519') return 'ed25519';
  throw new SealError('input', `unsupported key type ${type ?? 'unknown'} in ${source}`, {
    hint: 'seal signs with ECDSA P-256/P-384/P-521, RSA 2048-4096 (PKCS#1 v1.5) or Ed25519',
    code: 'UNSUPPORTED_KEY',
  });
}

/**
 * The hash each key signs with (sigstore's GetDefaultPublicKeyDetails); undefined for Ed25519,
 * which seal uses as pure Ed25519 over the whole message, as cosign's sign-blob does.
 */
export function defaultHash(alg: KeyAlgorithm): HashAlgorithm | undefined {
  switch (alg) {
    case 'ecdsa-p256':
    case 'rsa':
      return 'sha256';
    case 'ecdsa-p384':
      return 'sha384';
    case 'ecdsa-p521':
      return 'sha512';
    case 'ed25519':
      return undefined;
  }
}

/**
 * Hashes a signature made with this key may have used. P-384/P-521 also accept SHA-256: cosign
 * v2 signed every ECDSA key with SHA-256.
 */
export function acceptedHashes(alg: KeyAlgorithm): HashAlgorithm[] {
  const h = defaultHash(alg);
  if (!h) return [];
  return h === 'sha256' ? ['sha256'] : [h, 'sha256'];
}
