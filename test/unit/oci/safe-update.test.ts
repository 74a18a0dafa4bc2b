import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LayoutStore } from '../../../src/oci/layout.ts';
import { parseReference, type LayoutReference } from '../../../src/oci/reference.ts';
import { updateTaggedList, updateTaggedListWithStats, type ListUpdate } from '../../../src/oci/safe-update.ts';
import { SealError } from '../../../src/errors.ts';
import { buildSignatureImage } from '../../../src/cosign/signature-image.ts';
import { layersOf } from '../../../src/oci/manifest.ts';
import type { ImageStore } from '../../../src/oci/store.ts';
import { silentLog } from '../../../src/log.ts';
import type { Descriptor } from '../../../src/oci/types.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function layout(): Promise<LayoutStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seal-safe-'));
  dirs.push(dir);
  const store = await LayoutStore.open(parseReference(`oci:${dir}`) as LayoutReference, { env: {}, log: silentLog });
  await store.init();
  return store;
}

/** A store that behaves like a registry: no compare-and-swap, and slow between read and write. */
function racyStore(inner: ImageStore, delayMs: number): ImageStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'atomicTagUpdates') return false;
      if (prop === 'putManifest') {
        return async (bytes: Uint8Array, mt: string, opts: { tag?: string } = {}) => {
          await new Promise((r) => setTimeout(r, Math.random() * delayMs));
          return target.putManifest(bytes, mt, { tag: opts.tag }); // ignores ifMatch
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

function sigUpdate(store: ImageStore, i: number): ListUpdate {
  const layer: Descriptor = {
    mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    size: 10,
    annotations: { 'dev.cosignproject.cosign/signature': `sig-${i}` },
  };
  return {
    tag: 'sha256-abc.sig',
    entriesOf: layersOf,
    add: [layer],
    build: (entries, current) => buildSignatureImage(store, entries, current),
  };
}

test('16 concurrent writers on a store without compare-and-swap lose nothing', async () => {
  const base = await layout();
  const store = racyStore(base, 30);
  await Promise.all(Array.from({ length: 16 }, (_, i) => updateTaggedList(store, sigUpdate(store, i), { settleMs: 120 })));
  const doc = await base.getManifest('sha256-abc.sig');
  assert.ok(doc);
  const sigs = layersOf(doc).map((l) => l.annotations?.['dev.cosignproject.cosign/signature']);
  assert.equal(new Set(sigs).size, 16, `expected 16 signatures, got ${sigs.length}: ${sigs.join(',')}`);
});

test('the race is real: without the settle check a naive append loses entries', async () => {
  const base = await layout();
  const store = racyStore(base, 30);
  await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const u = sigUpdate(store, i);
      const cur = await store.getManifest(u.tag);
      const doc = await u.build([...(cur ? layersOf(cur) : []), ...u.add], cur);
      await store.putManifest(doc.bytes, doc.mediaType, { tag: u.tag });
    }),
  );
  const doc = await base.getManifest('sha256-abc.sig');
  assert.ok(doc && layersOf(doc).length < 16, 'naive read-modify-write should have lost signatures');
});

test('16 concurrent writers on an OCI layout (compare-and-swap) lose nothing', async () => {
  const store = await layout();
  await Promise.all(Array.from({ length: 16 }, (_, i) => updateTaggedList(store, sigUpdate(store, i))));
  const doc = await store.getManifest('sha256-abc.sig');
  assert.equal(layersOf(doc!).length, 16);
});

test('an entry already present is not written again', async () => {
  const store = await layout();
  const first = await updateTaggedList(store, sigUpdate(store, 1));
  const second = await updateTaggedList(store, sigUpdate(store, 1));
  assert.equal(first, second);
  assert.equal(layersOf((await store.getManifest('sha256-abc.sig'))!).length, 1);
});

test('drop removes only the chosen entries and keeps the others', async () => {
  const store = await layout();
  for (const i of [1, 2, 3]) await updateTaggedList(store, sigUpdate(store, i));
  const u = sigUpdate(store, 4);
  await updateTaggedList(store, { ...u, drop: (d) => d.annotations?.['dev.cosignproject.cosign/signature'] === 'sig-2' });
  const sigs = layersOf((await store.getManifest('sha256-abc.sig'))!).map((l) => l.annotations?.['dev.cosignproject.cosign/signature']);
  assert.deepEqual(sigs.sort(), ['sig-1', 'sig-3', 'sig-4']);
});

// ---- settle period: proportional for a lone writer, long once another writer shows ----------

interface Hooks {
  /** Runs after each of our tag writes lands, before putManifest returns. */
  afterPut?: (n: number) => Promise<void>;
  /** Honour If-Match against the stored digest, as a registry with conditional requests would. */
  conditional?: boolean;
  /** Make the first tag write fail the way a 503 does with `once` (optionally after landing). */
  failFirst?: 'before' | 'after';
  /** Runs before each of our tag writes lands (a write held in the network). */
  beforePut?: (n: number) => Promise<void>;
  /** Counts our reads of the tag. */
  onRead?: () => void;
  /** Offer a HEAD (resolve), as a registry store does. */
  head?: boolean;
}

/** A registry-like store over a layout: no compare-and-swap unless asked, ETags = digests. */
function registryLike(inner: LayoutStore, hooks: Hooks = {}): ImageStore {
  let puts = 0;
  let lock: Promise<void> = Promise.resolve();
  const ref = { kind: 'registry', registry: `fake-${Math.random()}.example`, repository: 'app' };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'atomicTagUpdates') return false;
      if (prop === 'ref') return ref;
      if (prop === 'resolve' && hooks.head) {
        return async (r: string) => {
          hooks.onRead?.();
          const doc = await target.getManifest(r);
          return doc && { mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.length };
        };
      }
      if (prop === 'getManifest') {
        return async (r: string) => {
          hooks.onRead?.();
          const doc = await target.getManifest(r);
          return doc && { ...doc, etag: `"${doc.digest}"` };
        };
      }
      if (prop === 'putManifest') {
        return (bytes: Uint8Array, mt: string, opts: { tag?: string; ifMatch?: string; once?: boolean } = {}) => {
          // One write at a time, so the If-Match check and the write are one step.
          const turn = lock.then(() => put(bytes, mt, opts));
          lock = turn.then(
            () => {},
            () => {},
          );
          return turn;
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  async function put(bytes: Uint8Array, mt: string, opts: { tag?: string; ifMatch?: string; once?: boolean }) {
    if (hooks.conditional && opts.ifMatch !== undefined) {
      const cur = opts.tag ? await inner.getManifest(opts.tag) : null;
      if (!cur || `"${cur.digest}"` !== opts.ifMatch) throw new SealError('conflict', 'precondition failed: 412', { code: 'HTTP_412' });
    }
    if (!opts.tag) return inner.putManifest(bytes, mt, {});
    const n = ++puts;
    await hooks.beforePut?.(n);
    if (n === 1 && hooks.failFirst === 'before') throw new SealError('registry', 'failed: 503', { code: 'WRITE_UNCONFIRMED' });
    const res = await inner.putManifest(bytes, mt, { tag: opts.tag });
    if (n === 1 && hooks.failFirst === 'after') throw new SealError('registry', 'reset', { code: 'WRITE_UNCONFIRMED' });
    await hooks.afterPut?.(n);
    return res;
  }
}

const sigsOf = async (store: ImageStore) =>
  layersOf((await store.getManifest('sha256-abc.sig'))!)
    .map((l) => l.annotations?.['dev.cosignproject.cosign/signature'])
    .sort();

test('a lone writer settles for a multiple of its own window, not the long period', async () => {
  const base = await layout();
  const store = registryLike(base);
  // A long period that would time the test out if it were used.
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 600_000 });
  assert.equal(stats.contended, false);
  assert.ok(stats.settledMs < 600_000 * 0.75);
  assert.deepEqual(await sigsOf(base), ['sig-1']);
});

test('a stale write landing after ours is seen, repaired, and switches to the long period', async () => {
  const base = await layout();
  await updateTaggedList(base, sigUpdate(base, 0));
  const stale = await base.getManifest('sha256-abc.sig'); // another writer read this, before our write
  const other = sigUpdate(base, 2);
  const store = registryLike(base, {
    afterPut: async (n) => {
      if (n !== 1) return;
      const doc = await other.build([...layersOf(stale!), ...other.add], stale);
      await base.putManifest(doc.bytes, doc.mediaType, { tag: other.tag }); // drops our sig-1
    },
  });
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 50 });
  assert.equal(stats.contended, true);
  assert.ok(stats.attempts >= 2);
  assert.ok(stats.settledMs >= 50 * 0.75, `settled ${stats.settledMs} ms`);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1', 'sig-2']);
});

test('another writer appending after us (keeping our entry) also switches to the long period', async () => {
  const base = await layout();
  const other = sigUpdate(base, 2);
  const store = registryLike(base, {
    afterPut: async (n) => {
      if (n === 1) await updateTaggedList(base, other);
    },
  });
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 50 });
  assert.equal(stats.contended, true);
  assert.ok(stats.settledMs >= 50 * 0.75, `settled ${stats.settledMs} ms`);
  assert.deepEqual(await sigsOf(base), ['sig-1', 'sig-2']);
});

test('where the registry honours If-Match, the write is a compare-and-swap and nothing settles', async () => {
  const base = await layout();
  await updateTaggedList(base, sigUpdate(base, 0));
  const store = registryLike(base, { conditional: true });
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 600_000 });
  assert.equal(stats.conditional, true);
  assert.equal(stats.settledMs, 0);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1']);
});

test('16 concurrent writers on a registry that honours If-Match lose nothing', async () => {
  const base = await layout();
  await updateTaggedList(base, sigUpdate(base, 100));
  const store = registryLike(base, { conditional: true });
  await Promise.all(Array.from({ length: 16 }, (_, i) => updateTaggedList(store, sigUpdate(store, i), { settleMs: 600_000 })));
  assert.equal((await sigsOf(base)).length, 17);
});

for (const when of ['before', 'after'] as const) {
  test(`a tag write whose answer is lost (${when} it landed) is read and merged again, not resent blindly`, async () => {
    const base = await layout();
    const store = registryLike(base, { failFirst: when });
    const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 600_000 });
    assert.ok(stats.attempts >= 2);
    assert.deepEqual(await sigsOf(base), ['sig-1']);
  });
}

test('a write held on its way: what landed meanwhile is read while waiting and written back', async () => {
  const base = await layout();
  await updateTaggedList(base, sigUpdate(base, 0));
  let reads = 0;
  let holding = false;
  let readsWhileHeld = 0;
  const quick = registryLike(base);
  const store = registryLike(base, {
    onRead: () => {
      reads++;
      if (holding) readsWhileHeld++;
    },
    beforePut: async (n) => {
      if (n !== 1) return;
      // Our PUT is held while a quick writer appends, confirms after its short settle and is gone;
      // then ours lands, built from the version before sig-2.
      holding = true;
      const other = await updateTaggedListWithStats(quick, sigUpdate(quick, 2), { settleMs: 600_000 });
      assert.equal(other.contended, false, 'the quick writer saw nobody and settled briefly');
      await new Promise((r) => setTimeout(r, 40)); // a few more of our looks
      holding = false;
    },
  });
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 50 });
  assert.ok(readsWhileHeld >= 1, `looked ${readsWhileHeld} times while held (${reads} reads in all)`);
  assert.equal(stats.contended, true);
  assert.ok(stats.attempts >= 2, `${stats.attempts} attempts`);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1', 'sig-2']);
});

test('a write held on its way while nobody else writes: looked at, nothing to write back', async () => {
  const base = await layout();
  let holding = false;
  let readsWhileHeld = 0;
  const store = registryLike(base, {
    onRead: () => {
      if (holding) readsWhileHeld++;
    },
    beforePut: async (n) => {
      if (n !== 1) return;
      holding = true;
      await new Promise((r) => setTimeout(r, 120));
      holding = false;
    },
  });
  const stats = await updateTaggedListWithStats(store, sigUpdate(store, 1), { settleMs: 600_000 });
  assert.ok(readsWhileHeld >= 1);
  assert.equal(stats.contended, false);
  assert.equal(stats.attempts, 1);
  assert.deepEqual(await sigsOf(base), ['sig-1']);
});

test('a copy grown old before its write (the writer starved of CPU after its read) is looked at again and merged, not written stale', async () => {
  const base = await layout();
  await updateTaggedList(base, sigUpdate(base, 0));
  let tagWrites = 0;
  const store = registryLike(base, {
    head: true,
    beforePut: async () => {
      tagWrites++;
    },
  });
  const u = sigUpdate(store, 1);
  let starved = false;
  const update: ListUpdate = {
    ...u,
    buildUploads: false, // no HEAD check for an upload: only the copy's age calls for one
    build: async (entries, current) => {
      const doc = await u.build(entries, current);
      if (!starved) {
        starved = true;
        // Another writer appends, confirms and is gone...
        await updateTaggedList(base, sigUpdate(base, 2));
        // ...and this process gets no CPU for a while: no timer of ours runs, the watch cannot look.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
      }
      return doc;
    },
  };
  const stats = await updateTaggedListWithStats(store, update, { settleMs: 50 });
  assert.ok(stats.ageChecks >= 1, 'looked at the tag before writing the old copy');
  assert.equal(tagWrites, 1, 'one write, with the other entry merged in (not a stale write and a repair)');
  assert.equal(stats.contended, true);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1', 'sig-2']);
});
