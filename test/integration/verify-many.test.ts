// seal verify of several images in one invocation: what one process remembers per registry (the
// /v2/ ping, whether the referrers API exists, one shared connection pool) must never hide a
// signature: every image still gets its .sig tag and its referrers fallback tag read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { runCli as runProcess } from '../helpers/run-cli.ts';
import { pushImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub, keys } = await workspace('seal-verify-many-', ['key', 'other']);
const otherKey = keys.other!.key;

interface Report {
  image: string;
  verified: boolean;
  signatures: { format: string; verified: boolean }[];
}

const formats = (r: Report) =>
  r.signatures
    .filter((s) => s.verified)
    .map((s) => s.format)
    .sort();

describe('plain registry behind the counting proxy', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  // legacy only (no fallback tag at all), bundle only (fallback tag), both; signed through the registry itself.
  const repos = ['many-legacy', 'many-bundle', 'many-both'];
  let refs: string[];

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    for (const repo of repos) await pushImage(reg, work, repo);
    const sign = async (repo: string, format: string, k = key) => {
      const s = await runCli(['sign', '--key', k, '--format', format, `${reg.host}/${repo}:v1`]);
      assert.equal(s.code, 0, s.stderr);
    };
    await sign('many-legacy', 'legacy');
    await sign('many-bundle', 'bundle');
    await sign('many-both', 'legacy');
    await sign('many-both', 'bundle');
    refs = repos.map((r) => `${proxy.host}/${r}:v1`);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  // These two count what one process sends, so each is a fresh process: what a process learns
  // about a registry (its scheme, whether it has the referrers API) is kept for the process.
  test('one ping and one referrers probe per registry; every image still gets its .sig and fallback tag read', async () => {
    proxy.reset();
    // --concurrency 1: the first image has no fallback tag, the later ones gain one; both are found.
    const v = await runProcess(['verify', '--key', pub, '--concurrency', '1', '-o', 'json', ...refs]);
    assert.equal(v.code, 0, v.stderr);
    const reports = JSON.parse(v.stdout) as Report[];
    assert.deepEqual(reports.map(formats), [['legacy'], ['bundle'], ['bundle', 'legacy']]);
    const paths = proxy.requests.map((r) => r.path);
    assert.equal(paths.filter((p) => p === '/v2/').length, 1, paths.join('\n'));
    assert.equal(paths.filter((p) => p.includes('/referrers/')).length, 1, paths.join('\n'));
    assert.equal(paths.filter((p) => /\/manifests\/sha256-[a-f0-9]{64}$/.test(p)).length, 3, 'a fallback tag read per image');
    assert.equal(paths.filter((p) => /\/manifests\/sha256-[a-f0-9]{64}\.sig$/.test(p)).length, 3, 'a .sig read per image');
  });

  test('concurrent images wait for the one referrers probe instead of each sending one', async () => {
    proxy.reset();
    const v = await runProcess(['verify', '--key', pub, '--concurrency', '8', '-o', 'json', ...refs, ...refs]);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(
      (JSON.parse(v.stdout) as Report[]).map(formats),
      [...refs, ...refs].map((_, i) => [['legacy'], ['bundle'], ['bundle', 'legacy']][i % 3]),
    );
    const paths = proxy.requests.map((r) => r.path);
    assert.equal(paths.filter((p) => p.includes('/referrers/')).length, 1, paths.join('\n'));
    assert.equal(paths.filter((p) => p === '/v2/').length, 1, paths.join('\n'));
  });

  test('tags are resolved ahead: with --concurrency 1 the next image is resolved while this one is looked up', async () => {
    proxy.reset();
    const v = await runCli(['verify', '--key', pub, '--concurrency', '1', ...refs]);
    assert.equal(v.code, 0, v.stderr);
    const find = (repo: string, f: (p: string) => boolean) => proxy.requests.find((r) => r.path.startsWith(`/v2/${repo}/`) && f(r.path))!;
    const resolve = (p: string) => p.endsWith('/manifests/v1');
    const sig = (p: string) => p.endsWith('.sig');
    // The next image's tag read arrives before this image's .sig read is answered (it is sent
    // when this image starts, alongside at the latest).
    for (const i of [0, 1]) {
      const next = find(repos[i + 1]!, resolve);
      const lookup = find(repos[i]!, sig);
      assert.ok(next.at <= lookup.at + lookup.ms, `image ${i + 2} resolved by the time image ${i + 1} was looked up`);
    }
    assert.ok(find(repos[2]!, resolve).at >= find(repos[0]!, sig).at, 'one image ahead, not all at once');
    for (const repo of repos) assert.equal(proxy.requests.filter((r) => r.path === `/v2/${repo}/manifests/v1`).length, 1);
  });

  test('a tampered or foreign signature on one image fails the run; the others are still reported verified', async () => {
    await pushImage(reg, work, 'many-foreign');
    const s = await runCli(['sign', '--key', otherKey, '--format', 'bundle', `${reg.host}/many-foreign:v1`]);
    assert.equal(s.code, 0, s.stderr);
    const v = await runCli(['verify', '--key', pub, '-o', 'json', ...refs, `${proxy.host}/many-foreign:v1`]);
    assert.equal(v.code, 12, v.stderr);
    assert.match(v.stderr, /many-foreign/);
    const reports = JSON.parse(v.stdout) as Report[];
    assert.deepEqual(
      reports.map((r) => r.verified),
      [true, true, true, false],
    );
    assert.deepEqual(
      reports[3]!.signatures.map((x) => [x.format, x.verified]),
      [['bundle', false]],
    );
  });

  test('the registry failing the fallback-tag read of one image is an error, not "no bundle signatures"', async () => {
    proxy.setFaults([{ method: 'GET', path: /\/many-both\/manifests\/sha256-[a-f0-9]{64}$/, action: { status: 500 } }]);
    try {
      const v = await runCli(['verify', '--key', pub, '--concurrency', '1', '--registry-retries', '0', ...refs]);
      assert.equal(v.code, 5, v.stderr);
      assert.match(v.stderr, /500/);
      assert.doesNotMatch(v.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      proxy.reset();
    }
  });
});

describe('token registry', () => {
  let reg: RunningRegistry;
  before(async () => (reg = await startRegistry('token')));
  after(() => reg?.stop());

  test('images in two repositories verify in one invocation (the remembered ping carries the challenge)', async () => {
    const env = { SEAL_REGISTRY_PASSWORD: reg.password! };
    const creds = ['--registry-username', reg.username!];
    const refs: string[] = [];
    for (const repo of ['tok-a', 'tok-b']) {
      refs.push((await pushImage(reg, work, repo)).ref);
      const s = await runCli(['sign', '--key', key, ...creds, refs.at(-1)!], { env });
      assert.equal(s.code, 0, s.stderr);
    }
    const v = await runCli(['verify', '--key', pub, ...creds, '-o', 'json', ...refs], { env });
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual((JSON.parse(v.stdout) as Report[]).map(formats), [['legacy'], ['legacy']]);
    const anonymous = await runCli(['verify', '--key', pub, ...refs]);
    assert.equal(anonymous.code, 5, anonymous.stderr);
  });
});
