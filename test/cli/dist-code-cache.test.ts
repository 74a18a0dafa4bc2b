// bin/seal.js runs the single-file build (dist/seal.cjs) with a V8 code cache written after a run
// (docs/design/startup.md): a cache is made once per build, command and set of flags, a damaged or
// foreign cache is never trusted (the run still verifies, and the cache is made again), and with
// Node's compile cache switched off nothing is written. Builds its own bundle in a private
// directory; the shared dist/ is neither needed nor touched.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSoftHsm } from '../helpers/softhsm.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const w = mkdtempSync(path.join(tmpdir(), 'seal-code-cache-'));
const app = path.join(w, 'seal');
const cc = path.join(w, 'node-cc');
after(() => rmSync(w, { recursive: true, force: true }));

before(() => {
  // bin/ whole: seal.js is CommonJS by bin/package.json.
  cpSync(path.join(repo, 'bin'), path.join(app, 'bin'), { recursive: true });
  cpSync(path.join(repo, 'package.json'), path.join(app, 'package.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(app, 'node_modules'));
  execFileSync(process.execPath, [path.join(repo, 'scripts/dist.mjs'), '--bundle-only', `--outdir=${path.join(app, 'dist')}`], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path.join(w, 'key.pem')]);
  execFileSync('openssl', ['pkey', '-in', path.join(w, 'key.pem'), '-pubout', '-out', path.join(w, 'key.pub')]);
  writeFileSync(path.join(w, 'file.txt'), 'a release file\n');
  writeFileSync(path.join(w, 'other.txt'), 'another file\n');
  execFileSync('openssl', ['dgst', '-sha256', '-sign', path.join(w, 'key.pem'), '-out', path.join(w, 'file.sig'), path.join(w, 'file.txt')]);
});

function seal(args: string[], env: Record<string, string> = {}) {
  const vars: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', NODE_COMPILE_CACHE: cc, ...env };
  delete vars.SEAL_FROM_SOURCE;
  delete vars.NODE_DISABLE_COMPILE_CACHE;
  if (env.NODE_DISABLE_COMPILE_CACHE) vars.NODE_DISABLE_COMPILE_CACHE = env.NODE_DISABLE_COMPILE_CACHE;
  const r = spawnSync(process.execPath, [path.join(app, 'bin/seal.js'), ...args], { cwd: w, env: vars, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The seal cache files under the compile-cache directory (Node adds a per-version level). */
function cacheFiles(): string[] {
  if (!existsSync(cc)) return [];
  return readdirSync(cc, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.split(path.sep).includes('seal') && f.endsWith('.bin'))
    .map((f) => path.join(cc, f));
}

const verifySig = ['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', 'file.txt'];

describe('the code cache of the single-file build', () => {
  test('is written by the first run of a command, and not again for the same flags', () => {
    const r = seal(verifySig);
    assert.equal(r.code, 0, r.stderr);
    const files = cacheFiles();
    assert.equal(files.length, 1, 'one cache file');
    assert.match(path.basename(files[0]!), /-verify-blob-\w+\.bin$/);
    const before = statSync(files[0]!).mtimeMs;
    assert.equal(seal(verifySig).code, 0);
    assert.equal(statSync(files[0]!).mtimeMs, before, 'not rewritten');
  });

  test('a run from the cache still refuses a file the signature does not cover', () => {
    const r = seal(['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', 'other.txt']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does not verify/);
  });

  test('a damaged cache is not handed to V8: the run verifies and the cache is made again', () => {
    const [file] = cacheFiles();
    const bytes = readFileSync(file!);
    for (let i = bytes.length - 4000; i < bytes.length; i += 7) bytes[i] ^= 0x5a;
    writeFileSync(file!, bytes);
    const r = seal(verifySig);
    assert.equal(r.code, 0, r.stderr);
    assert.notDeepEqual(readFileSync(file!), bytes, 'rewritten');
    assert.equal(seal(verifySig).code, 0);
  });

  test('one bit flipped anywhere in the cache is noticed (first, middle and last byte, top bit)', () => {
    const [file] = cacheFiles();
    const good = readFileSync(file!);
    for (const at of [8, Math.floor(good.length / 2), good.length - 1]) {
      const bytes = Buffer.from(good);
      bytes[at]! ^= 0x80;
      writeFileSync(file!, bytes);
      const r = seal(verifySig);
      assert.equal(r.code, 0, r.stderr);
      assert.notDeepEqual(readFileSync(file!), bytes, `flipped at ${at}: rewritten`);
    }
  });

  test('without WebAssembly (node --jitless) the build runs without a cache', () => {
    rmSync(cc, { recursive: true, force: true });
    const vars: Record<string, string | undefined> = { ...process.env, NODE_COMPILE_CACHE: cc };
    delete vars.SEAL_FROM_SOURCE;
    delete vars.NODE_DISABLE_COMPILE_CACHE;
    const r = spawnSync(process.execPath, ['--jitless', path.join(app, 'bin/seal.js'), ...verifySig], { cwd: w, env: vars, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Verified OK/);
    assert.deepEqual(cacheFiles(), []);
    assert.equal(seal(verifySig).code, 0);
    assert.equal(cacheFiles().length, 1, 'made by the next ordinary run');
  });

  test(
    "a cache file of another user's is not used, and is replaced by the run's own",
    { skip: process.getuid?.() !== 0 && 'making a file of another user needs root' },
    () => {
      const [file] = cacheFiles();
      const theirs = `${file}.theirs`;
      writeFileSync(theirs, readFileSync(file!)); // a valid cache: only its owner differs
      chownSync(theirs, 65534, 65534);
      renameSync(theirs, file!);
      const r = seal(verifySig);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(statSync(file!).uid, process.getuid!(), 'replaced by a file of this user');
    },
  );

  test('a cache cut short is ignored', () => {
    const [file] = cacheFiles();
    writeFileSync(file!, readFileSync(file!).subarray(0, 3));
    const r = seal(verifySig);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(statSync(file!).size > 1000, 'made again');
  });

  test('a bundle changed in place, same length, runs its new code (the cache is per build)', () => {
    const bundle = path.join(app, 'dist/seal-verify.cjs'); // what verify-blob runs
    const text = readFileSync(bundle, 'latin1');
    assert.ok(text.includes('"Verified OK"'));
    // Same length; the string sits in the bytecode a stale cache would still hold.
    writeFileSync(bundle, text.replace('"Verified OK"', '"Verified ok"'), 'latin1');
    try {
      const r = seal(verifySig);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Verified ok/);
      assert.equal(cacheFiles().filter((f) => f.includes('-verify-blob-')).length, 2, 'a second cache, for the new build');
    } finally {
      writeFileSync(bundle, text, 'latin1');
    }
    assert.match(seal(verifySig).stderr, /Verified OK/);
  });

  test('another command, or other flags, get a file of their own', () => {
    const before = cacheFiles().length; // verify-blob: three builds so far
    const r = seal(['public-key', '--key', 'key.pem'], { SEAL_PASSWORD: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(cacheFiles().length, before + 1);
    assert.ok(cacheFiles().some((f) => /-public-key-\w+\.bin$/.test(f)));
    const d = seal(['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', '--verbose', 'file.txt']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(cacheFiles().length, before + 2);
    // Flag values do not count: other files, same flags, no new cache.
    assert.notEqual(seal(['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', 'other.txt']).code, 0);
    assert.equal(cacheFiles().length, before + 2);
  });

  test('the verify commands run the verify build; a line its fast path does not take runs the whole build', () => {
    rmSync(cc, { recursive: true, force: true });
    const verifyBuild = path.join(app, 'dist/seal-verify.cjs');
    const size = statSync(verifyBuild).size;
    assert.equal(seal(verifySig).code, 0);
    assert.equal(cacheFiles().length, 1);
    assert.ok(path.basename(cacheFiles()[0]!).includes(`-${size}-`), 'the cache of the verify build');
    // A line it runs, one that fails, then help, a usage error, a refused flag (the whole build's
    // answer): all as if there were no verify build.
    const lines = [
      verifySig,
      ['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', 'other.txt'],
      ['verify-blob', '--help'],
      ['verify', '--no-such-flag', 'oci:x'],
      ['verify-attestation'],
      ['verify-blob', '--key', 'key.pub', '--signature', 'file.sig', '--bundle'],
    ];
    const twice = lines.map((l) => [seal(l), seal(l)]);
    renameSync(verifyBuild, `${verifyBuild}.away`);
    try {
      lines.forEach((l, i) => {
        const whole = seal(l);
        for (const r of twice[i]!) assert.deepEqual(r, whole, l.join(' '));
        assert.notEqual(whole.code, null);
      });
    } finally {
      renameSync(`${verifyBuild}.away`, verifyBuild);
    }
    assert.match(twice[0]![0]!.stderr, /^Verified OK\n$/);
    assert.match(twice[2]![0]!.stdout, /seal verify-blob/);
  });

  test('a PKCS#11 key through the verify build: the build forked as the token agent serves it', () => {
    const hsm = startSoftHsm();
    try {
      const key = `pkcs11:token=${encodeURIComponent(hsm.label)};object=k?module-path=${hsm.module}&pin-value=${hsm.pin}`;
      assert.equal(seal(['generate-key-pair', '--kms', key], hsm.env).code, 0);
      const sign = seal(['sign-blob', '--key', key, '--output-signature', 'token.sig', 'file.txt'], hsm.env);
      assert.equal(sign.code, 0, sign.stderr);
      const r = seal(['verify-blob', '--key', key, '--signature', 'token.sig', 'file.txt'], hsm.env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'Verified OK\n');
    } finally {
      hsm.cleanup();
    }
  });

  test('with NODE_DISABLE_COMPILE_CACHE nothing is read or written', () => {
    rmSync(cc, { recursive: true, force: true });
    const r = seal(verifySig, { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(cacheFiles(), []);
  });

  test('a lazily imported Node built-in prints no warning (--output-file, signing-config create)', () => {
    // Each loads node:fs / node:path with a dynamic import the bundle turns into require; a real
    // import() inside the cached script printed "ExperimentalWarning: vm.USE_MAIN_CONTEXT_DEFAULT_LOADER".
    const spec = 'url=https://rekor.example,api-version=1,start-time=2024-01-01T00:00:00Z,operator=example';
    for (let run = 0; run < 2; run++) {
      const r = seal(['signing-config', 'create', '--rekor', spec, '--rekor-config', 'ANY', '--output-file', 'sc.json']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(readFileSync(path.join(w, 'sc.json'), 'utf8'), /rekor\.example/);
    }
  });
});
