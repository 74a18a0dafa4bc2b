// seal sign of several images in one invocation, counted at the proxy: the requests each image
// costs (no blob HEADs for blobs made just now, the first signature's image written right after
// its read), one referrers-API question per registry, and the settle of one image not holding
// the concurrency slot the next image needs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeImageLayout,
  pushWithSkopeo,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ProxiedRequest,
  type RunningRegistry,
} from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub } = await workspace('seal-sign-many-');

describe('sign many images on a plain registry (counted at the proxy)', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let n = 0;

  async function images(count: number): Promise<string[]> {
    const refs: string[] = [];
    for (let i = 0; i < count; i++) {
      const repo = `signmany${n++}`;
      const img = await makeImageLayout(path.join(work, repo));
      await pushWithSkopeo(img.dir, 'latest', reg, `${repo}:v1`);
      refs.push(`${proxy.host}/${repo}:v1`);
    }
    return refs;
  }
  const repoOf = (p: string) => /^\/v2\/(signmany\d+)\//.exec(p)?.[1];
  /**
   * HEADs of the signature tag: on a loaded machine (the other images' work, a GC pause) a signer
   * whose copy lay idle after its read looks again before writing it, and one whose write drags on
   * watches the tag (watchTag); --verbose says how many of each. None on a quick machine; every
   * one made must be one the log explains.
   */
  const isTagHead = (r: ProxiedRequest) => r.method === 'HEAD' && /\/manifests\/sha256-[a-f0-9]{64}(\.sig)?$/.test(r.path);
  const explainedHeads = (stderr: string) =>
    stderr.split('\n').filter((l) => l.includes('looking again before writing it')).length +
    [...stderr.matchAll(/looked (\d+) time\(s\) while our copy was stale/g)].reduce((n, m) => n + Number(m[1]), 0);

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  test('legacy first signatures: 8 requests per image, no HEAD, and every image verifies', async () => {
    const refs = await images(4);
    proxy.reset();
    const s = await runCli(['sign', '--verbose', '--key', key, '--concurrency', '2', ...refs]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(proxy.requests.filter(isTagHead).length, explainedHeads(s.stderr), 'every HEAD of a tag is one the log explains');
    const perImage = new Map<string, string[]>();
    for (const r of proxy.requests) {
      const repo = repoOf(r.path);
      if (repo && !isTagHead(r)) perImage.set(repo, [...(perImage.get(repo) ?? []), r.method]);
    }
    assert.equal(perImage.size, 4);
    for (const [repo, methods] of perImage) {
      // GET image; POST+PUT payload; POST+PUT config; GET .sig (absent); PUT .sig; GET (confirm)
      assert.deepEqual([...methods].sort(), ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'PUT'], `${repo}: ${methods.join(' ')}`);
    }
    assert.equal(proxy.requests.filter((r) => r.method === 'HEAD' && !isTagHead(r)).length, 0, 'no other HEAD');
    const v = await runCli(['verify', '--key', pub, ...refs]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('with --concurrency 1, the next image starts while the previous one settles', async () => {
    const refs = await images(3);
    proxy.reset();
    const s = await runCli(['sign', '--key', key, '--concurrency', '1', ...refs]);
    assert.equal(s.code, 0, s.stderr);
    const seq = proxy.requests.map((r) => ({ repo: repoOf(r.path), sig: r.path.endsWith('.sig'), method: r.method }));
    const first = refs[0]!.split('/')[1]!.replace(/:v1$/, '');
    const confirm = seq.findLastIndex((r) => r.repo === first && r.sig && r.method === 'GET');
    const nextStarts = seq.findIndex((r) => r.repo !== undefined && r.repo !== first);
    assert.ok(nextStarts >= 0 && nextStarts < confirm, `the second image started at request ${nextStarts}, the first confirmed at ${confirm}`);
    const v = await runCli(['verify', '--key', pub, ...refs]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('an image that cannot be signed stops the run: the images before it are signed and confirmed, none after it starts', async () => {
    const [before, after] = await images(2);
    const missing = `${proxy.host}/signmany-missing:v1`;
    const s = await runCli(['sign', '--key', key, '--concurrency', '1', before!, missing, after!]);
    assert.equal(s.code, 11, s.stderr);
    assert.match(s.stderr, /signmany-missing/);
    const signed = await runCli(['verify', '--key', pub, before!]);
    assert.equal(signed.code, 0, signed.stderr);
    const untouched = await runCli(['verify', '--key', pub, after!]);
    assert.equal(untouched.code, 10, untouched.stderr);
  });

  test('each image tag is resolved ahead: with --concurrency 1 the next image is resolved before this one is written', async () => {
    const refs = await images(3);
    proxy.reset();
    const s = await runCli(['sign', '--key', key, '--concurrency', '1', ...refs]);
    assert.equal(s.code, 0, s.stderr);
    const [a, b, c] = refs.map((r) => r.split('/')[1]!.replace(/:v1$/, ''));
    const at = (repo: string, f: (r: ProxiedRequest) => boolean) => proxy.requests.findIndex((r) => repoOf(r.path) === repo && f(r));
    const resolve = (r: ProxiedRequest) => r.method === 'GET' && r.path.endsWith('/manifests/v1');
    const write = (r: ProxiedRequest) => r.method === 'PUT' && r.path.endsWith('.sig');
    assert.ok(at(b!, resolve) < at(a!, write), 'image 2 resolved before image 1 is written');
    assert.ok(at(c!, resolve) < at(b!, write), 'image 3 resolved before image 2 is written');
    assert.ok(at(c!, resolve) > at(a!, resolve), 'one image ahead, not all of them at once');
    for (const repo of [a, b, c]) assert.equal(proxy.requests.filter((r) => repoOf(r.path) === repo && resolve(r)).length, 1);
  });

  test('bundle format: 9 requests per image, no HEAD; the fallback index is read while the referrer manifest is written', async () => {
    const refs = await images(4);
    proxy.reset();
    const s = await runCli(['sign', '--verbose', '--key', key, '--format', 'bundle', '--concurrency', '2', ...refs]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(proxy.requests.filter((r) => r.method === 'HEAD' && r.path.includes('/blobs/')).length, 0, 'no blob HEAD');
    assert.equal(proxy.requests.filter(isTagHead).length, explainedHeads(s.stderr), 'every HEAD of a tag is one the log explains');
    const isTagRead = (r: ProxiedRequest) => r.method === 'GET' && /\/manifests\/sha256-[a-f0-9]{64}$/.test(r.path);
    for (const [i, ref] of refs.entries()) {
      const repo = ref.split('/')[1]!.replace(/:v1$/, '');
      const reqs = proxy.requests.filter((r) => repoOf(r.path) === repo);
      const reads = reqs.filter(isTagRead);
      const counted = reqs.filter((r) => !isTagHead(r) && !r.path.includes('/referrers/'));
      // GET image; POST+PUT bundle; POST (a mount of the empty config from the repository
      // itself: 202, not there) + PUT config; PUT referrer manifest; GET fallback index (absent);
      // PUT it; GET (confirm)
      assert.deepEqual(
        counted.map((r) => r.method).sort(),
        ['GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'PUT', 'PUT'],
        `${repo}: ${counted.map((r) => `${r.method} ${r.path}`).join('\n')}`,
      );
      assert.equal(counted.filter((r) => r.path.includes('?mount=')).length, 1, 'the empty config: a mount from the repository itself');
      if (i < 2) continue; // the first images start before the registry is known to lack the API
      const manifestPut = reqs.find((r) => r.method === 'PUT' && /\/manifests\/sha256:/.test(r.path))!;
      assert.ok(reads[0]!.at < manifestPut.at + manifestPut.ms, `${repo}: the index is read before the manifest write is answered`);
    }
    const v = await runCli(['verify', '--key', pub, ...refs]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('bundle format, a second signature: the empty config is found by the mount (one request, nothing uploaded)', async () => {
    const [ref] = await images(1);
    const first = await runCli(['sign', '--key', key, '--format', 'bundle', ref!]);
    assert.equal(first.code, 0, first.stderr);
    proxy.reset();
    const s = await runCli(['sign', '--key', key, '--format', 'bundle', ref!]);
    assert.equal(s.code, 0, s.stderr);
    const mount = proxy.requests.filter((r) => r.path.includes('?mount='));
    assert.deepEqual(
      mount.map((r) => r.status),
      [201],
    );
    assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length, 1, 'only the bundle is uploaded');
  });

  test('a registry that refuses the mount parameters gets a plain upload of the config', async () => {
    const [ref] = await images(1);
    proxy.reset();
    proxy.setFaults([{ method: 'POST', path: /\?mount=/, action: { status: 405 } }]);
    try {
      const s = await runCli(['sign', '--key', key, '--format', 'bundle', ref!]);
      assert.equal(s.code, 0, s.stderr);
    } finally {
      proxy.setFaults([]);
    }
    assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')).length, 2, 'bundle and config uploaded');
    const v = await runCli(['verify', '--key', pub, ref!]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('bundle format: the referrers API is asked once for all the images, and each gets its fallback entry', async () => {
    const refs = await images(4);
    proxy.reset();
    const s = await runCli(['sign', '--key', key, '--format', 'bundle', '--concurrency', '4', ...refs]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(proxy.requests.filter((r) => r.path.includes('/referrers/')).length, 1);
    assert.equal(proxy.requests.filter((r) => r.method === 'PUT' && /\/manifests\/sha256-[a-f0-9]{64}$/.test(r.path)).length, 4);
    const v = await runCli(['verify', '--key', pub, ...refs]);
    assert.equal(v.code, 0, v.stderr);
  });
});
