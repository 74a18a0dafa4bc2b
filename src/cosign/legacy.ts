// Legacy (cosign v2) storage: one `sha256-<hex>.sig|.att` image per subject, one layer per
// signature or envelope, appended without losing concurrent writers' layers.
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { attachmentTag, type AttachmentKind } from './layout.ts';
import { updateTaggedList } from '../oci/safe-update.ts';
import { buildSignatureImage } from './signature-image.ts';
import { layersOf } from '../oci/manifest.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';

/** cosign refuses to read more layers than this from a signature image. */
export const MAX_LAYERS = 1000;

export interface LegacyLayers {
  tag: string;
  manifestDigest?: string;
  layers: Descriptor[];
}

export async function readLegacyLayers(store: ImageStore, digest: string, kind: AttachmentKind): Promise<LegacyLayers> {
  const tag = attachmentTag(store, digest, kind);
  const doc = await store.getManifest(tag);
  if (!doc) return { tag, layers: [] };
  const layers = layersOf(doc);
  if (layers.length > MAX_LAYERS) {
    throw new SealError('registry', `${tag} in ${store.name} has ${layers.length} layers, more than the ${MAX_LAYERS} seal reads (as cosign)`, {
      code: 'TOO_MANY_LAYERS',
      hint: `remove old ones with seal clean --type ${kind === 'sig' ? 'signature' : kind === 'att' ? 'attestation' : 'sbom'}, then sign again`,
    });
  }
  return { tag, manifestDigest: doc.digest, layers };
}

export interface AppendOptions {
  log?: Log;
  signal?: AbortSignal;
  /** Layers to remove in the same update (attest --replace). */
  drop?: (layer: Descriptor) => boolean;
  settleMs?: number;
  /** The append's write has landed under this tag; only its settle-and-confirm remains (safe-update.ts). */
  onWritten?: (tag: string) => void;
}

/**
 * Uploads the payload and appends its layer to the subject's `.sig`/`.att` image.
 * Requests on a registry, for a first signature: the payload and the image for the payload alone
 * (its config) are uploaded at once, without asking first whether the registry has them (they
 * were made just now); then GET the tag (absent), PUT the image, and the confirming GET after the
 * settle. When the tag exists, the config for the merged layers is uploaded after the read, and
 * the one made in advance is left unreferenced (a small blob the registry's GC removes).
 */
export async function appendLegacyLayer(
  store: ImageStore,
  digest: string,
  kind: AttachmentKind,
  layer: Descriptor,
  payload: Uint8Array,
  opts: AppendOptions = {},
): Promise<{ tag: string; manifestDigest: string }> {
  const startedAt = performance.now();
  const [, firstImage] = await Promise.all([store.putBlob(payload, { likelyNew: true }), buildSignatureImage(store, [layer], null)]);
  const whenAbsent = { ...firstImage, startedAt };
  const tag = attachmentTag(store, digest, kind);
  const manifestDigest = await updateTaggedList(
    store,
    {
      tag,
      entriesOf: layersOf,
      add: [layer],
      drop: opts.drop,
      whenAbsent,
      build: (entries, current) => buildSignatureImage(store, entries, current),
    },
    { ...opts, onWritten: opts.onWritten && (() => opts.onWritten!(tag)) },
  );
  return { tag, manifestDigest };
}
