// attachSbom and downloadSbom (src/ops/sbom.ts) on an in-memory store: cosign's `.sbom` image
// with the exact bytes (cosign's own SBOM fixtures), overwritten on attach; per platform of an
// index; the fallback to an SBOM carried in an attestation; a clear error when there is none.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isSealError } from '../../../src/errors.ts';
import { attestImage } from '../../../src/ops/attest.ts';
import { attachSbom, downloadSbom } from '../../../src/ops/sbom.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-op-sbom-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/cosign/sbom/${name}`, import.meta.url));
const SPDX_JSON = readFileSync(fixture('bom-go-mod.spdx.json'));
const CYCLONEDX = readFileSync(fixture('bom-go-mod.cyclonedx.json'));

test('attach then download: the exact bytes, with the SPDX media type, under the .sbom tag', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('mem.test/app:v1');
  await attachSbom({ image: ref, sbom: SPDX_JSON, filename: 'bom-go-mod.spdx.json', store: reg.storeOptions() }, testOpEnv());
  assert.ok(reg.store(ref).tags.has(`${digest.replace(':', '-')}.sbom`));
  const got = await downloadSbom({ image: ref, store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual(Buffer.from(got.bytes), SPDX_JSON);
  assert.equal(got.mediaType, 'text/spdx+json');
  assert.equal(got.signed, false);
});

test('a second attach overwrites the first (one SBOM per image, as cosign)', async () => {
  const reg = new MemoryRegistry();
  const { ref } = reg.addImage('mem.test/app:v1');
  await attachSbom({ image: ref, sbom: SPDX_JSON, filename: 'a.spdx.json', store: reg.storeOptions() }, testOpEnv());
  await attachSbom({ image: ref, sbom: CYCLONEDX, filename: 'b.cyclonedx.json', store: reg.storeOptions() }, testOpEnv());
  const got = await downloadSbom({ image: ref, store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual(Buffer.from(got.bytes), CYCLONEDX);
  assert.equal(got.mediaType, 'application/vnd.cyclonedx+json');
});

test('--platform picks the SBOM of that child of an index; without it, the hint names --platform', async () => {
  const reg = new MemoryRegistry();
  const s = reg.store('mem.test/multi');
  const amd64 = s.addImage('amd64');
  const arm64 = s.addImage('arm64');
  s.addIndex('v1', [amd64, arm64]);
  await attachSbom({ image: `mem.test/multi@${arm64}`, sbom: CYCLONEDX, filename: 'bom.cyclonedx.json', store: reg.storeOptions() }, testOpEnv());
  const got = await downloadSbom({ image: 'mem.test/multi:v1', platform: 'linux/arm64', store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual(Buffer.from(got.bytes), CYCLONEDX);
  await assert.rejects(
    downloadSbom({ image: 'mem.test/multi:v1', store: reg.storeOptions() }, testOpEnv()),
    (e) => isSealError(e, 'no-signatures') && /--platform/.test(String((e as { hint?: string }).hint)),
  );
});

test('no attached SBOM: one from an spdxjson attestation, marked unverified', async () => {
  const reg = new MemoryRegistry();
  const { ref } = reg.addImage('mem.test/app:v1');
  const key = p256KeyPair(dir);
  await attestImage(
    {
      image: ref,
      predicate: fixture('bom-go-mod.spdx.json'),
      type: 'spdxjson',
      replace: false,
      format: 'legacy',
      store: reg.storeOptions(),
      signing: { key: key.file },
    },
    testOpEnv(),
  );
  const got = await downloadSbom({ image: ref, store: reg.storeOptions() }, testOpEnv());
  assert.deepEqual(JSON.parse(Buffer.from(got.bytes).toString('utf8')), JSON.parse(SPDX_JSON.toString('utf8')));
  assert.match(got.source, /unverified/);
});

test('no SBOM at all: a no-signatures error naming the image', async () => {
  const reg = new MemoryRegistry();
  const { ref, digest } = reg.addImage('mem.test/app:v1');
  await assert.rejects(
    downloadSbom({ image: ref, store: reg.storeOptions() }, testOpEnv()),
    (e) => isSealError(e, 'no-signatures') && (e as Error).message.includes(digest),
  );
});
