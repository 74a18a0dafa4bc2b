// Reading image manifests from stores seal does not trust: descriptors and layers checked where
// they are read, so a malformed document is one clear error, not a TypeError later.
import { SealError } from '../errors.ts';
import type { Descriptor, FetchedManifest, ImageManifest } from './types.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A descriptor seal can use: string mediaType and digest, a size, and the optional fields it reads
 * (artifactType, annotations) of the right type. Stored documents are untrusted: anything else
 * would surface later as a TypeError far from where it came in.
 */
export function isDescriptor(d: unknown): d is Descriptor {
  if (!isObject(d)) return false;
  if (typeof d.mediaType !== 'string' || typeof d.digest !== 'string' || typeof d.size !== 'number') return false;
  if (d.artifactType !== undefined && typeof d.artifactType !== 'string') return false;
  if (d.annotations !== undefined && !(isObject(d.annotations) && Object.values(d.annotations).every((v) => typeof v === 'string'))) {
    return false;
  }
  return true;
}

/** The manifest, checked where seal reads it: layers are descriptors; subject, when present, is one. */
export function parseImageManifest(doc: FetchedManifest): ImageManifest {
  const bad = (why: string) => new SealError('input', `${doc.digest} is not an image manifest: ${why}`, { code: 'BAD_MANIFEST' });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(doc.bytes).toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (!isObject(json) || !Array.isArray(json.layers)) throw bad('no layers array');
  const i = json.layers.findIndex((l) => !isDescriptor(l));
  if (i >= 0) throw bad(`layers[${i}] is not a descriptor`);
  if (json.subject !== undefined && json.subject !== null && !isDescriptor(json.subject)) throw bad('subject is not a descriptor');
  if (json.annotations !== undefined && !(isObject(json.annotations) && Object.values(json.annotations).every((v) => typeof v === 'string'))) {
    throw bad('annotations is not an object of strings');
  }
  return json as unknown as ImageManifest;
}

/**
 * The layers of a `.sig`/`.att` image, skipping entries that are not descriptors (they cannot be
 * signatures); [] for a document that is not a manifest at all.
 */
export const layersOf = (doc: FetchedManifest): Descriptor[] => {
  try {
    const json = JSON.parse(Buffer.from(doc.bytes).toString('utf8')) as unknown;
    return isObject(json) && Array.isArray(json.layers) ? json.layers.filter(isDescriptor) : [];
  } catch {
    return [];
  }
};
