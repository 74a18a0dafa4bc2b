// seal verify-attestation of several images in one invocation, as verify-many.test.ts does for
// seal verify: the next --concurrency (or cosign's --max-workers) images' tags are resolved while
// the current ones are looked up, each tag once, and every image still gets its attestations read.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, startRegistry, type FaultProxy, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { pushImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub } = await workspace('seal-verify-attestation-many-', ['key']);
const predicate = path.join(work, 'predicate.json');
writeFileSync(predicate, JSON.stringify({ builder: 'ci' }));

interface Report {
  image: string;
  digest: string;
  ok: boolean;
  statements: unknown[];
}

describe('verify-attestation of several images behind the counting proxy', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  const repos = ['att-many-a', 'att-many-b', 'att-many-c'];
  let refs: string[];
  const digests: string[] = [];

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    for (const [i, repo] of repos.entries()) {
      digests.push((await pushImage(reg, work, repo)).digest);
      // Legacy (.att tag) on two, a bundle (referrer) on the last: both lookups count.
      const format = i === 2 ? 'bundle' : 'legacy';
      const a = await runCli(['attest', '--key', key, '--predicate', predicate, '--type', 'custom', '--format', format, `${reg.host}/${repo}:v1`]);
      assert.equal(a.code, 0, a.stderr);
    }
    refs = repos.map((r) => `${proxy.host}/${r}:v1`);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  for (const flag of ['--concurrency', '--max-workers']) {
    test(`${flag} 1: the next image's tag is resolved while this one's attestations are looked up, one image ahead`, async () => {
      proxy.reset();
      const v = await runCli(['verify-attestation', '--key', pub, '--type', 'custom', flag, '1', '-o', 'json', ...refs]);
      assert.equal(v.code, 0, v.stderr);
      const reports = JSON.parse(v.stdout) as Report[];
      assert.deepEqual(
        reports.map((r) => [r.image, r.digest, r.ok, r.statements.length]),
        refs.map((ref, i) => [ref, digests[i], true, 1]),
      );
      const find = (repo: string, f: (p: string) => boolean) => proxy.requests.find((r) => r.path.startsWith(`/v2/${repo}/`) && f(r.path))!;
      const resolve = (p: string) => p.endsWith('/manifests/v1');
      const att = (p: string) => p.endsWith('.att');
      // The next image's tag read arrives before this image's .att read is answered (it is sent
      // when this image starts, alongside this image's own tag read).
      for (const i of [0, 1]) {
        const next = find(repos[i + 1]!, resolve);
        const lookup = find(repos[i]!, att);
        assert.ok(next.at <= lookup.at + lookup.ms, `image ${i + 2} resolved by the time image ${i + 1} was looked up`);
      }
      // With a limit of 1, image 3 is resolved when image 2 starts: after image 1 was looked up.
      assert.ok(find(repos[2]!, resolve).at >= find(repos[0]!, att).at, 'one image ahead, not all at once');
      for (const repo of repos) {
        const paths = proxy.requests.filter((r) => r.path.startsWith(`/v2/${repo}/`)).map((r) => r.path);
        assert.equal(paths.filter(resolve).length, 1, `${repo}: its tag resolved once\n${paths.join('\n')}`);
        assert.equal(paths.filter(att).length, 1, `${repo}: its .att tag read once\n${paths.join('\n')}`);
      }
    });
  }

  test('a digest reference among tags: its tag is never read, the tags are each read once', async () => {
    proxy.reset();
    const byDigest = `${proxy.host}/${repos[1]}@${digests[1]}`;
    const v = await runCli(['verify-attestation', '--key', pub, '--type', 'custom', '-o', 'json', refs[0]!, byDigest, refs[2]!]);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(
      (JSON.parse(v.stdout) as Report[]).map((r) => [r.image, r.digest, r.ok]),
      [
        [refs[0], digests[0], true],
        [byDigest, digests[1], true],
        [refs[2], digests[2], true],
      ],
    );
    const tagReads = proxy.requests.filter((r) => r.path.endsWith('/manifests/v1')).map((r) => r.path);
    assert.deepEqual(tagReads.sort(), [`/v2/${repos[0]}/manifests/v1`, `/v2/${repos[2]}/manifests/v1`]);
    // The digest-named image's manifest is still read (and checked), with its attestations.
    assert.equal(proxy.requests.filter((r) => r.path === `/v2/${repos[1]}/manifests/${digests[1]}`).length, 1);
  });

  test('invalid --concurrency is one usage line, before any registry request', async () => {
    proxy.reset();
    for (const value of ['0', '1.5', 'many']) {
      const v = await runCli(['verify-attestation', '--key', pub, '--concurrency', value, ...refs]);
      assert.equal(v.code, 2, v.stderr);
      assert.match(v.stderr, /^Error: invalid --concurrency "[^"]*": use a whole number from 1\n/);
    }
    assert.equal(proxy.requests.length, 0);
  });
});
