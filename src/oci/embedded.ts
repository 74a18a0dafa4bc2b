// Content embedded in a descriptor (image-spec v1.1 descriptor `data`: "The decoded data MUST be
// identical to the referenced content and SHOULD be verified against the digest and size").
// seal embeds small referrer manifests in the referrers fallback index and small bundles in their
// referrer manifest, so a reader gets them with the document it reads anyway (one round trip
// instead of three); a reader that ignores `data` fetches the same bytes by digest.
// https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md#properties
import { createHash } from 'node:crypto';
import { parseDigest } from './digest.ts';
import type { Descriptor } from './types.ts';

/**
 * The content a descriptor embeds, when its `data` decodes to exactly `size` bytes with the
 * descriptor's digest: then it is the content the digest names, as a fetch by digest would return
 * (after the same check). Anything else (no data, bad base64, wrong size or digest) is undefined,
 * and the caller fetches the content as it would without `data`.
 */
export function embeddedContent(d: Descriptor): Uint8Array | undefined {
  if (typeof d.data !== 'string' || typeof d.size !== 'number') return undefined;
  // Base64 is 4 characters per 3 bytes: a string of another length cannot hold `size` bytes.
  if (d.data.length !== Math.ceil(d.size / 3) * 4) return undefined;
  const parsed = parseDigest(d.digest);
  if (!parsed) return undefined;
  const bytes = Buffer.from(d.data, 'base64');
  if (bytes.length !== d.size) return undefined;
  if (createHash(parsed.algorithm).update(bytes).digest('hex') !== parsed.hex) return undefined;
  return bytes;
}

/** `d` with `bytes` (its content) embedded. */
export function withEmbedded<T extends Descriptor>(d: T, bytes: Uint8Array): T {
  return { ...d, data: Buffer.from(bytes).toString('base64') };
}

/** `d` without embedded content. */
export function withoutEmbedded<T extends Descriptor>(d: T): T {
  if (d.data === undefined) return d;
  const { data: _data, ...rest } = d;
  return rest as T;
}
