// Runs every sigstore-conformance bundle-verify case (70 cases x {artifact path, sha256 digest}
// = 140 instances) through verifyBundle, with the flags test/client.py of the suite would pass.
// A case whose directory name ends in "fail" must be rejected, every other one accepted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SealError } from '../../src/errors.ts';
import { verifyBundle, type VerifyPolicy } from '../../src/sigstore/verify-bundle.ts';

const testDir = fileURLToPath(new URL('../', import.meta.url));
const root = `${testDir}fixtures/sigstore-conformance/test/assets/bundle-verify/`;

const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

interface Case {
  name: string;
  dir: string;
  artifactPath: string;
  policy: VerifyPolicy;
  expectPass: boolean;
}

function loadCases(): Case[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = `${root}${name}/`;
      const read = (f: string) => (existsSync(dir + f) ? readFileSync(dir + f, 'utf8').trim() : undefined);
      const policy: VerifyPolicy = existsSync(`${dir}key.pub`)
        ? { publicKeyPem: readFileSync(`${dir}key.pub`, 'utf8') }
        : { certificateIdentity: read('identity') ?? DEFAULT_IDENTITY, certificateOidcIssuer: read('issuer') ?? DEFAULT_ISSUER };
      if (existsSync(`${dir}trusted_root.json`)) policy.trustedRootPath = `${dir}trusted_root.json`;
      const artifactPath = existsSync(`${dir}artifact`) ? `${dir}artifact` : `${root}a.txt`;
      return { name, dir, artifactPath, policy, expectPass: !name.endsWith('fail') };
    });
}

test('sigstore-conformance bundle-verify: all 140 instances give the expected outcome', async (t) => {
  const cases = loadCases();
  assert.equal(cases.length, 70, 'the fixture set has 70 cases');
  assert.equal(cases.filter((c) => c.expectPass).length, 21);
  const results: { id: string; ok: boolean; detail: string }[] = [];
  for (const c of cases) {
    const bundleText = readFileSync(`${c.dir}bundle.sigstore.json`, 'utf8');
    const hex = createHash('sha256').update(readFileSync(c.artifactPath)).digest('hex');
    for (const [mode, artifact] of [
      ['PATH', { path: c.artifactPath }],
      ['DIGEST', { digest: { algorithm: 'sha256' as const, hex } }],
    ] as const) {
      const id = `${mode}-${c.name}`;
      await t.test(id, async () => {
        let outcome: 'pass' | 'fail';
        let detail = '';
        try {
          await verifyBundle(bundleText, artifact, c.policy);
          outcome = 'pass';
        } catch (err) {
          // Every failure must come out as a one-line SealError, never a raw library exception.
          assert.ok(err instanceof SealError, `${id}: threw a non-SealError: ${String(err)}`);
          assert.ok(['input', 'verification'].includes(err.kind), `${id}: unexpected kind ${err.kind}: ${err.message}`);
          assert.ok(!err.message.includes('\n'), `${id}: multi-line message`);
          outcome = 'fail';
          detail = `${err.kind}: ${err.message}`;
        }
        const ok = outcome === (c.expectPass ? 'pass' : 'fail');
        results.push({ id, ok, detail });
        assert.ok(ok, `${id}: expected ${c.expectPass ? 'pass' : 'fail'}, got ${outcome} ${detail}`);
      });
    }
  }
  const passed = results.filter((r) => r.ok).length;
  t.diagnostic(`conformance: ${passed}/${results.length} instances as expected`);
  console.log(`sigstore-conformance bundle-verify: ${passed}/${results.length} as expected`);
  assert.equal(results.length, 140);
  assert.equal(passed, 140);
});
