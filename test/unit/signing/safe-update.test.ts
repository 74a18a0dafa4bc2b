import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { LayoutStore } from '../../../src/oci/layout.ts';
import { parseReference, type LayoutReference } from '../../../src/oci/reference.ts';
import { updateTaggedList, type ListUpdate } from '../../../src/oci/safe-update.ts';
import { buildSignatureImage, layersOf } from '../../../src/oci/signature-image.ts';
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
  await Promise.all(
    Array.from({ length: 16 }, (_, i) => updateTaggedList(store, sigUpdate(store, i), { settleMs: 120 })),
  );
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
  const sigs = layersOf((await store.getManifest('sha256-abc.sig'))!).map(
    (l) => l.annotations?.['dev.cosignproject.cosign/signature'],
  );
  assert.deepEqual(sigs.sort(), ['sig-1', 'sig-3', 'sig-4']);
});
