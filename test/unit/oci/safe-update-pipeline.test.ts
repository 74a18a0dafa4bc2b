// safe-update.ts beyond the merge itself: the document built before the read (whenAbsent), the
// HEAD check only after builds that upload, and the onWritten hook / untilWritten that let a
// batch release its concurrency slot during the settle.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { buildSignatureImage } from '../../../src/cosign/signature-image.ts';
import { SealError } from '../../../src/errors.ts';
import { silentLog } from '../../../src/log.ts';
import { LayoutStore } from '../../../src/oci/layout.ts';
import { layersOf } from '../../../src/oci/manifest.ts';
import { parseReference, type LayoutReference } from '../../../src/oci/reference.ts';
import { untilWritten, updateTaggedList, updateTaggedListWithStats, type ListUpdate } from '../../../src/oci/safe-update.ts';
import type { ImageStore } from '../../../src/oci/store.ts';
import type { Descriptor } from '../../../src/oci/types.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function layout(): Promise<LayoutStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seal-safe-pipe-'));
  dirs.push(dir);
  const store = await LayoutStore.open(parseReference(`oci:${dir}`) as LayoutReference, { env: {}, log: silentLog });
  await store.init();
  return store;
}

interface Calls {
  resolve: number;
  tagWrites: number;
  /** Milliseconds each tag write waits before landing (a slow registry). */
  delayMs?: number;
}

/** Registry-like over a layout: no compare-and-swap, no ETags, a HEAD (resolve), counted calls. */
function registryLike(inner: LayoutStore, calls: Calls): ImageStore {
  const ref = { kind: 'registry', registry: `fake-${Math.random()}.example`, repository: 'app' };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'atomicTagUpdates') return false;
      if (prop === 'ref') return ref;
      if (prop === 'resolve') {
        return async (r: string) => {
          calls.resolve++;
          const doc = await target.getManifest(r);
          return doc && { mediaType: doc.mediaType, digest: doc.digest, size: doc.bytes.length };
        };
      }
      if (prop === 'putManifest') {
        return async (bytes: Uint8Array, mt: string, opts: { tag?: string } = {}) => {
          if (opts.tag) calls.tagWrites++;
          if (calls.delayMs) await new Promise((r) => setTimeout(r, Math.random() * calls.delayMs!));
          return target.putManifest(bytes, mt, { tag: opts.tag }); // ignores If-Match
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const layer = (i: number): Descriptor => ({
  mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  digest: `sha256:${i.toString(16).padStart(64, '0')}`,
  size: 10,
  annotations: { 'dev.cosignproject.cosign/signature': `sig-${i}` },
});

/** A `.sig` update counting its builds; with `prebuild`, the first-signature document made in advance. */
async function sigUpdate(store: ImageStore, i: number, builds: { n: number }, prebuild = true): Promise<ListUpdate> {
  const add = [layer(i)];
  return {
    tag: 'sha256-abc.sig',
    entriesOf: layersOf,
    add,
    whenAbsent: prebuild ? { ...(await buildSignatureImage(store, add, null)), startedAt: performance.now() } : undefined,
    build: (entries, current) => {
      builds.n++;
      return buildSignatureImage(store, entries, current);
    },
  };
}

const sigsOf = async (store: ImageStore) =>
  layersOf((await store.getManifest('sha256-abc.sig'))!)
    .map((l) => l.annotations?.['dev.cosignproject.cosign/signature'])
    .sort();

test('a first signature writes the document built before the read: no build and no HEAD between read and write', async () => {
  const base = await layout();
  const calls: Calls = { resolve: 0, tagWrites: 0 };
  const store = registryLike(base, calls);
  const builds = { n: 0 };
  const stats = await updateTaggedListWithStats(store, await sigUpdate(store, 1, builds), { settleMs: 600_000 });
  assert.equal(builds.n, 0);
  // HEADs the store saw: only the looks of the watch, if the write was slow (a loaded machine).
  assert.equal(stats.checks, 0);
  assert.equal(calls.resolve, stats.ageChecks + stats.looks);
  assert.equal(calls.tagWrites, 1);
  assert.equal(stats.contended, false);
  assert.deepEqual(await sigsOf(base), ['sig-1']);
});

test('the settle of a first signature counts the time its document took to build before the read', async () => {
  const base = await layout();
  const store = registryLike(base, { resolve: 0, tagWrites: 0 });
  const u = await sigUpdate(store, 1, { n: 0 });
  // Built 200 ms "before" the read: a window of at least 200 ms, settled 3x (x0.75 at least).
  const stats = await updateTaggedListWithStats(store, { ...u, whenAbsent: { ...u.whenAbsent!, startedAt: performance.now() - 200 } }, { settleMs: 600_000 });
  assert.equal(stats.contended, false);
  assert.ok(stats.settledMs >= 3 * 200 * 0.75, `settled ${stats.settledMs} ms`);
});

test('when the tag exists, the document made in advance is not used: build, HEAD check, write', async () => {
  const base = await layout();
  const builds = { n: 0 };
  await updateTaggedList(base, await sigUpdate(base, 0, builds));
  const calls: Calls = { resolve: 0, tagWrites: 0 };
  const store = registryLike(base, calls);
  const stats = await updateTaggedListWithStats(store, await sigUpdate(store, 1, builds), { settleMs: 600_000 });
  assert.equal(builds.n, 1);
  assert.equal(stats.checks, 1);
  assert.equal(calls.resolve, 1 + stats.ageChecks + stats.looks);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1']);
});

test('a build that uploads nothing (buildUploads: false) is written without the HEAD check', async () => {
  const base = await layout();
  const builds = { n: 0 };
  await updateTaggedList(base, await sigUpdate(base, 0, builds));
  const calls: Calls = { resolve: 0, tagWrites: 0 };
  const store = registryLike(base, calls);
  const stats = await updateTaggedListWithStats(store, { ...(await sigUpdate(store, 1, builds)), buildUploads: false }, { settleMs: 600_000 });
  assert.equal(stats.checks, 0);
  assert.equal(calls.resolve, stats.ageChecks + stats.looks);
  assert.deepEqual(await sigsOf(base), ['sig-0', 'sig-1']);
});

test('16 concurrent first signatures, each with its document made in advance, lose nothing', async () => {
  const base = await layout();
  const store = registryLike(base, { resolve: 0, tagWrites: 0, delayMs: 30 });
  const builds = { n: 0 };
  const updates = await Promise.all(Array.from({ length: 16 }, (_, i) => sigUpdate(store, i, builds)));
  await Promise.all(updates.map((u) => updateTaggedList(store, u, { settleMs: 120 })));
  assert.equal((await sigsOf(base)).length, 16);
});

test('onWritten is called once, after the write and before the settle ends', async () => {
  const base = await layout();
  const calls: Calls = { resolve: 0, tagWrites: 0 };
  const store = registryLike(base, calls);
  const events: string[] = [];
  await updateTaggedList(store, await sigUpdate(store, 1, { n: 0 }), {
    settleMs: 600_000,
    windowFactor: 20, // a settle long enough to tell apart from the write
    onWritten: () => events.push(`written after ${calls.tagWrites} write(s)`),
  }).then(() => events.push('settled'));
  assert.deepEqual(events, ['written after 1 write(s)', 'settled']);
});

test('untilWritten resolves at the write, with the settle still running, and hands over what the hook got', async () => {
  let finish!: () => void;
  const { settled, written } = await untilWritten((onWritten: (tag: string) => void) => {
    onWritten('sha256-abc.sig');
    return new Promise<string>((resolve) => (finish = () => resolve('done')));
  });
  assert.equal(written, 'sha256-abc.sig');
  let done = false;
  void settled.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'the settle is not over yet');
  finish();
  assert.equal(await settled, 'done');
});

test('untilWritten: an update that ends without the hook resolves with its result; one that fails before writing rejects', async () => {
  const quiet = await untilWritten(async () => 'nothing to write');
  assert.equal(quiet.written, undefined);
  assert.equal(await quiet.settled, 'nothing to write');
  await assert.rejects(
    untilWritten(async () => {
      throw new SealError('registry', 'refused');
    }),
    /refused/,
  );
});

test('untilWritten: a failure during the settle reaches the caller when it awaits, not as an unhandled rejection', async () => {
  const { settled } = await untilWritten(async (onWritten: (x: number) => void) => {
    onWritten(1);
    await new Promise((r) => setTimeout(r, 5));
    throw new SealError('conflict', 'kept being replaced');
  });
  await new Promise((r) => setTimeout(r, 20)); // the failure happens while nobody awaits
  await assert.rejects(settled, /kept being replaced/);
});
