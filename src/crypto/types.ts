// The seams between key handling and everything that signs or verifies. Implementations live in
// src/crypto (files, PEM, cosign's encrypted format); callers never see key formats.
import type { KeyObject } from 'node:crypto';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa' | 'ed25519';

/** Digest algorithms a signature can be made over (node:crypto names). */
export type HashAlgorithm = 'sha256' | 'sha384' | 'sha512';

export interface PublicKeyInfo {
  algorithm: KeyAlgorithm;
  /** PKIX `PUBLIC KEY` PEM, with a trailing newline. */
  pem: string;
  /** SPKI DER bytes. */
  der: Uint8Array;
}

/**
 * The low-level signer: a public key and a way to sign with the private half. Key files, hardware
 * tokens (PKCS#11) and KMS keys implement it; src/ops/signing builds every signature kind on it.
 */
export interface Signer {
  readonly publicKey: PublicKeyInfo;
  /**
   * Signs `data` with the key's default scheme (P-256: ECDSA/SHA-256, DER; P-384: SHA-384;
   * P-521: SHA-512; RSA: PKCS#1 v1.5/SHA-256; Ed25519: pure Ed25519 for blobs).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** The hash `sign` applies; absent for pure Ed25519, which signs the message itself. */
  readonly hashAlgorithm?: HashAlgorithm;
  /**
   * Signs a digest made with `hashAlgorithm` (prehashed), so large inputs can be hashed as a
   * stream. Absent when the scheme needs the whole message (pure Ed25519).
   */
  signDigest?(digest: Uint8Array): Promise<Uint8Array>;
  /**
   * PEM certificates for the key, leaf first, when it comes with any (a hardware token may hold
   * one beside the key); absent for key files.
   */
  readonly certificateChain?: string[];
  /** Ends what the key holds open (a token's session and agent); absent when there is nothing. */
  close?(): Promise<void>;
}

export interface Verifier {
  readonly publicKey: PublicKeyInfo;
  /** The key as node:crypto holds it, when the verifier has one: bundles verify with it, unparsed. */
  readonly keyObject?: KeyObject;
  /** True when `signature` (DER for ECDSA) is valid over `data`. Never throws on a bad signature. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
  /** The hash a signature by this key is expected to use; absent for pure Ed25519. */
  readonly hashAlgorithm?: HashAlgorithm;
  /**
   * True when `signature` is valid over a message whose `algorithm` digest is `digest`. Never
   * throws on a bad signature; absent when the scheme needs the whole message (pure Ed25519).
   */
  verifyDigest?(digest: Uint8Array, algorithm: HashAlgorithm, signature: Uint8Array): Promise<boolean>;
}
