// Resolving what the user named to the manifest digest that gets signed or verified.
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { isIndexType } from '../oci/media-types.ts';
import { parseReference, type ImageReference, formatReference } from '../oci/reference.ts';
import { openStore } from '../oci/open-store.ts';
import type { ImageStore, StoreOptions } from '../oci/store.ts';
import type { Descriptor, FetchedManifest, ImageIndex } from '../oci/types.ts';

export interface ResolvedImage {
  ref: ImageReference;
  store: ImageStore;
  /** Where signatures, attestations and SBOMs go (SEAL_REPOSITORY / COSIGN_REPOSITORY, else `store`). */
  attachStore: ImageStore;
  digest: string;
  descriptor: Descriptor;
  manifest: FetchedManifest;
  /** The tag that was resolved, when the user gave a tag. */
  tag?: string;
}

export async function openImage(input: string, opts: StoreOptions, log: Log): Promise<ResolvedImage> {
  return resolveImage(await openImageStores(input, opts), input, log);
}

/**
 * What a batch resolves ahead of an image's turn (util/pool.ts mapPoolAhead): a tag reference's
 * image; nothing for a digest reference, whose manifest openImageWith reads alongside its lookup.
 */
export function resolveAhead(input: string, opts: StoreOptions, log: Log): Promise<ResolvedImage | undefined> {
  return parseReference(input).digest ? Promise.resolve(undefined) : openImage(input, opts, log);
}

/**
 * openImage, then `lookup(attachStore, digest)` (an image's signatures or attestations); with
 * `resolved` (resolveAhead's answer), only the lookup. When the reference names the digest, the
 * lookup starts at once, alongside the manifest read: one round trip fewer per image. Its result
 * is returned only after the manifest read confirmed that digest (the registry answered it, and
 * the bytes hash to it); on any failure of that read the lookup's result is dropped, as if it had
 * not been made.
 */
export async function openImageWith<T>(
  input: string,
  opts: StoreOptions,
  log: Log,
  lookup: (store: ImageStore, digest: string) => Promise<T>,
  resolved?: ResolvedImage,
): Promise<{ img: ResolvedImage; found: T }> {
  if (resolved) return { img: resolved, found: await lookup(resolved.attachStore, resolved.digest) };
  const stores = await openImageStores(input, opts);
  const digest = stores.ref.digest;
  if (!digest) {
    const img = await resolveImage(stores, input, log);
    return { img, found: await lookup(img.attachStore, img.digest) };
  }
  const early = lookup(stores.attachStore, digest);
  early.catch(() => {}); // awaited below unless the image cannot be resolved
  const img = await resolveImage(stores, input, log);
  return { img, found: await early };
}

interface ImageStores {
  ref: ImageReference;
  store: ImageStore;
  attachStore: ImageStore;
}

async function openImageStores(input: string, opts: StoreOptions): Promise<ImageStores> {
  const ref = parseReference(input);
  const store = await openStore(ref, opts);
  const repoOverride = opts.env.SEAL_REPOSITORY ?? opts.env.COSIGN_REPOSITORY;
  const attachStore = repoOverride ? await openStore(parseReference(repoOverride), opts) : store;
  return { ref, store, attachStore };
}

async function resolveImage({ ref, store, attachStore }: ImageStores, input: string, log: Log): Promise<ResolvedImage> {
  const reference = ref.digest ?? ref.tag ?? (await defaultTag(store, ref));
  const manifest = await store.getManifest(reference);
  if (!manifest) {
    throw new SealError('not-found', `image ${input} not found in ${store.name}`, {
      hint: ref.digest ? 'check the digest' : 'check the tag with `skopeo list-tags` or push the image first',
    });
  }
  if (ref.digest && manifest.digest !== ref.digest) {
    throw new SealError('verification', `${store.name} returned ${manifest.digest} for ${ref.digest}`);
  }
  if (!ref.digest) log.info(`Resolved ${input} to ${formatReference(ref, { digest: manifest.digest })}`);
  return {
    ref,
    store,
    attachStore,
    digest: manifest.digest,
    descriptor: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length },
    manifest,
    tag: ref.digest ? undefined : reference,
  };
}

/** `oci:DIR` without a tag: the layout's only image, else `latest`. */
async function defaultTag(store: ImageStore, ref: ImageReference): Promise<string> {
  if (ref.kind !== 'layout') return 'latest';
  const tags = (await store.listTags()).filter((t) => !/^sha256-[a-f0-9]{64}/.test(t));
  if (tags.length === 1) return tags[0]!;
  if (tags.includes('latest')) return 'latest';
  throw new SealError('usage', `${ref.original} holds ${tags.length} images (${tags.join(', ') || 'none'})`, {
    hint: `name one: oci:${ref.path}:TAG`,
  });
}

/** The manifests an index lists (for --recursive); empty for an image manifest. */
export function childDescriptors(manifest: FetchedManifest): Descriptor[] {
  if (!isIndexType(manifest.mediaType)) return [];
  const index = JSON.parse(Buffer.from(manifest.bytes).toString('utf8')) as ImageIndex;
  return index.manifests ?? [];
}
