// Content digests (OCI image-spec v1.1 descriptor.md#digests): `algorithm:hex`. seal writes
// sha256 and reads sha256 or sha512. Every read of registry or layout content goes through one
// of these checks, so a store that serves the wrong bytes is refused rather than trusted.
// https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#digests
import { createHash, type Hash } from 'node:crypto';
import { SealError, type ErrorKind } from '../errors.ts';

const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/** `sha256:<64 hex>` or `sha512:<128 hex>`, lower-case; null for anything else. */
export function parseDigest(digest: string): ParsedDigest | null {
  const colon = digest.indexOf(':');
  if (colon < 0) return null;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const len = HEX_LENGTH[algorithm];
  if (len === undefined || hex.length !== len || !/^[a-f0-9]+$/.test(hex)) return null;
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

export const isDigest = (s: string): boolean => parseDigest(s) !== null;

export function sha256Digest(data: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** The hex part of `sha256:<hex>` (the input unchanged when it has no algorithm prefix). */
export function digestHex(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest : digest.slice(i + 1);
}

export interface DigestCheckOptions {
  /** What is being read, for the message: `blob sha256:… in 127.0.0.1:5000/app`. */
  what: string;
  /** The error kind on mismatch; 'verification' unless the caller knows better. */
  kind?: ErrorKind;
}

function mismatch(expected: string, actual: string, opts: DigestCheckOptions): SealError {
  return new SealError(
    opts.kind ?? 'verification',
    `${opts.what}: content digest is ${actual}, expected ${expected}; the content was altered or truncated and is refused`,
    { code: 'DIGEST_MISMATCH' },
  );
}

function unsupported(digest: string, opts: DigestCheckOptions): SealError {
  return new SealError(opts.kind ?? 'verification', `${opts.what}: unsupported or malformed digest "${digest}"`, {
    code: 'DIGEST_INVALID',
  });
}

/** Throws unless sha256/sha512(data) equals `expected`. */
export function verifyDigest(data: Uint8Array, expected: string, opts: DigestCheckOptions): void {
  const parsed = parseDigest(expected);
  if (!parsed) throw unsupported(expected, opts);
  const actual = `${parsed.algorithm}:` + createHash(parsed.algorithm).update(data).digest('hex');
  if (actual !== expected) throw mismatch(expected, actual, opts);
}

/**
 * Passes `source` through unchanged while hashing it. It stops as soon as more than `size` bytes
 * arrive, and throws when the source ends if the size or digest differs, so every chunk reaches
 * the consumer before the verdict: a consumer writing chunks somewhere must treat what it wrote as
 * invalid until the iteration finished without an error.
 */
export async function* verifyingStream(
  source: AsyncIterable<Uint8Array>,
  expected: string,
  opts: DigestCheckOptions & { size?: number },
): AsyncGenerator<Uint8Array, void, undefined> {
  const parsed = parseDigest(expected);
  if (!parsed) throw unsupported(expected, opts);
  const hash: Hash = createHash(parsed.algorithm);
  let length = 0;
  for await (const chunk of source) {
    length += chunk.length;
    if (opts.size !== undefined && length > opts.size) {
      throw new SealError(opts.kind ?? 'verification', `${opts.what}: more than the expected ${opts.size} bytes; refused`, {
        code: 'SIZE_MISMATCH',
      });
    }
    hash.update(chunk);
    yield chunk;
  }
  if (opts.size !== undefined && length !== opts.size) {
    throw new SealError(opts.kind ?? 'verification', `${opts.what}: got ${length} bytes, expected ${opts.size}; the content was truncated and is refused`, {
      code: 'SIZE_MISMATCH',
    });
  }
  const actual = `${parsed.algorithm}:` + hash.digest('hex');
  if (actual !== expected) throw mismatch(expected, actual, opts);
}

/** Reads a whole stream into memory, refusing more than `maxBytes`. */
export async function readAll(source: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    length += chunk.length;
    if (length > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** sha256 digest and size of a file, read as a stream (constant memory). */
export async function digestFile(path: string, signal?: AbortSignal): Promise<{ digest: string; size: number }> {
  const { createReadStream } = await import('node:fs');
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { signal, highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: 'sha256:' + hash.digest('hex'), size };
}
