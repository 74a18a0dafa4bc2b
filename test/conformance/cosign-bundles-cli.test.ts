// cosign's bundle fixtures through the real `seal verify-blob`: the keyless public-good OCI
// attestation offline with its trusted root, and the key-signed DSSE bundles.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const testDir = fileURLToPath(new URL('../', import.meta.url));
const F = `${testDir}fixtures/cosign/`;
const DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';

const keyless = (identityFlags: string[], target = DIGEST) => [
  'verify-blob',
  '--bundle',
  `${F}bundles/oci-attestation.keyless.sigstore.json`,
  ...identityFlags,
  '--certificate-oidc-issuer',
  'https://github.com/login/oauth',
  '--trusted-root',
  `${F}trust/trusted_root_pgi.json`,
  target,
];

function assertRejected(r: { code: number; stderr: string; stdout: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

describe('seal verify-blob with cosign bundle fixtures', () => {
  it('verifies the keyless OCI attestation offline against its image digest', async () => {
    const r = await runCli(keyless(['--certificate-identity', 'cody@soyland.com']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Verified OK/);
    assert.doesNotMatch(r.stderr, /WARNING/, 'a given trusted root is not a snapshot');
  });

  it('rejects another identity, an unanchored partial identity or regexp, and another digest (exit 3)', async () => {
    assertRejected(
      await runCli(keyless(['--certificate-identity', 'cody@soyland.co'])),
      3,
      /^Error: certificate identity "cody@soyland.com" does not match "cody@soyland.co"/,
    );
    assertRejected(await runCli(keyless(['--certificate-identity-regexp', 'soyland'])), 3, /does not match \/\^\(\?:soyland\)\$\//);
    assertRejected(await runCli(keyless(['--certificate-identity', 'cody@soyland.com'], `sha256:${'0'.repeat(64)}`)), 3, /is not a subject of the attestation/);
  });

  it('needs an issuer with an identity (exit 2)', async () => {
    const args = ['verify-blob', '--bundle', `${F}bundles/oci-attestation.keyless.sigstore.json`, '--certificate-identity', 'cody@soyland.com', DIGEST];
    assertRejected(await runCli(args), 2, /needs the OIDC issuer/);
  });

  it('verifies the key-signed DSSE bundle with its blob, and rejects the bad signature', async () => {
    const key = `${F}keys/public/verify-blob-attestation-test.pub`;
    const blob = `${F}dsse/blob-some-payload.txt`;
    const root = ['--trusted-root', `${F}trust/empty-trusted-root.json`];
    const good = await runCli(['verify-blob', '--key', key, '--bundle', `${F}bundles/blob-slsa-provenance.pubkey.sigstore.json`, ...root, blob]);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /Verified OK/);
    const bad = await runCli(['verify-blob', '--key', key, '--bundle', `${F}bundles/blob-slsa-provenance.badsig.sigstore.json`, ...root, blob]);
    assertRejected(bad, 3, /SIGNATURE_ERROR/);
  });
});
