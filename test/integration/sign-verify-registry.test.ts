// seal sign / verify / attest against the real CNCF distribution registry (plain, and TLS with
// basic auth), in both storage formats; skopeo cross-checks what seal wrote.
// Many signers at once on a registry: test/integration/concurrent-sign.test.ts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { runCommand } from '../helpers/run-cli.ts';
import { pushImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const registries: RunningRegistry[] = [];

const { dir: work, key, pub, keys } = await workspace('seal-reg-', ['key', 'other']);
const otherPub = keys.other!.pub;
after(async () => {
  for (const r of registries) await r.stop();
});

describe('plain registry', () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('plain');
    registries.push(reg);
  });

  for (const format of ['legacy', 'bundle'] as const) {
    test(`${format}: sign, verify, wrong key, tree`, async () => {
      const { ref, digest } = await pushImage(reg, work, `app-${format}`);
      assert.equal((await runCli(['verify', '--key', pub, ref])).code, 10);
      const s = await runCli(['sign', '--key', key, '--format', format, ref]);
      assert.equal(s.code, 0, s.stderr);
      const v = await runCli(['verify', '--key', pub, '-o', 'json', ref]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(JSON.parse(v.stdout)[0].digest, digest);
      assert.equal((await runCli(['verify', '--key', otherPub, ref])).code, 12);
      const t = await runCli(['tree', '-o', 'json', ref]);
      assert.equal(JSON.parse(t.stdout).entries.length, 1);
    });
  }

  test('skopeo copies the .sig attachment (use-sigstore-attachments) and the copy still verifies', async () => {
    const { ref } = await pushImage(reg, work, 'skopeo-src');
    assert.equal((await runCli(['sign', '--key', key, ref])).code, 0);
    const regd = path.join(work, 'registries.d');
    execFileSync('mkdir', ['-p', regd]);
    await writeFile(path.join(regd, 'seal.yaml'), `docker:\n  ${reg.host}:\n    use-sigstore-attachments: true\n`);
    const dst = `${reg.host}/skopeo-dst:v1`;
    const cp = await runCommand('skopeo', [
      '--insecure-policy',
      '--registries.d',
      regd,
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `docker://${ref}`,
      `docker://${dst}`,
    ]);
    assert.equal(cp.code, 0, cp.stderr);
    const v = await runCli(['verify', '--key', pub, dst]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('a vuln attestation round trip with the gate, against the registry', async () => {
    const { ref } = await pushImage(reg, work, 'scanned');
    const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
    const a = await runCli(['attest', '--key', key, '--predicate', scan, '--type', 'vuln', '--format', 'bundle', ref]);
    assert.equal(a.code, 0, a.stderr);
    const ok = await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'high', ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'medium', ref]);
    assert.equal(bad.code, 14, bad.stderr);
  });
});

describe('TLS registry with basic auth', () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('tls-basic');
    registries.push(reg);
  });

  test('sign and verify with credentials and the CA from SSL_CERT_FILE', async () => {
    const { ref } = await pushImage(reg, work, 'secure');
    const env = { SSL_CERT_FILE: reg.caFile!, SEAL_REGISTRY_PASSWORD: reg.password! };
    const creds = ['--registry-username', reg.username!];
    const s = await runCli(['sign', '--key', key, ...creds, ref], { env });
    assert.equal(s.code, 0, s.stderr);
    const v = await runCli(['verify', '--key', pub, ...creds, ref], { env });
    assert.equal(v.code, 0, v.stderr);
    assert.doesNotMatch(v.stderr + v.stdout, new RegExp(reg.password!));
  });

  test('without credentials: a registry error (exit 5) naming the problem', async () => {
    const { ref } = await pushImage(reg, work, 'secure2');
    const v = await runCli(['verify', '--key', pub, ref], { env: { SSL_CERT_FILE: reg.caFile! } });
    assert.equal(v.code, 5, v.stderr);
  });
});
