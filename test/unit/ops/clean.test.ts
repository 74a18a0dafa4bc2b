// cleanImage (src/ops/clean.ts) on an in-memory store: each --type removes its own kind in both
// storage formats and nothing else; the image itself is never deleted; an emptied referrers
// fallback index goes too.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { attestImage } from '../../../src/ops/attest.ts';
import { cleanImage, type CleanType } from '../../../src/ops/clean.ts';
import { attachSbom } from '../../../src/ops/sbom.ts';
import { signImages } from '../../../src/ops/sign.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-op-clean-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const key = p256KeyPair(dir);
const predicate = path.join(dir, 'p.json');
writeFileSync(predicate, '{"ok":true}');
const SBOM = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', packages: [] }));

/** An image with every kind of attachment, in both formats where there are two. */
async function decorated(referrersApi = true) {
  const reg = new MemoryRegistry({ referrersApi });
  const { ref, digest } = reg.addImage('mem.test/app:v1');
  const store = reg.storeOptions();
  for (const format of ['legacy', 'bundle'] as const) {
    await signImages({ images: [ref], annotations: {}, recursive: false, format, store, signing: { key: key.file } }, testOpEnv());
    await attestImage({ image: ref, predicate, type: 'custom', replace: false, format, store, signing: { key: key.file } }, testOpEnv());
  }
  await attachSbom({ image: ref, sbom: SBOM, filename: 'sbom.spdx.json', store }, testOpEnv());
  return { reg, ref, digest, s: reg.store(ref) };
}

const hex = (d: string) => d.replace(':', '-');

for (const [type, gone, kept] of [
  ['signature', ['.sig'], ['.att', '.sbom']],
  ['attestation', ['.att'], ['.sig', '.sbom']],
  ['sbom', ['.sbom'], ['.sig', '.att']],
] as [CleanType, string[], string[]][]) {
  test(`--type ${type} removes only its kind, in both formats`, async () => {
    const { reg, ref, digest, s } = await decorated();
    const referrersBefore = (await s.referrers(digest))!.length;
    const { removed } = await cleanImage({ image: ref, type, store: reg.storeOptions() }, testOpEnv());
    assert.ok(removed.length >= gone.length);
    for (const suffix of gone) assert.ok(!s.tags.has(hex(digest) + suffix), `${suffix} still there`);
    for (const suffix of kept) assert.ok(s.tags.has(hex(digest) + suffix), `${suffix} removed`);
    const referrersAfter = (await s.referrers(digest))!.length;
    assert.equal(referrersBefore - referrersAfter, type === 'sbom' ? 0 : 1);
    assert.equal(s.tags.get('v1'), digest, 'the image itself was touched');
  });
}

test('--type all on a store without a referrers API: every attachment and the emptied fallback index go, the image stays', async () => {
  const { reg, ref, digest, s } = await decorated(false);
  assert.ok(s.tags.has(hex(digest)));
  await cleanImage({ image: ref, type: 'all', store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual([...s.tags.keys()], ['v1']);
  assert.ok(s.manifests.has(digest));
});

test('an image with nothing attached: nothing removed, nothing deleted', async () => {
  const reg = new MemoryRegistry();
  const { ref } = reg.addImage('mem.test/app:v1');
  const { removed } = await cleanImage({ image: ref, type: 'all', store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual(removed, []);
  const s = reg.store(ref);
  assert.equal(s.count('deleteTag') + s.count('deleteManifest'), 0);
});
