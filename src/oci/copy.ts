// Copies an image (a manifest or an index with all its children) and its blobs from one
// ImageStore to another: registry → registry, layout → registry, registry → layout. Blobs the
// destination has are skipped; on the same registry they are mounted from the source repository
// instead of sent; large blobs pass through a temporary file so memory stays constant.
// Children go first and the root last, so a reader never sees a root whose parts are missing.
import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SealError } from '../errors.ts';
import { isDigest } from './digest.ts';
import { isIndexType } from './media-types.ts';
import type { OnProgress } from '../progress.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor, ImageIndex, ImageManifest } from './types.ts';

export interface CopyOptions {
  /** Tag to put the root under in the destination; defaults to `reference` when it is a tag. */
  tag?: string;
  /** Blobs up to this size are copied in memory (default 32 MiB); larger ones via a temp file. */
  inMemoryLimit?: number;
  /**
   * Put the root manifest (default true). False copies only what the root needs (blobs, index
   * children), for callers that put the root themselves (referrers go through attachReferrer).
   */
  putRoot?: boolean;
  signal?: AbortSignal;
  /** A progress callback per blob transfer (`Downloading sha256:abc…`), or none (src/progress.ts). */
  progress?: (label: string) => OnProgress | undefined;
}

export interface CopyResult {
  /** The root manifest or index. */
  descriptor: Descriptor;
  blobsCopied: number;
  blobsMounted: number;
  blobsSkipped: number;
  manifests: number;
}

/** Layers that registries must not redistribute; copied only when the source has them. */
const FOREIGN = /\.(foreign|nondistributable)\./;

interface Mountable {
  mountBlob(digest: string, fromRepository: string): Promise<boolean>;
  ref: { kind: string; registry?: string; repository?: string };
}

function canMount(src: ImageStore, dst: ImageStore): string | undefined {
  const s = src.ref;
  const d = dst as ImageStore & Partial<Mountable>;
  if (s.kind !== 'registry' || d.ref.kind !== 'registry' || typeof d.mountBlob !== 'function') return undefined;
  if (s.registry !== d.ref.registry || s.repository === d.ref.repository) return undefined;
  return s.repository;
}

export async function copyImage(src: ImageStore, dst: ImageStore, reference: string, opts: CopyOptions = {}): Promise<CopyResult> {
  const result: CopyResult = {
    descriptor: { mediaType: '', digest: '', size: 0 },
    blobsCopied: 0,
    blobsMounted: 0,
    blobsSkipped: 0,
    manifests: 0,
  };
  const mountFrom = canMount(src, dst);
  const limit = opts.inMemoryLimit ?? 32 * 1024 * 1024;
  const doneBlobs = new Set<string>();

  const copyBlob = async (d: Descriptor): Promise<void> => {
    if (doneBlobs.has(d.digest)) return;
    doneBlobs.add(d.digest);
    if (await dst.hasBlob(d.digest)) {
      result.blobsSkipped++;
      return;
    }
    if (mountFrom && (await (dst as ImageStore & Mountable).mountBlob(d.digest, mountFrom))) {
      result.blobsMounted++;
      return;
    }
    if (FOREIGN.test(d.mediaType) && !(await src.hasBlob(d.digest))) return;
    const short = d.digest.slice(0, 19);
    // Small blobs (configs, signatures) are not worth a line of their own.
    const watch = (verb: string) => (opts.progress && d.size >= 1 << 20 ? opts.progress(`${verb} ${short}`) : undefined);
    if (d.size <= limit) {
      const data = await src.getBlob(d.digest, { maxBytes: limit, onProgress: watch('Downloading') });
      await dst.putBlob(data, { onProgress: watch('Uploading') });
    } else {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'seal-copy-'));
      try {
        const file = path.join(dir, 'blob');
        // openBlob checks the digest as it streams; the file is used only if that succeeded.
        await pipeline(Readable.from(await src.openBlob(d.digest, { onProgress: watch('Downloading') })), createWriteStream(file), { signal: opts.signal });
        await dst.putBlobFile(file, { digest: d.digest, size: d.size }, { onProgress: watch('Uploading') });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    result.blobsCopied++;
  };

  const copyManifest = async (ref: string, tag?: string, put = true): Promise<Descriptor> => {
    const m = await src.getManifest(ref);
    if (!m) throw new SealError('not-found', `${src.name}: manifest ${ref} not found`);
    let doc: ImageManifest & ImageIndex;
    try {
      doc = JSON.parse(Buffer.from(m.bytes).toString('utf8')) as ImageManifest & ImageIndex;
    } catch {
      throw new SealError('input', `${src.name}: manifest ${ref} is not JSON`);
    }
    if (isIndexType(m.mediaType) || Array.isArray(doc.manifests)) {
      for (const child of doc.manifests ?? []) await copyManifest(child.digest);
    } else {
      if (doc.config) await copyBlob(doc.config);
      for (const layer of doc.layers ?? []) await copyBlob(layer);
    }
    if (put) {
      const stored = await dst.putManifest(m.bytes, m.mediaType, tag ? { tag } : {});
      // Signatures name the subject by digest: a copy under another digest would orphan them.
      if (stored.digest !== m.digest) {
        throw new SealError('registry', `${dst.name} stored ${src.name}@${m.digest} as ${stored.digest}`, {
          code: 'DIGEST_CHANGED',
          hint: 'the destination changes the manifest digest (seal writes sha256); signatures over it would not match',
        });
      }
      result.manifests++;
    }
    return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  };

  const tag = opts.tag ?? (isDigest(reference) ? undefined : reference);
  result.descriptor = await copyManifest(reference, tag, opts.putRoot ?? true);
  return result;
}
