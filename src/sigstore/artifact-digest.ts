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
  const hash = createHash(algorithm);
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) hash.update(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(err);
    throw new SealError('input', `cannot read artifact ${path}: ${why}`, { cause: err });
  }
  return hash.digest();
}

export const digestBytes = (bytes: Uint8Array, algorithm: string): Buffer =>
  createHash(algorithm).update(bytes).digest();

/** `sha256:<64 hex>` (or bare hex) to bytes; undefined when it is not that shape. */
export function parseSha256Digest(text: string): Buffer | undefined {
  const hex = text.startsWith('sha256:') ? text.slice(7) : text;
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}
