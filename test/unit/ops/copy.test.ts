// copyImageWithAttachments (src/ops/copy.ts) between in-memory stores: the image byte for byte
// (its digest unchanged), its signatures and attestations in both formats (the referrers
// fallback where the destination has no referrers API), --only, merging into what the destination
// already holds, and force. Registry-to-layout copies stay in test/integration/copy.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { attestImage } from '../../../src/ops/attest.ts';
import { copyImageWithAttachments, type CopyOptions } from '../../../src/ops/copy.ts';
import { signImages } from '../../../src/ops/sign.ts';
import { verifyImages } from '../../../src/ops/verify.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-op-copy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const alice = p256KeyPair(dir, 'alice');
const bob = p256KeyPair(dir, 'bob');
const predicate = path.join(dir, 'p.json');
writeFileSync(predicate, '{"ok":true}');
const sigTag = (digest: string) => `${digest.replace(':', '-')}.sig`;

const sign = (reg: MemoryRegistry, image: string, format: 'legacy' | 'bundle', key = alice) =>
  signImages({ images: [image], annotations: {}, recursive: false, format, store: reg.storeOptions(), signing: { key: key.file } }, testOpEnv());
const copy = (reg: MemoryRegistry, src: string, dst: string, o: Partial<CopyOptions> = {}) =>
  copyImageWithAttachments({ src, dst, store: reg.storeOptions(), ...o }, testOpEnv());
async function verifiedFormats(reg: MemoryRegistry, image: string, key = alice): Promise<string[]> {
  const [r] = await verifyImages(
    {
      trust: { verifier: key.verifier, bundle: { publicKeyPem: key.publicKeyPem, tufCacheDir: '/nonexistent' } },
      images: [image],
      annotations: {},
      store: reg.storeOptions(),
    },
    testOpEnv(),
  );
  return r!.signatures
    .filter((s) => s.verified)
    .map((s) => s.format)
    .sort();
}

test('the image keeps its digest, and both signature formats and an attestation arrive and verify there', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('src.test/app:v1');
  await sign(reg, ref, 'legacy');
  await sign(reg, ref, 'bundle');
  await attestImage(
    { image: ref, predicate, type: 'custom', replace: false, format: 'legacy', store: reg.storeOptions(), signing: { key: alice.file } },
    testOpEnv(),
  );
  const report = await copy(reg, ref, 'dst.test/mirror:v1');
  assert.equal(report.digest, digest);
  const dst = reg.store('dst.test/mirror');
  assert.equal(dst.tags.get('v1'), digest);
  assert.equal(report.counts.sig.entries, 1);
  assert.equal(report.counts.att.entries, 1);
  assert.equal(report.counts.referrers.entries, 1);
  assert.deepEqual(await verifiedFormats(reg, 'dst.test/mirror:v1'), ['bundle', 'legacy']);
});

test('a destination without a referrers API gets the sha256-<hex> fallback index for the bundle', async () => {
  const reg = new MemoryRegistry({ referrersApi: false });
  const { ref, digest } = reg.addImage('src.test/app:v1');
  await sign(reg, ref, 'bundle');
  await copy(reg, ref, 'dst.test/mirror:v1');
  const fallback = reg.store('dst.test/mirror').manifestJson(digest.replace(':', '-')) as { manifests: unknown[] };
  assert.equal(fallback.manifests.length, 1);
  assert.deepEqual(await verifiedFormats(reg, 'dst.test/mirror:v1'), ['bundle']);
});

test('--only sig copies the legacy signatures and nothing else', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('src.test/app:v1');
  await sign(reg, ref, 'legacy');
  await sign(reg, ref, 'bundle');
  await copy(reg, ref, 'dst.test/mirror:v1', { only: ['sig'] });
  const dst = reg.store('dst.test/mirror');
  assert.ok(dst.tags.has(sigTag(digest)));
  assert.deepEqual((await dst.referrers(digest))!, []);
});

test('merge by default: the destination keeps its own signatures; force replaces them', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('src.test/app:v1');
  await sign(reg, ref, 'legacy');
  await copy(reg, ref, 'dst.test/mirror:v1', { only: [] });
  await sign(reg, 'dst.test/mirror:v1', 'legacy', bob);
  await copy(reg, ref, 'dst.test/mirror:v1');
  const layers = () => (reg.store('dst.test/mirror').manifestJson(sigTag(digest)) as { layers: unknown[] }).layers.length;
  assert.equal(layers(), 2);
  assert.deepEqual(await verifiedFormats(reg, 'dst.test/mirror:v1', bob), ['legacy']);
  await copy(reg, ref, 'dst.test/mirror:v1', { force: true });
  assert.equal(layers(), 1);
  assert.deepEqual(await verifiedFormats(reg, 'dst.test/mirror:v1', bob), []);
  assert.deepEqual(await verifiedFormats(reg, 'dst.test/mirror:v1'), ['legacy']);
});

test('an index is copied with its children and their signatures (recursive by default)', async () => {
  const reg = new MemoryRegistry();
  const src = reg.store('src.test/multi');
  const children = [src.addImage('a'), src.addImage('b')];
  const index = src.addIndex('v1', children);
  await signImages(
    { images: ['src.test/multi:v1'], annotations: {}, recursive: true, format: 'legacy', store: reg.storeOptions(), signing: { key: alice.file } },
    testOpEnv(),
  );
  const report = await copy(reg, 'src.test/multi:v1', 'dst.test/multi:v1');
  assert.equal(report.image.manifests, 3);
  const dst = reg.store('dst.test/multi');
  for (const d of [index, ...children]) {
    assert.ok(dst.manifests.has(d), `manifest ${d} not copied`);
    assert.ok(dst.tags.has(sigTag(d)), `signature of ${d} not copied`);
  }
});

test('a destination that names a digest is refused before anything is written', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('src.test/app:v1');
  await assert.rejects(copy(reg, ref, `dst.test/mirror@${digest}`), (e) => isSealError(e, 'usage'));
  assert.equal(reg.store('dst.test/mirror').count('putManifest'), 0);
});
