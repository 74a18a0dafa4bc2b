// cosign v3 storage: each signature or attestation is a Sigstore bundle in its own OCI 1.1
// referrer manifest (docs/formats/cosign-formats.md b.6, d.5), found through the referrers API or the
// tag-schema fallback.
import { isSealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, BUNDLE_MEDIA_TYPE, BUNDLE_MEDIA_TYPE_PREFIX } from './layout.ts';
import { EMPTY_CONFIG_DIGEST, OCI_EMPTY, OCI_MANIFEST } from '../oci/media-types.ts';
import { attachReferrer, listReferrers, type AttachOptions } from '../oci/referrers.ts';
import { sha256Digest } from '../oci/digest.ts';
import { embeddedContent, withEmbedded } from '../oci/embedded.ts';
import { parseImageManifest } from '../oci/manifest.ts';
import type { ImageStore } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import { mapPool } from '../util/pool.ts';

const EMPTY_CONFIG = Buffer.from('{}');
/** Bytes of one stored bundle (a DSSE bundle with an SBOM predicate can be several MiB). */
export const MAX_BUNDLE = 16 * 1024 * 1024;
/**
 * A bundle up to this size is also embedded in its layer descriptor (`data`, oci/embedded.ts) when
 * written to a registry: a signature's bundle (a few KiB) then comes with its manifest, which
 * itself comes with the fallback index (oci/referrers.ts), so a verify reads one document per
 * image for both. The layer blob is uploaded all the same (cosign and other readers fetch it).
 */
export const MAX_EMBEDDED_BUNDLE = 16 * 1024;

export interface StoredBundle {
  /** The referrer manifest. */
  manifest: Descriptor;
  predicateType?: string;
  /** The exact bundle bytes stored in the layer. */
  bytes: Uint8Array;
}

/** RFC 3339 UTC with whole seconds, as cosign writes `org.opencontainers.image.created`. */
export const createdNow = (now: Date = new Date()): string => now.toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function attachBundle(
  store: ImageStore,
  subject: Descriptor,
  bundleBytes: Uint8Array,
  info: { predicateType: string; content?: 'dsse-envelope' | 'message-signature'; now?: Date },
  opts: Omit<AttachOptions, 'onWritten'> & { onWritten?: (referrer: string) => void } = {},
): Promise<Descriptor> {
  // The bundle is new (it holds a fresh signature): uploaded without asking first; the empty
  // config is usually there already.
  const [layer] = await Promise.all([store.putBlob(bundleBytes, { likelyNew: true }), store.putBlob(EMPTY_CONFIG)]);
  // Field order and the artifactType inside the config descriptor follow cosign (`cosign clean` relies on it).
  const manifest = {
    schemaVersion: 2 as const,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_EMPTY, size: 2, digest: EMPTY_CONFIG_DIGEST, artifactType: BUNDLE_MEDIA_TYPE },
    layers: [embedBundle(store, { mediaType: BUNDLE_MEDIA_TYPE, size: layer.size, digest: layer.digest }, bundleBytes)],
    annotations: {
      [ANNOTATION.bundleContent]: info.content ?? 'dsse-envelope',
      [ANNOTATION.bundlePredicateType]: info.predicateType,
      [ANNOTATION.created]: createdNow(info.now),
    },
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
    artifactType: BUNDLE_MEDIA_TYPE,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256Digest(bytes);
  return attachReferrer(store, bytes, manifest, { ...opts, onWritten: opts.onWritten && (() => opts.onWritten!(digest)) });
}

/** The layer descriptor, with the bundle embedded when it is small and the store a registry. */
function embedBundle(store: ImageStore, layer: Descriptor, bundleBytes: Uint8Array): Descriptor {
  return store.ref.kind === 'registry' && bundleBytes.length <= MAX_EMBEDDED_BUNDLE ? withEmbedded(layer, bundleBytes) : layer;
}

/** A bundle referrer as listed, before its bundle is read. */
export interface ListedBundle {
  /** The referrer manifest. */
  manifest: Descriptor;
  predicateType?: string;
  /** The layer holding the bundle (with `data` when the manifest embeds it). */
  layer: Descriptor;
}

/**
 * The bundle referrers of `digest` (any predicate type), without their bundles: at most
 * MAX_REFERRERS of them (listReferrers refuses more), each manifest read and dropped, so this
 * holds descriptors only. Unreadable referrers are skipped with a debug line.
 */
export async function listBundles(store: ImageStore, digest: string, log?: Log): Promise<ListedBundle[]> {
  const listed = (await listReferrers(store, digest)).filter((d) => !d.artifactType || d.artifactType.startsWith(BUNDLE_MEDIA_TYPE_PREFIX));
  // The manifests (small, bounded) are read a few at a time: an image with a signature, an SBOM
  // and a scan pays one round trip, not three. The order of the listing is kept.
  const found = await mapPool(listed, MANIFEST_READS, async (desc): Promise<ListedBundle | undefined> => {
    try {
      // A manifest embedded in the listing, checked against the listed digest and size, is the
      // manifest a read by that digest returns (after the same check).
      const embedded = embeddedContent(desc);
      const doc = embedded ? { digest: desc.digest, mediaType: desc.mediaType, bytes: embedded } : await store.getManifest(desc.digest);
      if (!doc) return undefined;
      const m = parseImageManifest(doc);
      if (m.subject?.digest !== digest) return undefined; // a fallback index may list anything; trust only the manifest
      if (m.layers.length !== 1 || !m.layers[0]!.mediaType.startsWith(BUNDLE_MEDIA_TYPE_PREFIX)) return undefined;
      const layer = m.layers[0]!;
      return {
        manifest: { ...desc, digest: doc.digest },
        predicateType: m.annotations?.[ANNOTATION.bundlePredicateType],
        layer: { mediaType: layer.mediaType, digest: layer.digest, size: layer.size, ...(typeof layer.data === 'string' ? { data: layer.data } : {}) },
      };
    } catch (err) {
      if (isSealError(err, 'interrupted')) throw err;
      log?.debug(`skipping referrer ${desc.digest}: ${(err as Error).message}`);
      return undefined;
    }
  });
  return found.filter((b): b is ListedBundle => b !== undefined);
}

/** Referrer manifests read at once per subject. */
const MANIFEST_READS = 4;

/**
 * The bundle of a listed referrer: at most MAX_BUNDLE bytes, digest checked; the copy its manifest
 * embeds when that one has the layer's digest and size (the same bytes a read would return),
 * else read from the store.
 */
export async function readBundleBytes(store: ImageStore, listed: ListedBundle): Promise<Uint8Array> {
  const embedded = listed.layer.size <= MAX_BUNDLE ? embeddedContent(listed.layer) : undefined;
  return embedded ?? store.getBlob(listed.layer.digest, { maxBytes: MAX_BUNDLE });
}

/**
 * Every bundle referring to `digest`, one at a time: each is read when the consumer asks for the
 * next, so a consumer that verifies and drops them holds one bundle at a time. Unreadable ones
 * are skipped with a debug line.
 */
export async function* eachBundle(store: ImageStore, digest: string, log?: Log): AsyncGenerator<StoredBundle> {
  for (const listed of await listBundles(store, digest, log)) {
    let bytes: Uint8Array;
    try {
      bytes = await readBundleBytes(store, listed);
    } catch (err) {
      if (isSealError(err, 'interrupted')) throw err;
      log?.debug(`skipping referrer ${listed.manifest.digest}: ${(err as Error).message}`);
      continue;
    }
    yield { manifest: listed.manifest, predicateType: listed.predicateType, bytes };
  }
}

/** Every bundle referring to `digest`, all in memory: for callers that keep them all (few, small). */
export async function readBundles(store: ImageStore, digest: string, log?: Log): Promise<StoredBundle[]> {
  const out: StoredBundle[] = [];
  for await (const b of eachBundle(store, digest, log)) out.push(b);
  return out;
}
