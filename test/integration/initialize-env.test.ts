// seal initialize (cosign's name for a TUF update) against a TUF repository built by the tests, with
// the initial root from a file and from a URL pinned by --root-checksum; and seal env.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTufRepo, type TufRepo } from '../harness/tuf-repo.ts';
import { runInProcess } from '../helpers/in-process.ts';

let repo: TufRepo;
let work: string;
const trustedRoot = Buffer.from('{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[]}\n');

before(async () => {
  repo = await startTufRepo({ targets: { 'trusted_root.json': trustedRoot } });
  work = await mkdtemp(path.join(tmpdir(), 'seal-init-'));
});
after(async () => {
  await repo?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sha512 = (b: Uint8Array) => createHash('sha512').update(b).digest('hex');

describe('seal initialize', () => {
  test('--root FILE --mirror URL fills the cache; nothing on stdout (as cosign); a line on stderr', async () => {
    const root = path.join(work, 'root.json');
    await writeFile(root, repo.root);
    const cache = path.join(work, 'c1');
    const r = await runInProcess(['initialize', '--mirror', repo.url, '--root', root, '--cache-dir', cache]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Trusted root from .* cached in/);
    const files = await readdir(cache, { recursive: true });
    assert.ok(
      files.some((f) => f.endsWith('trusted_root.json')),
      files.join(','),
    );
  });

  test('--root URL with a matching sha256 or sha512 --root-checksum is used; no warning', async () => {
    for (const [i, sum] of [sha256(repo.root), `sha256:${sha256(repo.root)}`, `sha512:${sha512(repo.root)}`].entries()) {
      const cache = path.join(work, `c-url-${i}`);
      const r = await runInProcess(['initialize', '--mirror', repo.url, '--root', `${repo.url}/1.root.json`, '--root-checksum', sum, '--cache-dir', cache]);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /WARNING/);
    }
  });

  test('--root URL without a checksum works but warns', async () => {
    const r = await runInProcess(['initialize', '--mirror', repo.url, '--root', `${repo.url}/1.root.json`, '--cache-dir', path.join(work, 'c-warn')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: .*without --root-checksum/);
  });

  test('a checksum that does not match: exit 3, one line, no cache written', async () => {
    const cache = path.join(work, 'c-bad');
    const r = await runInProcess([
      'initialize',
      '--mirror',
      repo.url,
      '--root',
      `${repo.url}/1.root.json`,
      '--root-checksum',
      'a'.repeat(64),
      '--cache-dir',
      cache,
    ]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /has sha256 [0-9a-f]{64}, not the --root-checksum a{64}/);
    assert.equal(r.stderr.trim().split('\n').length <= 2, true, r.stderr);
    assert.equal(existsSync(cache), false);
  });

  test('a malformed checksum, --staging without --root, and --root-checksum alone are usage errors (exit 2)', async () => {
    for (const args of [
      ['--root', `${repo.url}/1.root.json`, '--root-checksum', 'sha1:abcd'],
      ['--staging'],
      ['--root-checksum', 'a'.repeat(64)],
      ['--staging', '--mirror', repo.url],
    ]) {
      const r = await runInProcess(['initialize', ...args, '--cache-dir', path.join(work, 'c-usage')]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    }
  });

  test('a --root file that is not JSON, or JSON but not a TUF root: exit 1, one line naming the file, no cache (qa)', async () => {
    const garbage = path.join(work, 'garbage.json');
    await writeFile(garbage, Buffer.from([0xff, 0xfe, 0x00, 0x47, 0x8a]));
    const notRoot = path.join(work, 'scan.json');
    await writeFile(notRoot, '{"matches":[],"descriptor":{"name":"grype"}}');
    for (const [file, want] of [
      [garbage, 'is not JSON'],
      [notRoot, 'is not a TUF root'],
    ] as const) {
      const cache = path.join(work, 'c-notroot');
      const r = await runInProcess(['initialize', '--mirror', repo.url, '--root', file, '--cache-dir', cache]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr,
        `Error: the initial TUF root ${file} ${want}${want === 'is not JSON' ? '' : ' (no signed._type "root")'}; give a TUF root.json (the mirror's N.root.json)\n`,
      );
      assert.equal(existsSync(cache), false);
    }
  });

  test('an unreachable root URL is a network error (exit 4)', async () => {
    const r = await runInProcess(['initialize', '--mirror', repo.url, '--root', 'http://127.0.0.1:9/root.json', '--cache-dir', path.join(work, 'c-net')]);
    assert.equal(r.code, 4, r.stderr);
  });
});

describe('seal env', () => {
  test("prints seal's variables in cosign env's layout, secrets masked, other SEAL_/COSIGN_ variables listed", async () => {
    const r = await runInProcess(['env'], {
      env: { COSIGN_PASSWORD: 'hunter2', SEAL_REPOSITORY: 'reg.example/sigs', COSIGN_EXPERIMENTAL: '1', SEAL_PASWORD: 'typo-secret', PATH: '/bin' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# COSIGN_PASSWORD .+\n# Expects: string\nCOSIGN_PASSWORD=\*{6}$/m);
    assert.match(r.stdout, /^SEAL_REPOSITORY=reg\.example\/sigs$/m);
    assert.match(r.stdout, /^SEAL_PASSWORD=$/m);
    assert.match(r.stdout, /^COSIGN_EXPERIMENTAL=\*{6}$/m);
    assert.match(r.stdout, /^SEAL_PASWORD=\*{6}$/m);
    assert.doesNotMatch(r.stdout, /hunter2|typo-secret|^PATH=/m);
  });

  test('--show-sensitive-values prints them; --show-descriptions=false drops the comments', async () => {
    const r = await runInProcess(['env', '--show-sensitive-values', '--show-descriptions=false'], { env: { COSIGN_PASSWORD: 'hunter2' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^COSIGN_PASSWORD=hunter2$/m);
    assert.doesNotMatch(r.stdout, /^#/m);
  });
});
