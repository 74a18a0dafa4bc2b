// The legacy `.sig` / `.att` image: an OCI manifest whose layers are signatures or envelopes,
// with go-containerregistry's empty-image config (docs/formats/cosign-formats.md b.4). Serialised with ggcr's
// field order, so an image seal writes is byte-identical to cosign's for the same layers.
import { SealError } from '../errors.ts';
import { DOCKER_CONFIG, DOCKER_MANIFEST, OCI_CONFIG, OCI_MANIFEST } from './media-types.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor, FetchedManifest, ImageManifest } from './types.ts';

const ZERO_TIME = '0001-01-01T00:00:00Z';

function descriptorJSON(d: Descriptor): Record<string, unknown> {
  // ggcr order: mediaType, size, digest, then optional fields.
  const out: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = d.annotations;
  return out;
}

export function signatureConfig(layers: Descriptor[]): Uint8Array {
  const config = {
    architecture: '',
    created: ZERO_TIME,
    history: layers.map(() => ({ created: ZERO_TIME })),
    os: '',
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    config: {},
  };
  return Buffer.from(JSON.stringify(config));
}

/**
 * Builds the manifest for these layers. An existing image keeps its media types (as cosign
 * appends); a new one is OCI unless the store asks for Docker types (docs/formats/cosign-formats.md b.4).
 */
export async function buildSignatureImage(
  store: ImageStore,
  layers: Descriptor[],
  current: FetchedManifest | null,
  opts: { annotations?: Record<string, string> } = {},
): Promise<{ bytes: Uint8Array; mediaType: string }> {
  const docker = current ? current.mediaType === DOCKER_MANIFEST : store.dockerMediaTypes === true;
  const configBytes = signatureConfig(layers);
  const config = await store.putBlob(configBytes);
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    config: descriptorJSON({ mediaType: docker ? DOCKER_CONFIG : OCI_CONFIG, ...config }),
    layers: layers.map(descriptorJSON),
  };
  // Manifest annotations exist in OCI manifests only (Docker schema 2 has none).
  if (!docker && opts.annotations && Object.keys(opts.annotations).length > 0) manifest.annotations = opts.annotations;
  return { bytes: Buffer.from(JSON.stringify(manifest)), mediaType };
}

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
