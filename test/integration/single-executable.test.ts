// The one-file install (scripts/dist.mjs, `npm run dist`): the esbuild bundle and the Node 22
// single-executable application built from it run the README's quickstart (key pair, sign,
// verify on an OCI layout) with no node_modules and no Node on PATH.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeImageLayout } from '../harness/index.ts';
import { startSoftHsm } from '../helpers/softhsm.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const exe = path.join(root, 'release/seal-linux-x64');
const bundle = path.join(root, 'dist/seal.cjs');
let work: string;

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // PATH without Node: the executable must not need one.
    const child = spawn(cmd, args, { cwd: work, env: { PATH: '/usr/bin:/bin', HOME: work, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'seal-sea-'));
  // Built here (about a minute on the shared machine) unless `npm run dist` just made it.
  const fresh =
    existsSync(exe) && existsSync(bundle) && statSync(exe).mtimeMs >= statSync(bundle).mtimeMs && statSync(bundle).mtimeMs > Date.now() - 10 * 60_000;
  if (!fresh) {
    const r = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, [path.join(root, 'scripts/dist.mjs'), '--no-tarball'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      c.on('close', (code) => resolve(code ?? 1));
    });
    assert.equal(r, 0, 'scripts/dist.mjs failed');
  }
});
after(() => rmSync(work, { recursive: true, force: true }));

for (const how of ['executable', 'bundle'] as const) {
  test(`quickstart with the ${how}: generate-key-pair, sign and verify an oci: layout`, async () => {
    const dir = path.join(work, how);
    const img = await makeImageLayout(path.join(dir, 'image'));
    // The executable is copied away from the checkout: nothing beside it to lean on.
    const seal = path.join(dir, 'seal');
    if (how === 'executable') copyFileSync(exe, seal);
    const cmd = how === 'executable' ? seal : process.execPath;
    const pre = how === 'executable' ? [] : [bundle];
    const env = { SEAL_PASSWORD: 'quickstart', XDG_CACHE_HOME: path.join(dir, 'cache') };
    const v = await run(cmd, [...pre, '--version'], env);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    const g = await run(cmd, [...pre, 'generate-key-pair', '--output-key-prefix', path.join(dir, 'cosign')], env);
    assert.equal(g.code, 0, g.stderr);
    const ref = `oci:${img.dir}`;
    const s = await run(cmd, [...pre, 'sign', '--key', path.join(dir, 'cosign.key'), ref], env);
    assert.equal(s.code, 0, s.stderr);
    const ok = await run(cmd, [...pre, 'verify', '--key', path.join(dir, 'cosign.pub'), ref], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(img.digest.slice('sha256:'.length)));
    // And it still refuses what it should: another key does not verify (exit 12, docs/exit-codes.md).
    const g2 = await run(cmd, [...pre, 'generate-key-pair', '--output-key-prefix', path.join(dir, 'other')], env);
    assert.equal(g2.code, 0, g2.stderr);
    const bad = await run(cmd, [...pre, 'verify', '--key', path.join(dir, 'other.pub'), ref], env);
    assert.equal(bad.code, 12, bad.stderr);
  });
}

// PKCS#11 keys: the bundle forks itself as the token agent (SEAL_PKCS11_AGENT=1) and loads pkcs11js
// from the checkout's node_modules; the executable copied away has no pkcs11js beside it and says
// in one line how to put it there.
test('a key on a SoftHSM token: the bundle signs with it, the lone executable says what it lacks', async () => {
  const hsm = startSoftHsm({ pin: 'bundle-pin-1' });
  try {
    hsm.tool(['--token-label', hsm.label, '--login', '--pin', hsm.pin, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'rel', '--id', '01']);
    const dir = path.join(work, 'pkcs11');
    mkdirSync(dir);
    const file = path.join(dir, 'f.txt');
    writeFileSync(file, 'bundle');
    const key = `pkcs11:token=seal%20test;object=rel?module-path=${hsm.module}`;
    const env = { ...hsm.env, COSIGN_PKCS11_PIN: hsm.pin };
    const s = await run(process.execPath, [bundle, 'sign-blob', '--key', key, '--output-signature', path.join(dir, 'sig'), file], env);
    assert.equal(s.code, 0, s.stderr);
    const p = await run(process.execPath, [bundle, 'public-key', '--key', key, '--outfile', path.join(dir, 'k.pub')], env);
    assert.equal(p.code, 0, p.stderr);
    const v = await run(process.execPath, [bundle, 'verify-blob', '--key', path.join(dir, 'k.pub'), '--signature', path.join(dir, 'sig'), file], env);
    assert.equal(v.code, 0, v.stderr);
    const lone = path.join(dir, 'seal');
    copyFileSync(exe, lone);
    const e = await run(lone, ['sign-blob', '--key', key, file], env);
    assert.equal(e.code, 1, e.stderr);
    assert.match(
      e.stderr,
      /^Error: PKCS#11 keys need the optional npm package pkcs11js, .*; install it beside this executable: npm install --prefix \S+ pkcs11js/,
    );
    assert.equal(e.stderr.trimEnd().split('\n').length, 1, e.stderr);
  } finally {
    hsm.cleanup();
  }
});
