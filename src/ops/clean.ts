// seal clean: remove signatures, attestations and SBOMs attached to an image, in both storage
// formats. Never the image itself: every deletion is checked against the image's own digests.
import { childDescriptors, openImage } from '../cosign/image.ts';
import { listBundles } from '../cosign/referrer-bundles.ts';
import { SealError } from '../errors.ts';
import { attachmentTag, COSIGN_SIGN_PREDICATE, type AttachmentKind } from '../cosign/layout.ts';
import { referrersFallbackTag } from '../oci/referrers.ts';
import { OCI_INDEX } from '../oci/media-types.ts';
import { detachReferrer, fallbackEntries } from '../oci/referrers.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

export type CleanType = 'signature' | 'attestation' | 'sbom' | 'all';

export interface CleanResult {
  removed: string[];
}

export interface CleanOptions {
  image: string;
  type: CleanType;
  store: StoreOptions;
}

export async function cleanImage({ image, type, store }: CleanOptions, env: OpEnv): Promise<CleanResult> {
  const { log } = env;
  const img = await openImage(image, store, log);
  const s = img.attachStore;
  const protectedDigests = new Set([img.digest, ...childDescriptors(img.manifest).map((d) => d.digest)]);
  const removed: string[] = [];
  const kinds: AttachmentKind[] = type === 'all' ? ['sig', 'att', 'sbom'] : type === 'signature' ? ['sig'] : type === 'attestation' ? ['att'] : ['sbom'];

  for (const kind of kinds) {
    const tag = attachmentTag(s, img.digest, kind);
    const doc = await s.getManifest(tag);
    if (!doc) continue;
    if (protectedDigests.has(doc.digest)) throw new SealError('internal', `refusing to delete ${tag}: it is the image itself`);
    await s.deleteTag(tag);
    removed.push(`${s.name}:${tag}`);
    log.info(`Removed ${s.name}:${tag}`);
  }

  if (type !== 'sbom') {
    for (const b of await listBundles(s, img.digest, log)) {
      const isSig = !b.predicateType || b.predicateType === COSIGN_SIGN_PREDICATE;
      if (type === 'signature' && !isSig) continue;
      if (type === 'attestation' && isSig) continue;
      if (protectedDigests.has(b.manifest.digest)) continue;
      // Out of the fallback index first: the index may embed the manifest and its bundle
      // (oci/embedded.ts), which a reader would still verify if a run stopped between the two.
      await detachReferrer(s, img.digest, b.manifest.digest, { log });
      await s.deleteManifest(b.manifest.digest);
      removed.push(`${s.name}@${b.manifest.digest}`);
      log.info(`Removed referrer ${s.name}@${b.manifest.digest}`);
    }
    // An emptied fallback index is removed too, but only if it is an index (cosign copy puts the
    // image itself under the same tag).
    const fbTag = referrersFallbackTag(img.digest);
    const fb = await s.getManifest(fbTag);
    if (fb && fb.mediaType === OCI_INDEX && !protectedDigests.has(fb.digest)) {
      if (fallbackEntries(fb).length === 0) {
        await s.deleteTag(fbTag);
        removed.push(`${s.name}:${fbTag}`);
      }
    }
  }
  return { removed };
}
