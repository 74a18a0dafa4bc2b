// seal verify skips reading a legacy signature's payload blob when the payload it would expect
// (repository, digest, the -a annotations asked for) has the layer's digest: content addressing
// makes those bytes the stored blob. The signature is still checked over them, and any other
// payload is read from the registry as before.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageLayout, pushWithSkopeo, startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub, keys } = await workspace('seal-verify-foreseen-', ['key', 'other']);

interface Report {
  verified: boolean;
  signatures: { format: string; verified: boolean; error?: string }[];
}

describe('legacy payload reads on a plain registry (counted at the proxy)', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let n = 0;

  /** A fresh image, pushed directly, named through the proxy (the identity seal signs is that name). */
  async function image(): Promise<string> {
    const repo = `foreseen${n++}`;
    const img = await makeImageLayout(path.join(work, repo));
    await pushWithSkopeo(img.dir, 'latest', reg, `${repo}:v1`);
    return `${proxy.host}/${repo}:v1`;
  }
  const blobReads = () => proxy.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).length;
  async function verify(ref: string, extra: string[] = []): Promise<{ code: number; reports: Report[]; stderr: string; blobReads: number }> {
    proxy.reset();
    const v = await runCli(['verify', '--key', pub, '-o', 'json', ...extra, ref]);
    return { code: v.code, reports: v.code === 0 || v.code === 12 ? (JSON.parse(v.stdout) as Report[]) : [], stderr: v.stderr, blobReads: blobReads() };
  }
  const sign = async (ref: string, extra: string[] = [], k = key) => {
    const s = await runCli(['sign', '--key', k, ...extra, ref]);
    assert.equal(s.code, 0, s.stderr);
  };

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  test('a default signature verifies without reading its payload blob', async () => {
    const ref = await image();
    await sign(ref);
    const v = await verify(ref);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.reports[0]!.verified, true);
    assert.equal(v.blobReads, 0);
  });

  test('signed with -a: verify with the same -a reads no blob; without -a the payload is read and still verifies', async () => {
    const ref = await image();
    await sign(ref, ['-a', 'env=prod']);
    const same = await verify(ref, ['-a', 'env=prod']);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.blobReads, 0);
    const plain = await verify(ref);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.blobReads, 1);
  });

  test('another signed identity (--sign-container-identity) is read from the registry and verifies', async () => {
    const ref = await image();
    await sign(ref, ['--sign-container-identity', 'example.com/elsewhere/app']);
    const v = await verify(ref);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.blobReads, 1);
  });

  test('a foreseen payload signed by another key does not verify', async () => {
    const ref = await image();
    await sign(ref, [], keys.other!.key);
    const v = await verify(ref);
    assert.equal(v.code, 12, v.stderr);
    assert.equal(v.blobReads, 0);
    assert.deepEqual(
      v.reports[0]!.signatures.map((s) => [s.format, s.verified]),
      [['legacy', false]],
    );
  });
});
