// The onProgress callbacks of the libraries that move many bytes, against a real registry, an OCI
// layout and a real file: counts only grow, every call carries the size, the last one is the size.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pumpFile, pumpStream } from '../../src/fs/stream.ts';
import { silentLog } from '../../src/log.ts';
import { LayoutStore } from '../../src/oci/layout.ts';
import { parseReference, type LayoutReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore } from '../../src/oci/registry/store.ts';
import type { ImageStore } from '../../src/oci/store.ts';
import type { OnProgress } from '../../src/progress.ts';
import { registryInstalled, startRegistry, type RunningRegistry } from '../harness/index.ts';

const SIZE = 3 * 1024 * 1024 + 12345; // not a multiple of any chunk size
const CHUNK = 1024 * 1024;

function recorder() {
  const calls: Array<[number, number | undefined]> = [];
  const cb: OnProgress = (done, total) => void calls.push([done, total]);
  return { calls, cb };
}

/** Strictly growing counts, each with the total `size` (unless `noTotal`), ending at `size`. */
function assertReports(calls: Array<[number, number | undefined]>, size: number, what: string, opts: { noTotal?: boolean; minCalls?: number } = {}) {
  assert.ok(calls.length >= (opts.minCalls ?? 1), `${what}: ${calls.length} calls`);
  for (let i = 1; i < calls.length; i++) assert.ok(calls[i]![0] > calls[i - 1]![0], `${what}: call ${i} went from ${calls[i - 1]![0]} to ${calls[i]![0]}`);
  for (const [, total] of calls) assert.equal(total, opts.noTotal ? undefined : size, `${what}: total`);
  assert.equal(calls.at(-1)![0], size, `${what}: ends at the size`);
}

let dir: string;
let file: string;
let data: Buffer;
let digest: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seal-progress-'));
  data = randomBytes(SIZE);
  digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
  file = join(dir, 'blob.bin');
  await writeFile(file, data);
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('file hashing (fs/stream.ts)', () => {
  it('pumpFile reports every chunk with the file size', async () => {
    const { calls, cb } = recorder();
    const n = await pumpFile(file, [createHash('sha256')], undefined, file, cb);
    assert.equal(n, SIZE);
    assertReports(calls, SIZE, 'pumpFile', { minCalls: 10 });
  });

  it('pumpStream reports running counts without a total', async () => {
    const { calls, cb } = recorder();
    async function* source() {
      for (let i = 0; i < SIZE; i += CHUNK) yield data.subarray(i, Math.min(i + CHUNK, SIZE));
    }
    await pumpStream(source(), [createHash('sha256')], undefined, cb);
    assertReports(calls, SIZE, 'pumpStream', { noTotal: true, minCalls: 4 });
  });
});

function storeSuite(name: string, open: () => Promise<ImageStore>, skip: string | false) {
  describe(name, { skip }, () => {
    let store: ImageStore;
    before(async () => {
      store = await open();
    });

    it('putBlobFile reports the upload, and the size again when the blob is already there', async () => {
      const up = recorder();
      assert.deepEqual(await store.putBlobFile(file, undefined, { onProgress: up.cb }), { digest, size: SIZE });
      assertReports(up.calls, SIZE, 'putBlobFile', { minCalls: 4 });
      const again = recorder();
      await store.putBlobFile(file, { digest, size: SIZE }, { onProgress: again.cb });
      assert.deepEqual(again.calls, [[SIZE, SIZE]]);
    });

    it('openBlob reports the download as it is read', async () => {
      const down = recorder();
      const hash = createHash('sha256');
      for await (const chunk of await store.openBlob(digest, { onProgress: down.cb })) hash.update(chunk);
      assert.equal('sha256:' + hash.digest('hex'), digest);
      assertReports(down.calls, SIZE, 'openBlob', { minCalls: 2 });
    });

    it('putBlob and getBlob report in-memory transfers', async () => {
      const bytes = randomBytes(2 * CHUNK + 7);
      const up = recorder();
      const info = await store.putBlob(bytes, { onProgress: up.cb });
      assertReports(up.calls, bytes.length, 'putBlob');
      const down = recorder();
      assert.deepEqual(Buffer.from(await store.getBlob(info.digest, { onProgress: down.cb })), bytes);
      assertReports(down.calls, bytes.length, 'getBlob');
    });
  });
}

let reg: RunningRegistry | undefined;
after(async () => {
  await reg?.stop();
});

storeSuite(
  'a registry (chunked upload in 1 MiB PATCHes)',
  async () => {
    reg = await startRegistry('plain');
    return RegistryStore.open(parseReference(`${reg.host}/progress/blob`) as RegistryReference, { env: {}, log: silentLog, chunkSize: CHUNK });
  },
  registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry',
);

storeSuite('an OCI layout', async () => LayoutStore.open(parseReference(`oci:${join(dir, 'layout')}`) as LayoutReference, { env: {}, log: silentLog }), false);
