// Verifying a message signature when seal holds only the artifact's digest (a `sha256:` input,
// or a file hashed as a stream). Node's crypto cannot verify a prehashed ECDSA signature, and
// @sigstore/verify's MessageSignatureContent wants the artifact bytes, so this supplies its own
// SignatureContent: ECDSA through @noble/curves, RSA PKCS#1 v1.5 by recovering the DigestInfo.
import { timingSafeEqual, verify as nodeVerify, type KeyObject } from 'node:crypto';

import type { SignedEntity } from '@sigstore/verify';

import { verifyDigestWith } from '../crypto/prehash.ts';
import { SealError } from '../errors.ts';

type SignatureContent = SignedEntity['signature'];

// @noble/curves costs ~30 ms of start-up (its curves precompute tables when loaded), and most
// verifications check the signature over the bytes with node:crypto: loaded only when a check
// from a digest is coming (loadPrehashCurves, awaited before verifyPrehashed).
let nist: typeof import('@noble/curves/nist.js') | undefined;
export async function loadPrehashCurves(): Promise<void> {
  nist ??= await import('@noble/curves/nist.js');
}

/**
 * Verifies `signature` over a message whose `hashName` digest is `digest`. False when it does
 * not verify; throws a SealError for a key type that cannot be checked from a digest.
 */
export function verifyPrehashed(key: KeyObject, digest: Uint8Array, signature: Uint8Array, hashName: string): boolean {
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') {
    throw new SealError('verification', `an ${key.asymmetricKeyType} signature covers the whole artifact and cannot be checked from its digest`, {
      hint: 'pass the artifact file instead of its digest',
    });
  }
  if (!nist) throw new Error('internal: loadPrehashCurves() was not awaited before a digest-only check');
  const ok = verifyDigestWith(nist, key, hashName, digest, signature);
  if (ok === undefined) {
    const what =
      key.asymmetricKeyType === 'ec'
        ? `EC curve ${String(key.asymmetricKeyDetails?.namedCurve)}`
        : `key type ${key.asymmetricKeyType ?? '(unknown)'} with ${hashName}`;
    throw new SealError('verification', `unsupported ${what} for a digest-only signature check`);
  }
  return ok;
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
