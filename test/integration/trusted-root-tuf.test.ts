// seal trusted-root update/show against a real TUF repository built here (test/harness/tuf-repo.ts)
// whose trusted_root.json target trusts the local Sigstore stack, then keyless verification that
// uses the cache with no --trusted-root and no network (the mirror is stopped first).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { startTufRepo, type TufRepo } from '../harness/tuf-repo.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { noStack } from '../helpers/stderr.ts';
import { loadDefaultTrustedRoot } from '../../src/sigstore/trusted-root.ts';

const EMAIL = 'alice@example.com';
let stack: SigstoreStack;
let work: string;
let artifact: string;
let bundle: string;
let trustedRoot: Buffer;
const repos: TufRepo[] = [];

const seal = (args: string[], cacheDir: string) =>
  runCli(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_TUF_CACHE: cacheDir, XDG_CACHE_HOME: undefined }, timeoutMs: 60_000 });
const verifyBlob = (cacheDir: string) =>
  seal(['verify-blob', '--bundle', bundle, '--certificate-identity', EMAIL, '--certificate-oidc-issuer', stack.issuer, artifact], cacheDir);

async function repo(opts: Parameters<typeof startTufRepo>[0] = { targets: { 'trusted_root.json': trustedRoot } }): Promise<TufRepo> {
  const r = await startTufRepo(opts);
  repos.push(r);
  return r;
}

async function rootFile(r: TufRepo, name: string): Promise<string> {
  const p = path.join(work, name);
  await writeFile(p, r.root);
  return p;
}

/** Every file of a directory tree with its bytes, to show a failed update changed nothing. */
async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const p = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, p)] = (await readFile(p)).toString('base64');
    }
  }
  return out;
}

before(async () => {
  stack = await startSigstoreStack();
  work = await mkdtemp(path.join(tmpdir(), 'seal-tuf-'));
  artifact = path.join(work, 'release.txt');
  bundle = path.join(work, 'release.sigstore.json');
  await writeFile(artifact, 'release bytes\n');
  trustedRoot = await readFile(stack.trustedRootPath);
  const token = stack.mintToken(EMAIL);
  const r = await runCli(
    ['sign-blob', '--identity-token', token, '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl, '--bundle', bundle, artifact],
    {
      env: { SIGSTORE_ID_TOKEN: undefined },
      timeoutMs: 60_000,
    },
  );
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await Promise.all(repos.map((r) => r.stop()));
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('seal trusted-root update', () => {
  test('update, then verify-blob by identity offline with no --trusted-root, and show reports the cache', async () => {
    const mirror = await repo({ targets: { 'trusted_root.json': trustedRoot, 'signing_config.v0.2.json': '{"mediaType":"x"}' } });
    const cache = path.join(work, 'cache-ok');
    const u = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', await rootFile(mirror, 'ok.root.json'), '-o', 'json'], cache);
    assert.equal(u.code, 0, u.stderr);
    const summary = JSON.parse(u.stdout);
    assert.equal(summary.mirror, mirror.url);
    assert.equal(summary.root.version, 1);
    assert.deepEqual(
      summary.files.map((f: { name: string }) => f.name),
      ['trusted_root.json', 'signing_config.v0.2.json'],
    );
    const { createHash } = await import('node:crypto');
    assert.equal(summary.files[0].sha256, createHash('sha256').update(trustedRoot).digest('hex'));
    assert.ok(
      mirror.requests.some((p) => /^\/targets\/[0-9a-f]{64}\.trusted_root\.json$/.test(p)),
      'the target came by its hash-prefixed name',
    );

    await mirror.stop(); // from here on, any network use would fail
    const v = await verifyBlob(cache);
    assert.equal(v.code, 0, v.stderr);
    assert.doesNotMatch(v.stderr, /WARNING/);

    const s = await seal(['trusted-root', 'show'], cache);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /source\s+TUF cache/);
    assert.match(s.stdout, new RegExp(`mirror\\s+${mirror.url.replace(/\./g, '\\.')}`));
    assert.match(s.stdout, /updated\s+\S+ \(\d+ s ago\)/);
    const doc = await seal(['trusted-root', 'show', '-o', 'json'], cache);
    assert.equal(doc.code, 0, doc.stderr);
    assert.deepEqual(JSON.parse(doc.stdout).tlogs, JSON.parse(trustedRoot.toString()).tlogs);

    // --trusted-root still wins over the cache.
    const other = path.join(work, 'other-root.json');
    await writeFile(other, await readFile(path.join(import.meta.dirname, '../fixtures/sigstore-conformance/production_trusted_root.json')));
    const w = await seal(
      ['verify-blob', '--bundle', bundle, '--certificate-identity', EMAIL, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', other, artifact],
      cache,
    );
    assert.equal(w.code, 3, w.stderr);
  });

  test('a tampered target (hash mismatch) fails with exit 3 and leaves the previous cache untouched', async () => {
    const mirror = await repo();
    const cache = path.join(work, 'cache-tamper');
    const root = await rootFile(mirror, 'tamper.root.json');
    const first = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', root], cache);
    assert.equal(first.code, 0, first.stderr);
    const before = await snapshotDir(cache);

    const evil = Buffer.from(trustedRoot);
    evil[evil.length - 3] ^= 1; // same length, other bytes
    mirror.tamperTarget('trusted_root.json', evil);
    const r = await seal(['trusted-root', 'update', '--mirror', mirror.url], cache);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /TUF update from .* failed: .*(hash|digest)/i);
    noStack(r.stderr);
    assert.deepEqual(await snapshotDir(cache), before);
    const v = await verifyBlob(cache);
    assert.equal(v.code, 0, v.stderr);
  });

  test('a rollback to an older timestamp.json fails with exit 3 and leaves the cache untouched', async () => {
    const mirror = await repo();
    const cache = path.join(work, 'cache-rollback');
    const root = await rootFile(mirror, 'rollback.root.json');
    assert.equal((await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', root], cache)).code, 0);
    mirror.publish({ targets: { 'trusted_root.json': trustedRoot } });
    const second = await seal(['trusted-root', 'update', '--mirror', mirror.url, '-o', 'json'], cache);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(JSON.parse(second.stdout).timestamp.version, 2);
    const before = await snapshotDir(cache);
    mirror.rollbackTimestamp(1);
    const r = await seal(['trusted-root', 'update', '--mirror', mirror.url], cache);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /version 1 must be >= 2|version/i);
    noStack(r.stderr);
    assert.deepEqual(await snapshotDir(cache), before);
  });

  test('an expired timestamp.json fails with exit 3', async () => {
    const mirror = await repo({ targets: { 'trusted_root.json': trustedRoot }, timestampExpires: new Date(Date.now() - 60_000) });
    const cache = path.join(work, 'cache-expired');
    const r = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', await rootFile(mirror, 'exp.root.json')], cache);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /timestamp\.json is expired/);
    noStack(r.stderr);
    const s = await seal(['trusted-root', 'show'], cache);
    assert.match(s.stdout, /embedded snapshot/);
  });

  test('a wrong initial root fails with exit 3 (the metadata is not signed by its keys)', async () => {
    const mirror = await repo();
    const stranger = await repo();
    const cache = path.join(work, 'cache-wrong-root');
    const r = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', await rootFile(stranger, 'stranger.root.json')], cache);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /timestamp was signed by 0\/1 keys|signature/i);
    noStack(r.stderr);
  });

  test('an unreachable mirror is exit 4; an unwritable cache is exit 1; a mirror with no seed needs --root (exit 2)', async () => {
    const mirror = await repo();
    const root = await rootFile(mirror, 'gone.root.json');
    const url = mirror.url;
    await mirror.stop();
    const r = await seal(['trusted-root', 'update', '--mirror', url, '--root', root], path.join(work, 'cache-gone'));
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /cannot reach the TUF mirror .*ECONNREFUSED/);
    noStack(r.stderr);

    const live = await repo();
    const blocker = path.join(work, 'a-file');
    await writeFile(blocker, 'not a directory');
    const w = await seal(['trusted-root', 'update', '--mirror', live.url, '--root', await rootFile(live, 'live.root.json')], path.join(blocker, 'cache'));
    assert.equal(w.code, 1, w.stderr);
    assert.match(w.stderr, /cannot write the TUF cache/);

    const n = await seal(['trusted-root', 'update', '--mirror', live.url], path.join(work, 'cache-noseed'));
    assert.equal(n.code, 2, n.stderr);
    assert.match(n.stderr, /no initial TUF root .*--root FILE/s);
  });
});

describe('verification with the default trust', () => {
  test('no cache: the embedded snapshot, with its warning', async () => {
    const cache = path.join(work, 'cache-none');
    // A real public-good bundle verifies against the snapshot, with the warning.
    const assets = path.join(import.meta.dirname, '../fixtures/sigstore-conformance/test/assets/bundle-verify/');
    const gh = await seal(
      [
        'verify-blob',
        '--bundle',
        path.join(assets, 'happy-path-v0.3/bundle.sigstore.json'),
        '--certificate-identity-regexp',
        'https://github\\.com/sigstore-conformance/.*',
        '--certificate-oidc-issuer',
        'https://token.actions.githubusercontent.com',
        path.join(assets, 'a.txt'),
      ],
      cache,
    );
    assert.equal(gh.code, 0, gh.stderr);
    assert.match(gh.stderr, /WARNING: using the Sigstore production trusted root embedded in @sigstore\/tuf; .*run `seal trusted-root update`/);
    // The local stack is not in the snapshot.
    const v = await verifyBlob(cache);
    assert.equal(v.code, 3, v.stderr);
    const s = await seal(['trusted-root', 'show'], cache);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /embedded snapshot/);
    assert.match(s.stderr, /WARNING: using the Sigstore production trusted root embedded/);
  });

  test('a cached trusted_root.json edited on disk is refused (exit 3), not silently used', async () => {
    const mirror = await repo();
    const cache = path.join(work, 'cache-edited');
    const u = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', await rootFile(mirror, 'edit.root.json')], cache);
    assert.equal(u.code, 0, u.stderr);
    const dir = u.stdout.match(/^cache\s+(.*)$/m)?.[1];
    assert.ok(dir, u.stdout);
    const file = path.join(dir, 'targets', 'trusted_root.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    json.tlogs = [];
    await writeFile(file, JSON.stringify(json));
    const v = await verifyBlob(cache);
    assert.equal(v.code, 3, v.stderr);
    assert.match(v.stderr, /cached TUF trust .* does not verify/);
    noStack(v.stderr);
  });

  test('expired cached metadata: still used offline, with a warning to run seal trusted-root update', async () => {
    const mirror = await repo();
    const cache = path.join(work, 'cache-stale');
    const u = await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', await rootFile(mirror, 'stale.root.json')], cache);
    assert.equal(u.code, 0, u.stderr);
    await mirror.stop();
    const fresh = await verifyBlob(cache);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.doesNotMatch(fresh.stderr, /WARNING/);
    // The timestamp expires in 7 days (tuf-repo.ts): read the cache as it will be in 8, with the
    // clock the loader takes instead of a sleep.
    const later = await loadDefaultTrustedRoot({ tufCacheDir: cache, now: new Date(Date.now() + 8 * 86_400_000) });
    assert.equal(later.embedded, false);
    assert.match(later.source, /targets\/trusted_root\.json$/);
    assert.equal(later.warnings.length, 1);
    assert.match(
      `WARNING: ${later.warnings[0]}`,
      /WARNING: the cached Sigstore trust in .* has expired TUF metadata \(timestamp\.json\); run `seal trusted-root update`/,
    );
  });
});
