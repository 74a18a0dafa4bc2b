// Issue 9 item 6: blobs of an OCI layout must be regular files inside the layout, read with a
// byte cap. Hostile layouts (a blob or index.json that is a link to /dev/zero, a FIFO, a link to
// a file outside the layout, a sparse 1 GiB "manifest") make `seal verify` fail at once with one
// line and exit 1, in bounded time and memory, through the real CLI in a child process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { blobPath, makeImageLayout, type ImageLayout } from '../harness/index.ts';
import { runSeal } from '../harness/seal-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir, key, pub } = await workspace('seal-hostile-layout-', ['k']);
let n = 0;

async function layout(): Promise<ImageLayout> {
  return makeImageLayout(join(dir, `l${++n}`));
}

async function verify(l: ImageLayout, what: string) {
  const r = await runSeal(['verify', '--key', pub, `oci:${l.dir}:${l.tag}`], { env: { HOME: dir }, killAfterMs: 30_000 });
  console.log(`${what}: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB; ${r.stderr.trim().split('\n').pop()}`);
  assert.ok(r.ms < 10_000, `${r.ms} ms`);
  assert.ok(r.peakRssMiB < 300, `${r.peakRssMiB} MiB`);
  assert.equal(
    r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('Error:')).length,
    1,
    r.stderr,
  );
  return r;
}

describe('hostile OCI layouts (item 6)', () => {
  it('the image manifest is a link to /dev/zero', async () => {
    const l = await layout();
    unlinkSync(blobPath(l.dir, l.digest));
    symlinkSync('/dev/zero', blobPath(l.dir, l.digest));
    const r = await verify(l, 'manifest -> /dev/zero');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /outside the layout; refused/);
  });

  it('the image manifest is a FIFO (no writer ever comes)', async () => {
    const l = await layout();
    unlinkSync(blobPath(l.dir, l.digest));
    execFileSync('mkfifo', [blobPath(l.dir, l.digest)]);
    const r = await verify(l, 'manifest = FIFO');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a FIFO, not a regular file; refused/);
  });

  it('index.json is a link to /dev/zero', async () => {
    const l = await layout();
    unlinkSync(join(l.dir, 'index.json'));
    symlinkSync('/dev/zero', join(l.dir, 'index.json'));
    const r = await verify(l, 'index.json -> /dev/zero');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /index\.json in .* outside the layout/);
  });

  it('a blob linking to a regular file outside the layout', async () => {
    const l = await layout();
    const outside = join(dir, `outside-${n}.json`);
    copyFileSync(blobPath(l.dir, l.digest), outside);
    unlinkSync(blobPath(l.dir, l.digest));
    symlinkSync(outside, blobPath(l.dir, l.digest));
    const r = await verify(l, 'manifest -> file outside');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /outside the layout; refused/);
  });

  it('a sparse 1 GiB file as the manifest is refused by its size, not read', async () => {
    const l = await layout();
    truncateSync(blobPath(l.dir, l.digest), 1024 * 1024 * 1024);
    const r = await verify(l, 'manifest = 1 GiB sparse');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /more than the 4194304-byte limit/);
  });

  it('a .sig layer that is a link to /dev/zero: that signature fails, the rest of the command goes on', async () => {
    const l = await layout();
    const ref = `oci:${l.dir}:${l.tag}`;
    // An annotation verify is not asked about: the payload is not the one verify can foresee, so it
    // must be read from the layout (a foreseen payload is never read: its digest names its bytes).
    const signed = await runSeal(['sign', '--key', key, '-a', 'build=hostile', ref], { env: { HOME: dir } });
    assert.equal(signed.code, 0, signed.stderr);
    const ok = await runSeal(['verify', '--key', pub, ref], { env: { HOME: dir } });
    assert.equal(ok.code, 0, ok.stderr);
    // The signature layer's blob: the one blob besides the image's own that holds simple-signing JSON.
    const out = execFileSync('grep', ['-l', 'cosign container image signature', '-r', join(l.dir, 'blobs', 'sha256')])
      .toString()
      .trim()
      .split('\n');
    assert.equal(out.length, 1);
    unlinkSync(out[0]!);
    symlinkSync('/dev/zero', out[0]!);
    const r = await runSeal(['verify', '--key', pub, ref], { env: { HOME: dir } });
    console.log(`.sig layer -> /dev/zero: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
    assert.equal(r.code, 12, r.stderr);
    assert.match(r.stderr, /outside the layout/);
    assert.ok(r.peakRssMiB < 300);
  });

  it('a link that stays inside the layout is followed', async () => {
    const l = await layout();
    const inside = join(l.dir, 'manifest-copy.json');
    copyFileSync(blobPath(l.dir, l.digest), inside);
    unlinkSync(blobPath(l.dir, l.digest));
    symlinkSync(inside, blobPath(l.dir, l.digest));
    const r = await runSeal(['verify', '--key', pub, `oci:${l.dir}:${l.tag}`], { env: { HOME: dir } });
    assert.equal(r.code, 10, r.stderr); // read fine; no signatures
  });

  it('index.json that is a directory, and a blob that is a directory', async () => {
    const l = await layout();
    unlinkSync(blobPath(l.dir, l.digest));
    execFileSync('mkdir', [blobPath(l.dir, l.digest)]);
    const r = await verify(l, 'manifest = directory');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is a directory, not a regular file/);
    writeFileSync(join(dir, 'unused'), '');
  });
});
