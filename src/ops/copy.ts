// seal copy: an image and everything attached to it, from one repository or OCI layout to another.
// The image goes first (byte for byte, so its digest, which every signature names, stays the
// same), then its attachments in both storage generations:
//   - legacy `sha256-<hex>.sig/.att/.sbom` images: their layers are merged into what the
//     destination already has (safe-update.ts, as signing does), or replace it with `force`;
//   - OCI 1.1 referrers: each manifest is put as it is through attachReferrer, so a destination
//     without the referrers API gets the tag-schema fallback index.
// With `recursive`, the attachments of each child of an index are copied too (cosign copy does).
import { childDescriptors, openImage } from '../cosign/image.ts';
import { SealError, usageError } from '../errors.ts';
import type { Log } from '../log.ts';
import { copyImage as copyManifests } from '../oci/copy.ts';
import { attachmentTag, type AttachmentKind } from '../cosign/layout.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { attachReferrer, listReferrers } from '../oci/referrers.ts';
import { entryKey, updateTaggedList } from '../oci/safe-update.ts';
import { buildSignatureImage } from '../cosign/signature-image.ts';
import { layersOf } from '../oci/manifest.ts';
import { openStore } from '../oci/open-store.ts';
import type { ImageStore, StoreOptions } from '../oci/store.ts';
import type { FetchedManifest, ImageManifest } from '../oci/types.ts';
import type { OnProgress } from '../progress.ts';
import type { OpEnv } from './op-env.ts';

export type CopyKind = AttachmentKind | 'referrers';
export const COPY_KINDS: readonly CopyKind[] = ['sig', 'att', 'sbom', 'referrers'];

export interface CopyOptions {
  src: string;
  dst: string;
  /** What to copy besides the image; empty copies the image alone. Default: every kind. */
  only?: readonly CopyKind[];
  /** Replace the destination's `.sig/.att/.sbom` images instead of merging into them. */
  force?: boolean;
  /** Copy the attachments of an index's children too (default true). */
  recursive?: boolean;
  store: StoreOptions;
  /** os/arch[/variant]: copy only this platform image of the index `src` names (cosign's --platform). */
  platform?: string;
  /** Progress per blob transfer; default env.progress (the CLI's bar on a terminal). */
  progress?: (label: string) => OnProgress | undefined;
}

export interface CopiedAttachment {
  /** The digest the attachment is about (the image or one of its children). */
  subject: string;
  kind: CopyKind;
  /** Tag (legacy kinds) or manifest digest (referrers) at the source. */
  source: string;
  destination: string;
  /** Layers (legacy kinds) or 1 (a referrer). */
  entries: number;
  /** How many of them the destination did not have before. */
  added: number;
  /** The destination's image was replaced (`force`). */
  replaced?: boolean;
}

export interface CopyReport {
  source: string;
  destination: string;
  digest: string;
  mediaType: string;
  tag?: string;
  image: { manifests: number; blobsCopied: number; blobsMounted: number; blobsSkipped: number };
  attachments: CopiedAttachment[];
  /** Per kind: entries copied and how many were new at the destination. */
  counts: Record<CopyKind, { entries: number; added: number }>;
}

export async function copyImageWithAttachments(opts: CopyOptions, env: OpEnv): Promise<CopyReport> {
  const { log } = env;
  if (opts.platform !== undefined) {
    const { platformReference } = await import('./platform.ts');
    opts = { ...opts, src: await platformReference({ image: opts.src, platform: opts.platform, store: opts.store }, env), platform: undefined };
  }
  const dstRef = parseReference(opts.dst);
  if (dstRef.digest) {
    throw usageError(`the destination ${opts.dst} names a digest; give a repository, optionally with a tag`, {
      hint: 'the copy keeps the source digest; seal copy SRC registry/repo[:tag]',
    });
  }
  const kinds = opts.only ?? COPY_KINDS;
  const img = await openImage(opts.src, opts.store, log);
  const src = img.attachStore;
  const dst = await openStore(dstRef, opts.store);
  const tag = dstRef.tag ?? img.tag;

  const copied = await copyManifests(img.store, dst, img.digest, { tag, signal: opts.store.signal, progress: opts.progress ?? env.progress });
  const back = await dst.getManifest(img.digest);
  if (!back || back.digest !== img.digest) {
    throw new SealError('registry', `${dst.name} does not serve the copy under ${img.digest}`, {
      code: 'DIGEST_CHANGED',
      hint: 'signatures name the image by digest; the destination must keep manifests byte for byte',
    });
  }
  const where = formatReference(dstRef, { digest: img.digest });
  const sent = copied.blobsCopied + copied.blobsMounted;
  log.info(`Copied ${opts.src} to ${where} (${plural(copied.manifests, 'manifest')}, ${plural(sent, 'blob')} sent, ${copied.blobsSkipped} already there)`);

  const subjects = [img.digest];
  if (opts.recursive ?? true) subjects.push(...childDescriptors(img.manifest).map((d) => d.digest));

  const attachments: CopiedAttachment[] = [];
  const ctx: Ctx = { src, dst, log, force: opts.force ?? false, signal: opts.store.signal };
  for (const subject of subjects) {
    for (const kind of kinds) {
      if (kind === 'referrers') attachments.push(...(await copyReferrers(ctx, subject)));
      else {
        const a = await copyLegacy(ctx, subject, kind);
        if (a) attachments.push(a);
      }
    }
  }

  const counts = Object.fromEntries(COPY_KINDS.map((k) => [k, { entries: 0, added: 0 }])) as CopyReport['counts'];
  for (const a of attachments) {
    counts[a.kind].entries += a.entries;
    counts[a.kind].added += a.added;
  }
  log.info(summary(counts, kinds));
  return {
    source: opts.src,
    destination: where,
    digest: img.digest,
    mediaType: img.manifest.mediaType,
    ...(tag ? { tag } : {}),
    image: {
      manifests: copied.manifests,
      blobsCopied: copied.blobsCopied,
      blobsMounted: copied.blobsMounted,
      blobsSkipped: copied.blobsSkipped,
    },
    attachments,
    counts,
  };
}

interface Ctx {
  src: ImageStore;
  dst: ImageStore;
  log: Log;
  force: boolean;
  signal?: AbortSignal;
}

const NAMES: Record<CopyKind, [string, string]> = {
  sig: ['signature layer', 'signature layers'],
  att: ['attestation layer', 'attestation layers'],
  sbom: ['SBOM', 'SBOMs'],
  referrers: ['referrer', 'referrers'],
};

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function summary(counts: CopyReport['counts'], kinds: readonly CopyKind[]): string {
  if (kinds.length === 0) return 'Attachments: not copied';
  const parts = kinds.map((k) => {
    const { entries, added } = counts[k];
    const name = NAMES[k][entries === 1 ? 0 : 1];
    return `${entries} ${name}${entries > 0 ? ` (${added} new)` : ''}`;
  });
  return `Attachments: ${parts.join(', ')}`;
}

/** One `.sig/.att/.sbom` image: blobs first, then the manifest merged into (or replacing) the destination's. */
async function copyLegacy(ctx: Ctx, subject: string, kind: AttachmentKind): Promise<CopiedAttachment | null> {
  const { src, dst, log } = ctx;
  const tag = attachmentTag(src, subject, kind);
  const doc = await src.getManifest(tag);
  if (!doc) return null;
  const layers = layersOf(doc);
  if (layers.length === 0) {
    log.warn(`${src.name}:${tag} is not a signature image (no layers); not copied`);
    return null;
  }
  await copyManifests(src, dst, doc.digest, { putRoot: false, signal: ctx.signal });
  const before = await dst.getManifest(tag);
  const had = new Set(before ? layersOf(before).map(entryKey) : []);
  const added = new Set(layers.map(entryKey).filter((k) => !had.has(k))).size;
  const base = { subject, kind, source: `${src.name}:${tag}`, destination: `${dst.name}:${tag}`, entries: layers.length };

  if (ctx.force) {
    await dst.putManifest(doc.bytes, doc.mediaType, { tag });
    log.debug(`${dst.name}:${tag} replaced by ${doc.digest}`);
    return { ...base, added, replaced: true };
  }
  const sourceKeys = layers.map(entryKey).join('\n');
  await updateTaggedList(
    dst,
    {
      tag,
      entriesOf: layersOf,
      add: layers,
      // A tag the destination lacks gets the source manifest itself (same bytes, same digest);
      // otherwise the merged layers make a new image, in the existing image's media types.
      build: async (entries, current) =>
        !current && entries.map(entryKey).join('\n') === sourceKeys
          ? { bytes: doc.bytes, mediaType: doc.mediaType }
          : buildSignatureImage(dst, entries, current ?? doc),
    },
    { log, signal: ctx.signal },
  );
  return { ...base, added };
}

/** Every referrer of `subject`: its blobs, then the manifest itself through attachReferrer. */
async function copyReferrers(ctx: Ctx, subject: string): Promise<CopiedAttachment[]> {
  const { src, dst, log } = ctx;
  const out: CopiedAttachment[] = [];
  const refs = await listReferrers(src, subject);
  if (refs.length === 0) return out;
  const present = new Set((await listReferrers(dst, subject)).map((d) => d.digest));
  for (const ref of refs) {
    const doc = await src.getManifest(ref.digest);
    if (!doc) {
      log.warn(`${src.name} lists referrer ${ref.digest} of ${subject} but does not have it; not copied`);
      continue;
    }
    const manifest = parseReferrer(doc);
    if (manifest?.subject?.digest !== subject) {
      log.warn(`${src.name}@${ref.digest} is listed as a referrer of ${subject} but names another subject; not copied`);
      continue;
    }
    await copyManifests(src, dst, ref.digest, { putRoot: false, signal: ctx.signal });
    // attachReferrer reads the artifact type from the config of an image manifest; an index
    // referrer has none, so it falls back to an empty one.
    const desc = await attachReferrer(
      dst,
      doc.bytes,
      { ...manifest, config: manifest.config ?? { mediaType: '', digest: '', size: 0 } },
      {
        log,
        signal: ctx.signal,
      },
    );
    if (desc.digest !== ref.digest) {
      throw new SealError('registry', `${dst.name} stored referrer ${ref.digest} as ${desc.digest}`, { code: 'DIGEST_CHANGED' });
    }
    out.push({
      subject,
      kind: 'referrers',
      source: `${src.name}@${ref.digest}`,
      destination: `${dst.name}@${ref.digest}`,
      entries: 1,
      added: present.has(ref.digest) ? 0 : 1,
    });
  }
  return out;
}

function parseReferrer(doc: FetchedManifest): ImageManifest | null {
  try {
    const json = JSON.parse(Buffer.from(doc.bytes).toString('utf8')) as ImageManifest;
    return json && typeof json === 'object' ? json : null;
  } catch {
    return null;
  }
}
