// Appending to a tagged list (the layers of a `.sig`/`.att` image, the manifests of a referrers
// fallback index) without losing anybody's entry.
//
// The registry protocol has no locking and most registries ignore If-Match, so two writers that
// read the same version both PUT, and the later PUT drops the earlier writer's entry (cosign
// issue 2432). Each writer here:
//   1. reads the list and merges: the current entries, every entry it has ever seen in this
//      run (so it restores entries that another writer's stale PUT dropped), and its own;
//   2. writes when that differs from what it read (with If-Match where the store honours it);
//   3. waits a settle period longer than another writer's read-modify-write, re-reads, and is
//      done only when its own entries and every entry it has seen are present.
// A writer that read before our PUT lands its (stale) PUT within the settle period, so step 3
// sees the loss and repairs it; a writer that reads after our PUT already carries our entry.
// The settle period is at least three times this writer's own read-to-write time: on a slow
// registry or a starved machine every writer's window grows, and so does the wait.
// Stores with compare-and-swap tags (OCI layouts) skip the settle period.
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import type { ImageStore } from './store.ts';
import type { Descriptor, FetchedManifest } from './types.ts';

export interface ListUpdate {
  tag: string;
  /** The entries of the manifest or index behind the tag. */
  entriesOf(doc: FetchedManifest): Descriptor[];
  /** Builds (and uploads whatever else it needs, e.g. a config blob) the new document. */
  build(entries: Descriptor[], current: FetchedManifest | null): Promise<{ bytes: Uint8Array; mediaType: string }>;
  /** Entries that must be present when done. */
  add: Descriptor[];
  /** Entries to drop on purpose (attest --replace); never restored. */
  drop?: (entry: Descriptor) => boolean;
  /** Entries equal under this key are the same entry (default: digest plus annotations). */
  keyOf?: (entry: Descriptor) => string;
}

export interface SafeUpdateOptions {
  log?: Log;
  /** Wait between writing and confirming; default 1500 ms for registries, 0 for layouts. */
  settleMs?: number;
  maxAttempts?: number;
  signal?: AbortSignal;
}

export const entryKey = (d: Descriptor): string => `${d.digest}|${canonicalAnnotations(d.annotations)}`;

function canonicalAnnotations(a: Record<string, string> | undefined): string {
  if (!a) return '';
  return JSON.stringify(Object.keys(a).sort().map((k) => [k, a[k]]));
}

export async function updateTaggedList(store: ImageStore, u: ListUpdate, opts: SafeUpdateOptions = {}): Promise<string> {
  const keyOf = u.keyOf ?? entryKey;
  const drop = u.drop ?? (() => false);
  const settleMs = opts.settleMs ?? (store.atomicTagUpdates ? 0 : 1500);
  const maxAttempts = opts.maxAttempts ?? 30;
  const seen = new Map<string, Descriptor>();
  const ours = new Map(u.add.map((d) => [keyOf(d), d]));
  let wrote = false;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (opts.signal?.aborted) throw interrupted(u.tag);
    const readAt = performance.now();
    const current = await store.getManifest(u.tag);
    const entries = current ? u.entriesOf(current) : [];
    const currentKeys = new Set(entries.map(keyOf));
    for (const e of entries) if (!drop(e) || ours.has(keyOf(e))) seen.set(keyOf(e), e);
    const required = new Map([...seen, ...ours]);
    const missing = [...required.keys()].filter((k) => !currentKeys.has(k));
    const toDrop = entries.filter((e) => drop(e) && !ours.has(keyOf(e)));

    if (missing.length === 0 && toDrop.length === 0) {
      // Nothing to do and nothing written by us yet: the list already holds everything.
      if (current && !wrote) return current.digest;
    } else {
      const next = entries.filter((e) => !toDrop.includes(e));
      for (const k of missing) next.push(required.get(k)!);
      const doc = await u.build(next, current);
      try {
        const ifMatch = store.atomicTagUpdates ? (current?.etag ?? '') : current?.etag;
        await store.putManifest(doc.bytes, doc.mediaType, { tag: u.tag, ifMatch });
      } catch (err) {
        if (err instanceof SealError && err.code === 'PRECONDITION_FAILED') {
          opts.log?.debug(`${u.tag} changed under us (attempt ${attempt}); merging again`);
          await backoff(attempt, opts.signal);
          continue;
        }
        throw err;
      }
      wrote = true;
    }
    if (settleMs > 0) {
      const window = performance.now() - readAt; // our read-modify-write; others' are alike
      await sleep(Math.max(settleMs, 3 * window) * (0.75 + Math.random() * 0.5), opts.signal);
    }
    const after = await store.getManifest(u.tag);
    const afterKeys = new Set(after ? u.entriesOf(after).map(keyOf) : []);
    const lost = [...required.keys()].filter((k) => !afterKeys.has(k));
    if (after && lost.length === 0) return after.digest;
    opts.log?.debug(`${lost.length} entr${lost.length === 1 ? 'y' : 'ies'} of ${u.tag} overwritten by a concurrent writer; restoring`);
    await backoff(attempt, opts.signal);
  }
  throw new SealError('conflict', `could not update ${store.name}:${u.tag}: other writers kept replacing it`, {
    hint: 'nothing was removed; run the command again',
  });
}

// Waits end early on SIGINT/SIGTERM: what was written so far is a whole list (each PUT replaces
// the tag at once), so stopping between steps loses nothing.
const interrupted = (tag: string) => new SealError('interrupted', `interrupted while updating ${tag}; what was written before stays`);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted('the list'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(interrupted('the list'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
const backoff = (attempt: number, signal?: AbortSignal) => sleep(Math.min(2000, 20 * 2 ** Math.min(attempt, 6)) * Math.random(), signal);
