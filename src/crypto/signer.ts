// Signer and Verifier over node:crypto KeyObjects, plus the one-pass streaming helpers sign-blob
// and verify-blob use. A whole stream goes through node's own Sign/Verify (OpenSSL speed, no extra
// module); when the digest itself is needed (a bundle's messageDigest, a sha256:HEX target) the
// content is hashed and the digest signed or checked through prehash.ts.
import { createHash, createPublicKey, createSign, createVerify, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import { acceptedHashes, defaultHash } from './key-policy.ts';
import { signDigest, verifyDigest } from './prehash.ts';
import type { OnProgress } from '../progress.ts';
import { Collector, pumpFile, pumpStream, type ByteSink } from '../fs/stream.ts';
import type { HashAlgorithm, KeyAlgorithm, PublicKeyInfo, Signer, Verifier } from './types.ts';

/** Pure Ed25519 holds the whole message in memory; refuse beyond this. */
export const ED25519_MAX_BYTES = 256 * 1024 * 1024;

export function publicKeyInfo(key: KeyObject, algorithm: KeyAlgorithm): PublicKeyInfo {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  // Exported on first use: the first export starts OpenSSL's encoders (~1 ms), which a verify
  // that only checks signatures with the KeyObject never needs.
  let pem: string | undefined;
  let der: Uint8Array | undefined;
  return {
    algorithm,
    // Node's PEM export is Go's layout: 64-character lines, trailing newline.
    get pem() {
      return (pem ??= pub.export({ format: 'pem', type: 'spki' }) as string);
    },
    get der() {
      return (der ??= new Uint8Array(pub.export({ format: 'der', type: 'spki' })));
    },
  };
}

const dsa = (alg: KeyAlgorithm) => (alg === 'rsa' || alg === 'ed25519' ? undefined : ('der' as const));

export class KeySigner implements Signer {
  readonly publicKey: PublicKeyInfo;
  readonly hashAlgorithm?: HashAlgorithm;
  readonly algorithm: KeyAlgorithm;
  readonly #key: KeyObject;

  /** Absent for pure Ed25519 (see Signer). */
  readonly signDigest?: (digest: Uint8Array) => Promise<Uint8Array>;

  constructor(privateKey: KeyObject, algorithm: KeyAlgorithm) {
    this.#key = privateKey;
    this.algorithm = algorithm;
    const hash = defaultHash(algorithm);
    this.hashAlgorithm = hash;
    this.publicKey = publicKeyInfo(privateKey, algorithm);
    if (hash) this.signDigest = (digest) => signDigest(privateKey, algorithm, hash, digest);
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(nodeSign(this.hashAlgorithm ?? null, data, { key: this.#key, dsaEncoding: dsa(this.algorithm) }));
  }

  /** A node Sign object for this key's scheme, or undefined for pure Ed25519. */
  streamSigner(): { sink: ByteSink; finish(): Uint8Array } | undefined {
    if (!this.hashAlgorithm) return undefined;
    const s = createSign(this.hashAlgorithm);
    const key = this.#key;
    const dsaEncoding = dsa(this.algorithm);
    return { sink: s, finish: () => new Uint8Array(s.sign({ key, dsaEncoding })) };
  }
}

export class KeyVerifier implements Verifier {
  readonly publicKey: PublicKeyInfo;
  readonly hashAlgorithm?: HashAlgorithm;
  readonly algorithm: KeyAlgorithm;
  readonly #key: KeyObject;

  /** Absent for pure Ed25519 (see Verifier). */
  readonly verifyDigest?: (digest: Uint8Array, algorithm: HashAlgorithm, signature: Uint8Array) => Promise<boolean>;

  constructor(publicKey: KeyObject, algorithm: KeyAlgorithm) {
    this.#key = publicKey;
    this.algorithm = algorithm;
    this.hashAlgorithm = defaultHash(algorithm);
    this.publicKey = publicKeyInfo(publicKey, algorithm);
    if (this.hashAlgorithm) {
      this.verifyDigest = (digest, hash, signature) => verifyDigest(publicKey, algorithm, hash, digest, signature);
    }
  }

  /** The node KeyObject (public), for libraries that want one (@sigstore/verify key finders). */
  get keyObject(): KeyObject {
    return this.#key;
  }

  /** RSA modulus length in bytes (signature length), else undefined. */
  get rsaModulusBytes(): number | undefined {
    const bits = this.#key.asymmetricKeyDetails?.modulusLength;
    return this.algorithm === 'rsa' && bits ? Math.ceil(bits / 8) : undefined;
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean {
    if (!this.hashAlgorithm) return safe(() => nodeVerify(null, data, this.#key, signature));
    return acceptedHashes(this.algorithm).some((h) => safe(() => nodeVerify(h, data, { key: this.#key, dsaEncoding: dsa(this.algorithm) }, signature)));
  }

  /** Node Verify objects for every hash this key's signatures may use (none for pure Ed25519). */
  streamVerifiers(): { sinks: ByteSink[]; check(signature: Uint8Array): boolean } {
    const verifiers = acceptedHashes(this.algorithm).map((h) => createVerify(h));
    const key = this.#key;
    const dsaEncoding = dsa(this.algorithm);
    return {
      sinks: verifiers,
      check: (signature) => verifiers.some((v) => safe(() => v.verify({ key, dsaEncoding }, signature))),
    };
  }
}

function safe(f: () => boolean): boolean {
  try {
    return f();
  } catch {
    return false; // OpenSSL throws on some malformed signatures; a malformed signature is not valid
  }
}

/** Where the bytes come from: a file path or an already-open stream (stdin). */
export type Input =
  { path: string; /** For messages; defaults to the path. */ name?: string } | { stream: Readable | AsyncIterable<Uint8Array | string>; name?: string };

function pump(input: Input, sinks: ByteSink[], signal?: AbortSignal, onProgress?: OnProgress): Promise<number> {
  return 'path' in input ? pumpFile(input.path, sinks, signal, input.name, onProgress) : pumpStream(input.stream, sinks, signal, onProgress);
}

const inputName = (input: Input) => input.name ?? ('path' in input ? input.path : 'the input');

export interface SignedInput {
  signature: Uint8Array;
  /** Present when asked for: the digest that was signed (or, for Ed25519, sha256 of the message). */
  digest?: { algorithm: HashAlgorithm; bytes: Uint8Array };
  size: number;
}

/**
 * Signs everything `input` yields, reading it once in constant memory (except pure Ed25519).
 * With `wantDigest` the content's digest is returned too, for a bundle's messageDigest.
 */
export async function signInput(
  signer: Signer,
  input: Input,
  opts: { wantDigest?: boolean; signal?: AbortSignal; onProgress?: OnProgress } = {},
): Promise<SignedInput> {
  const hash = signer.hashAlgorithm;
  if (!hash) {
    // Pure Ed25519: the signature covers the message itself.
    const all = new Collector(ED25519_MAX_BYTES, inputName(input));
    const h = createHash('sha256');
    const size = await pump(input, [all, h], opts.signal, opts.onProgress);
    const signature = await signer.sign(all.bytes());
    return { signature, size, ...(opts.wantDigest ? { digest: { algorithm: 'sha256', bytes: new Uint8Array(h.digest()) } } : {}) };
  }
  if (!opts.wantDigest && signer instanceof KeySigner) {
    const s = signer.streamSigner()!;
    const size = await pump(input, [s.sink], opts.signal, opts.onProgress);
    return { signature: s.finish(), size };
  }
  if (!signer.signDigest) throw new Error('this signer cannot sign a digest');
  const h = createHash(hash);
  const size = await pump(input, [h], opts.signal, opts.onProgress);
  const digest = new Uint8Array(h.digest());
  return { signature: await signer.signDigest(digest), digest: { algorithm: hash, bytes: digest }, size };
}

/** Verifies `signature` over everything `input` yields, in one pass (except pure Ed25519). */
export async function verifyInput(verifier: KeyVerifier, input: Input, signature: Uint8Array, signal?: AbortSignal, onProgress?: OnProgress): Promise<boolean> {
  if (!verifier.hashAlgorithm) {
    const all = new Collector(ED25519_MAX_BYTES, inputName(input));
    await pump(input, [all], signal, onProgress);
    return verifier.verify(all.bytes(), signature);
  }
  const v = verifier.streamVerifiers();
  await pump(input, v.sinks, signal, onProgress);
  return v.check(signature);
}
