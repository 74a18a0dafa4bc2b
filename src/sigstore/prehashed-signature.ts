// Verifying a message signature when seal holds only the artifact's digest (a `sha256:` input,
// or a file hashed as a stream). Node's crypto cannot verify a prehashed ECDSA signature, and
// @sigstore/verify's MessageSignatureContent wants the artifact bytes, so this supplies its own
// SignatureContent: ECDSA through @noble/curves, RSA PKCS#1 v1.5 by recovering the DigestInfo.
import { constants, publicDecrypt, timingSafeEqual, verify as nodeVerify, type KeyObject } from 'node:crypto';

import { p256, p384, p521 } from '@noble/curves/nist.js';
import type { SignedEntity } from '@sigstore/verify';

import { SealError } from '../errors.ts';

type SignatureContent = SignedEntity['signature'];

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;
const COORDINATE_BYTES = { prime256v1: 32, secp384r1: 48, secp521r1: 66 } as const;

// DER prefix of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING } per RFC 8017 §9.2.
const DIGEST_INFO_PREFIX: Readonly<Record<string, string>> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
  'sha3-256': '3031300d060960864801650304020805000420',
  'sha3-384': '3041300d060960864801650304020905000430',
};

/**
 * Verifies `signature` over a message whose `hashName` digest is `digest`. False when it does
 * not verify; throws a SealError for a key type that cannot be checked from a digest.
 */
export function verifyPrehashed(key: KeyObject, digest: Uint8Array, signature: Uint8Array, hashName: string): boolean {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curveName = key.asymmetricKeyDetails?.namedCurve as keyof typeof CURVES | undefined;
      if (!curveName || !(curveName in CURVES)) {
        throw new SealError('verification', `unsupported EC curve ${curveName ?? '(unknown)'} for a digest-only signature check`);
      }
      const jwk = key.export({ format: 'jwk' });
      const size = COORDINATE_BYTES[curveName];
      const point = Buffer.concat([
        Buffer.from([4]),
        leftPad(Buffer.from(jwk.x ?? '', 'base64url'), size),
        leftPad(Buffer.from(jwk.y ?? '', 'base64url'), size),
      ]);
      try {
        // lowS: false because Go and OpenSSL signers emit high-S signatures too.
        return CURVES[curveName].verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
      } catch {
        return false; // malformed DER signature
      }
    }
    case 'rsa': {
      const prefix = DIGEST_INFO_PREFIX[hashName];
      if (!prefix) throw new SealError('verification', `unsupported hash ${hashName} for an RSA signature`);
      const expected = Buffer.concat([Buffer.from(prefix, 'hex'), digest]);
      let recovered: Buffer;
      try {
        recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
      } catch {
        return false;
      }
      return recovered.length === expected.length && timingSafeEqual(recovered, expected);
    }
    case 'ed25519':
    case 'ed448':
      throw new SealError('verification', `an ${key.asymmetricKeyType} signature covers the whole artifact and cannot be checked from its digest`, {
        hint: 'pass the artifact file instead of its digest',
      });
    default:
      throw new SealError('verification', `unsupported key type ${key.asymmetricKeyType ?? '(unknown)'} for a digest-only signature check`);
  }
}

/**
 * SignatureContent for a message-signature bundle checked against an artifact digest. The caller
 * has already compared the digest with the bundle's messageDigest; the tlog body is compared with
 * the artifact digest here, never with the bundle's own claim. With `artifactBytes` (needed for
 * Ed25519) the signature is checked over the bytes like @sigstore/verify does.
 */
export class DigestSignatureContent implements SignatureContent {
  readonly signature: Buffer;
  readonly #digest: Buffer;
  readonly #hashName: string;
  readonly #artifactBytes: Buffer | undefined;

  constructor(signature: Uint8Array, artifactDigest: Uint8Array, hashName: string, artifactBytes?: Uint8Array) {
    this.signature = Buffer.from(signature);
    this.#digest = Buffer.from(artifactDigest);
    this.#hashName = hashName;
    this.#artifactBytes = artifactBytes ? Buffer.from(artifactBytes) : undefined;
  }

  compareSignature(signature: Buffer): boolean {
    return bufferEqual(signature, this.signature);
  }

  compareDigest(digest: Buffer): boolean {
    return bufferEqual(digest, this.#digest);
  }

  // For a message signature the signed bytes are the artifact itself.
  compareSignedDigest(digest: Buffer): boolean {
    return this.compareDigest(digest);
  }

  verifySignature(key: KeyObject): boolean {
    if (this.#artifactBytes) {
      const alg = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : this.#hashName;
      try {
        return nodeVerify(alg, this.#artifactBytes, key, this.signature);
      } catch {
        return false;
      }
    }
    return verifyPrehashed(key, this.#digest, this.signature, this.#hashName);
  }
}

function bufferEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function leftPad(b: Buffer, size: number): Buffer {
  return b.length >= size ? b : Buffer.concat([Buffer.alloc(size - b.length), b]);
}
