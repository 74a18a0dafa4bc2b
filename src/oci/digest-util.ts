// Content digests of bytes in memory (streams: src/oci/digest.ts).
import { createHash } from 'node:crypto';

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** `sha256:<hex>` of the bytes. */
export const sha256Digest = (data: Uint8Array | string): string => `sha256:${sha256Hex(data)}`;

/** The hex part of a `sha256:<hex>` digest. */
export function digestHex(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest : digest.slice(i + 1);
}
