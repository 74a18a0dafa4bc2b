// The built CLI (dist/, what `npm install` users run) must work for the key and blob commands, not
// only the TypeScript sources the other CLI tests run: tsc has left `.ts` dynamic-import paths in
// emitted files before (see the note in src/cli/commands/sign-blob.ts). Builds into a private
// directory so the shared dist/ is neither needed nor touched; under scripts/test.sh, which has just
// built dist/ from these sources (SEAL_TEST_BUILT_DIST=1) with the same command, that dist/ is used
// instead of a second build (its single-file bundle, which another test may be writing, is not).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const w = mkdtempSync(path.join(tmpdir(), 'seal-dist-'));
const app = path.join(w, 'seal');
const builtDist = process.env.SEAL_TEST_BUILT_DIST === '1' && existsSync(path.join(repo, 'dist/cli/main.js'));
after(() => rmSync(w, { recursive: true, force: true }));

before(() => {
  // bin/ whole: seal.js is CommonJS by bin/package.json.
  cpSync(path.join(repo, 'bin'), path.join(app, 'bin'), { recursive: true });
  cpSync(path.join(repo, 'package.json'), path.join(app, 'package.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(app, 'node_modules'));
  if (builtDist) {
    symlinkSync(path.join(repo, 'dist'), path.join(app, 'dist'));
    return;
  }
  const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
  // Other work in progress may not type-check; what matters here is what gets emitted.
  spawnSync(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--noCheck', '--outDir', path.join(app, 'dist')], { stdio: 'ignore' });
});

function seal(args: string[], input?: string) {
  const env: Record<string, string | undefined> = { ...process.env, SEAL_PASSWORD: 'dist-pw', NO_COLOR: '1' };
  delete env.SEAL_FROM_SOURCE;
  if (builtDist) env.SEAL_NO_BUNDLE = '1';
  else delete env.SEAL_NO_BUNDLE;
  const r = spawnSync(process.execPath, [path.join(app, 'bin/seal.js'), ...args], { cwd: w, env, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('no emitted file of these commands imports a .ts path', () => {
  const files = ['generate-key-pair', 'import-key-pair', 'public-key', 'sign-blob', 'verify-blob'].flatMap((c) => [
    path.join(app, 'dist/cli/commands', `${c}.js`),
    path.join(app, 'dist/ops', `${c}.js`),
  ]);
  const crypto = readdirSync(path.join(app, 'dist/crypto'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.js'))
    .map((f) => path.join(app, 'dist/crypto', f));
  for (const f of [...files, ...crypto, path.join(app, 'dist/cli/password.js')]) {
    assert.ok(existsSync(f), `${f} was emitted`);
    assert.doesNotMatch(readFileSync(f, 'utf8'), /import\(\s*['"][^'"]+\.ts['"]\s*\)/, f);
  }
});

test('the built CLI generates a key, signs and verifies a file, with and without a bundle', () => {
  assert.equal(seal(['generate-key-pair']).code, 0);
  writeFileSync(path.join(w, 'f.txt'), 'built\n');
  const s = seal(['sign-blob', '--key', 'cosign.key', '--bundle', 'f.json', '--output-signature', 'f.sig', 'f.txt']);
  assert.equal(s.code, 0, s.stderr);
  const v = seal(['verify-blob', '--key', 'cosign.pub', '--signature', 'f.sig', 'f.txt']);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stderr, 'Verified OK\n');
  const b = seal(['verify-blob', '--key', 'cosign.pub', '--bundle', 'f.json', 'f.txt']);
  assert.equal(b.code, 0, b.stderr);
  const pub = seal(['public-key', '--key', 'cosign.key']);
  assert.equal(pub.stdout, readFileSync(path.join(w, 'cosign.pub'), 'utf8'));
  const ossl = spawnSync('openssl', ['version']);
  if (ossl.status === 0) {
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(w, 'o.pem')]);
    const i = seal(['import-key-pair', '--key', 'o.pem', '-o', 'imported']);
    assert.equal(i.code, 0, i.stderr);
  }
});
