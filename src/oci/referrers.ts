// OCI 1.1 referrers, with the tag-schema fallback for stores without the referrers API.
// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md#referrers-tag-schema
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { sha256Digest } from './digest.ts';
import { withEmbedded, withoutEmbedded } from './embedded.ts';
import { OCI_INDEX } from './media-types.ts';
import { updateTaggedList } from './safe-update.ts';
import { isDescriptor } from './manifest.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor, FetchedManifest, ImageIndex, ImageManifest } from './types.ts';

/** `sha256:abc…` → `sha256-abc…`: the OCI referrers tag-schema fallback index. */
export function referrersFallbackTag(digest: string): string {
  return digest.replace(':', '-');
}

/** Referrers seal reads for one subject, as cosign's cap of 1000 layers on a `.sig` image. */
export const MAX_REFERRERS = 1000;

/**
 * A referrer manifest up to this size is embedded (descriptor `data`, oci/embedded.ts) in its entry
 * of a registry's fallback index: a reader has it with the index, one round trip fewer per
 * referrer (a bundle referrer seal writes embeds its bundle too, so a verify reads the index and is
 * done). Readers that ignore `data` read the manifest by digest as before.
 */
export const MAX_EMBEDDED_MANIFEST = 32 * 1024;
/**
 * Base64 characters of embedded manifests in one fallback index: beyond this, entries (in index
 * order) are listed without their manifest, so the index every writer reads and rewrites stays small.
 */
export const MAX_EMBEDDED_IN_INDEX = 128 * 1024;

/**
 * The descriptors a fallback-tag document lists. Only an OCI index counts: `cosign copy` puts the
 * image itself under the same `sha256-<hex>` tag.
 */
export function fallbackEntries(doc: FetchedManifest): Descriptor[] {
  if (doc.mediaType !== OCI_INDEX) return [];
  try {
    const json = JSON.parse(Buffer.from(doc.bytes).toString('utf8')) as ImageIndex | null;
    // Entries that are not descriptors cannot name a referrer; they are skipped, not fatal.
    return Array.isArray(json?.manifests) ? json.manifests.filter(isDescriptor) : [];
  } catch {
    return [];
  }
}

/**
 * The referrers API of a registry store, asked once per registry per session (RegistrySession
 * referrersApi): whether a registry has the API does not depend on the image, so reading the
 * referrers of many images asks once (lookups started meanwhile wait for that answer); the
 * fallback tag is still read for every image. Writers (attachReferrer) ask through it too: a
 * "no API" answer makes them write the fallback tag, the safe side.
 */
function apiReferrers(store: ImageStore, digest: string, opts: { artifactType?: string }): Promise<Descriptor[] | null> {
  const session = store.session;
  if (store.ref.kind !== 'registry' || !session) return store.referrers(digest, opts);
  const registry = store.ref.registry;
  const known = session.referrersApi(registry);
  if (known) return known.then((has) => (has === false ? null : store.referrers(digest, opts)));
  const first = store.referrers(digest, opts);
  session.learnReferrersApi(
    registry,
    first.then(
      (r) => r !== null,
      () => undefined,
    ),
  );
  return first;
}

/** The manifests that name `digest` as their subject, from the API and the fallback tag (read in parallel). */
export async function listReferrers(store: ImageStore, digest: string, opts: { artifactType?: string } = {}): Promise<Descriptor[]> {
  const [api, fallback] = await Promise.all([apiReferrers(store, digest, opts), store.getManifest(referrersFallbackTag(digest))]);
  const fromTag = fallback ? fallbackEntries(fallback) : [];
  const all = new Map<string, Descriptor>();
  for (const d of [...(api ?? []), ...fromTag]) {
    if (opts.artifactType && d.artifactType !== opts.artifactType) continue;
    // The fallback entry of a referrer the API lists too may carry its manifest: that one is kept.
    const listed = all.get(d.digest);
    if (!listed || (listed.data === undefined && d.data !== undefined)) all.set(d.digest, d);
  }
  if (all.size > MAX_REFERRERS) {
    throw new SealError(
      'registry',
      `${store.name} lists ${all.size} referrers of ${digest}, more than the ${MAX_REFERRERS} seal reads (as the ${MAX_REFERRERS}-layer cap on .sig images)`,
      {
        code: 'TOO_MANY_REFERRERS',
        hint: 'remove old ones with seal clean, then sign again',
      },
    );
  }
  return [...all.values()];
}

export interface AttachOptions {
  log?: Log;
  signal?: AbortSignal;
  settleMs?: number;
  /** The fallback-index write has landed; only its settle remains (safe-update.ts). */
  onWritten?: () => void;
}

/**
 * Puts a manifest whose `subject` is set (by digest, untagged) and makes sure it can be found:
 * the registry indexes it itself when it has the referrers API; otherwise it is added to the
 * fallback index, safely against concurrent writers.
 */
export async function attachReferrer(store: ImageStore, manifestBytes: Uint8Array, manifest: ImageManifest, opts: AttachOptions = {}): Promise<Descriptor> {
  const mediaType = manifest.mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
  const putting = store.putManifest(manifestBytes, mediaType);
  putting.catch(() => {}); // awaited below, at the latest before the fallback index is written
  const desc: Descriptor = { mediaType, digest: sha256Digest(manifestBytes), size: manifestBytes.length };
  const artifactType = manifest.artifactType ?? manifest.config.mediaType;
  if (artifactType) desc.artifactType = artifactType;
  if (manifest.annotations) desc.annotations = { ...manifest.annotations };
  const stored = async () => {
    const put = await putting;
    if (put.digest !== desc.digest) {
      throw new SealError('registry', `${store.name} stored manifest ${desc.digest} as ${put.digest}`, { code: 'DIGEST_CHANGED' });
    }
    return put;
  };
  if (!manifest.subject) {
    await stored();
    return desc;
  }
  // On a registry this command already found without the referrers API (asked once per registry
  // and command, apiReferrers), the fallback index is read while the manifest is written (one
  // round trip fewer per image); the index is written only once the manifest is stored (build,
  // below), so it never lists a manifest that failed. Otherwise: the registry may index the
  // subject itself (its answer to the PUT says so), or have the API; writing the fallback tag is
  // the safe side of either answer.
  const noApi = store.ref.kind === 'registry' ? (await store.session?.referrersApi(store.ref.registry)) === false : false;
  if (!noApi) {
    if ((await stored()).subjectIndexed) return desc;
    const api = await apiReferrers(store, manifest.subject.digest, {});
    if (api !== null) {
      opts.log?.debug(`${store.name} has the referrers API; no fallback tag needed`);
      return desc;
    }
  }
  const tag = referrersFallbackTag(manifest.subject.digest);
  const entry = store.ref.kind === 'registry' && manifestBytes.length <= MAX_EMBEDDED_MANIFEST ? withEmbedded(desc, manifestBytes) : desc;
  await updateTaggedList(
    store,
    {
      tag,
      entriesOf: fallbackEntries,
      keyOf: (d) => d.digest,
      add: [entry],
      buildUploads: false,
      build: async (entries) => {
        await stored();
        const sorted = [...entries].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
        let room = MAX_EMBEDDED_IN_INDEX;
        const manifests = sorted.map((d) => {
          if (d.data === undefined) return d;
          if (typeof d.data !== 'string' || d.data.length > room) return withoutEmbedded(d);
          room -= d.data.length;
          return d;
        });
        const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
        return { bytes: Buffer.from(JSON.stringify(index)), mediaType: OCI_INDEX };
      },
    },
    opts,
  );
  await stored(); // when the index listed it already, nothing above waited for the write
  return desc;
}

/** Removes a referrer from the fallback index (the manifest itself is deleted by the caller). */
export async function detachReferrer(store: ImageStore, subjectDigest: string, digest: string, opts: AttachOptions = {}) {
  const tag = referrersFallbackTag(subjectDigest);
  const current = await store.getManifest(tag);
  if (!current || current.mediaType !== OCI_INDEX) return;
  await updateTaggedList(
    store,
    {
      tag,
      entriesOf: fallbackEntries,
      keyOf: (d) => d.digest,
      add: [],
      buildUploads: false,
      drop: (d) => d.digest === digest,
      build: async (entries) => {
        const index: ImageIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries };
        return { bytes: Buffer.from(JSON.stringify(index)), mediaType: OCI_INDEX };
      },
    },
    opts,
  );
}
