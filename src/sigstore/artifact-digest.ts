// Digests of the artifact a bundle is checked against. Files are hashed as a stream so a
// multi-gigabyte artifact costs constant memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

import { SealError, messageOf } from '../errors.ts';

/** Node hash names for the protobuf-specs HashAlgorithm enum (sigstore_common.proto). */
export const HASH_NAMES: Readonly<Record<number, string>> = {
  1: 'sha256', // SHA2_256
  2: 'sha384', // SHA2_384
  3: 'sha512', // SHA2_512
  4: 'sha3-256', // SHA3_256
  5: 'sha3-384', // SHA3_384
};

export async function digestFile(path: string, algorithm: string, signal?: AbortSignal): Promise<Buffer> {
  return (await digestFileMulti(path, [algorithm], signal))[0]!;
}

/** Several digests of one file in one read. */
export async function digestFileMulti(path: string, algorithms: readonly string[], signal?: AbortSignal): Promise<Buffer[]> {
  const hashes = algorithms.map((a) => createHash(a));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) for (const h of hashes) h.update(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(err);
    throw new SealError('input', `cannot read artifact ${path}: ${why}`, { cause: err });
  }
  return hashes.map((h) => h.digest());
}

export const digestBytes = (bytes: Uint8Array, algorithm: string): Buffer => createHash(algorithm).update(bytes).digest();

/** Hex length of each digest algorithm a `--digest` may name. */
export const DIGEST_HEX_LENGTH = { sha256: 64, sha384: 96, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof DIGEST_HEX_LENGTH;

/**
 * A `--digest` value: `ALG:HEX` or bare HEX, ALG one of sha256/sha384/sha512; a bare hex is in
 * `defaultAlg` (cosign's --digestAlg, default sha256). Undefined when it is not that shape.
 */
export function parseDigestArg(text: string, defaultAlg: string = 'sha256'): { algorithm: DigestAlgorithm; hex: string } | undefined {
  const m = /^(?:(sha256|sha384|sha512):)?([0-9a-fA-F]+)$/.exec(text.trim());
  if (!m) return undefined;
  const algorithm = (m[1] ?? defaultAlg.toLowerCase().replace(/-/g, '')) as DigestAlgorithm;
  if (!(algorithm in DIGEST_HEX_LENGTH)) return undefined;
  if (m[2]!.length !== DIGEST_HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex: m[2]!.toLowerCase() };
}
