// A 200 MB blob up (chunked PATCH, streamed from disk) and down (openBlob, digest checked while
// streaming) in constant memory. The transfer runs in a child process that samples its own RSS,
// so the test runner's memory does not blur the figure.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { registryInstalled, startRegistry, type RunningRegistry } from '../harness/index.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';
const SIZE = 200 * 1024 * 1024;
const LIMIT = 64 * 1024 * 1024;

// The child: opens the store, pings, takes its baseline RSS, then uploads and downloads while
// sampling RSS every 10 ms. Prints one JSON line.
const CHILD = `
const [storeUrl, refUrl, host, file, digest] = process.argv.slice(1);
const { RegistryStore } = await import(storeUrl);
const { parseReference } = await import(refUrl);
const { createHash } = await import('node:crypto');
const log = { info() {}, warn() {}, debug() {} };
const s = await RegistryStore.open(parseReference(host + '/big/blob'), { env: {}, log });
await s.listTags();
globalThis.gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
let t = Date.now();
const info = await s.putBlobFile(file, { digest, size: ${SIZE} });
const upMs = Date.now() - t;
const peakUp = peak;
peak = process.memoryUsage().rss;
t = Date.now();
const hash = createHash('sha256');
let bytes = 0;
for await (const chunk of await s.openBlob(digest)) { hash.update(chunk); bytes += chunk.length; }
const downMs = Date.now() - t;
clearInterval(timer);
console.log(JSON.stringify({ baseline, peakUp, peakDown: peak, upMs, downMs, bytes, digest: 'sha256:' + hash.digest('hex'), stored: info.digest }));
`;

describe('a 200 MB blob', { skip }, () => {
  let reg: RunningRegistry;
  let dir: string;
  let file: string;
  let digest: string;

  before(async () => {
    reg = await startRegistry('plain');
    dir = await mkdtemp(join(tmpdir(), 'seal-large-blob-'));
    file = join(dir, 'blob.bin');
    const hash = createHash('sha256');
    const out = createWriteStream(file);
    const block = randomBytes(1 << 20);
    for (let i = 0; i < SIZE / block.length; i++) {
      block.writeUInt32BE(i, 0); // every MiB differs
      hash.update(block);
      if (!out.write(Buffer.from(block))) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
    digest = 'sha256:' + hash.digest('hex');
  });
  after(async () => {
    await reg?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('goes up and down with RSS growth under 64 MB', async () => {
    const store = new URL('../../src/oci/registry/store.ts', import.meta.url).href;
    const ref = new URL('../../src/oci/reference.ts', import.meta.url).href;
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, store, ref, reg.host, file, digest], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, stderr);
    const m = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    const up = (m.peakUp as number) - (m.baseline as number);
    const down = (m.peakDown as number) - (m.baseline as number);
    // The figures, for the record (node --test prints diagnostics).
    console.log(
      `200 MB blob: up ${m.upMs} ms (${mb((SIZE / (m.upMs as number)) * 1000)} MB/s, RSS +${mb(up)} MB), ` +
        `down ${m.downMs} ms (${mb((SIZE / (m.downMs as number)) * 1000)} MB/s, RSS +${mb(down)} MB), baseline ${mb(m.baseline as number)} MB`,
    );
    assert.equal(m.stored, digest);
    assert.equal(m.digest, digest);
    assert.equal(m.bytes, SIZE);
    assert.ok(up < LIMIT, `upload grew RSS by ${mb(up)} MB`);
    assert.ok(down < LIMIT, `download grew RSS by ${mb(down)} MB`);
  });
});
