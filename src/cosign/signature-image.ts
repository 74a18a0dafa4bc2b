// The legacy `.sig` / `.att` image: an OCI manifest whose layers are signatures or envelopes,
// with go-containerregistry's empty-image config (docs/formats/cosign-formats.md b.4). Serialised with ggcr's
// field order, so an image seal writes is byte-identical to cosign's for the same layers.
import { DOCKER_CONFIG, DOCKER_MANIFEST, OCI_CONFIG, OCI_MANIFEST } from '../oci/media-types.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Descriptor, FetchedManifest } from '../oci/types.ts';

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
  // A config for this exact list of signatures is new (its layer digests are in it): uploaded
  // without asking first.
  const config = await store.putBlob(configBytes, { likelyNew: true });
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
