// GitHub Actions identities end to end, through the CLI (run in this process):
// 1. a real public-good GitHub Actions bundle (sigstore-conformance happy-path-v0.3), verified
//    offline with verify-blob against the embedded root: every --certificate-github-workflow-*
//    flag and --certificate-extension, right and wrong, and the anchored identity regexp;
// 2. the local Sigstore stack, whose Fulcio (@sigstore/mock) writes a token's GitHub claims into
//    both the deprecated and the 1.8+ extensions: keyless image signatures in both formats and an
//    attestation, checked with verify / verify-attestation, with the JSON report of the checks.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { makeImageLayout } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { noStack } from '../helpers/stderr.ts';

const seal = (args: string[]) => runCli(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_PASSWORD: undefined }, timeoutMs: 60_000 });

const testDir = fileURLToPath(new URL('../', import.meta.url));
const assets = `${testDir}fixtures/sigstore-conformance/test/assets/bundle-verify/`;
const BUNDLE = `${assets}happy-path-v0.3/bundle.sigstore.json`;
const ARTIFACT = `${assets}a.txt`;
const GH_ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml';
const REAL: Record<string, string> = {
  trigger: 'workflow_dispatch',
  sha: 'c7b3dfb335f051e1c86bda4c716fac97df62ad81',
  name: 'Extremely dangerous OIDC beacon',
  repository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon',
  ref: 'refs/heads/main',
};
const WRONG: Record<string, string> = {
  trigger: 'push',
  sha: '0000000000000000000000000000000000000000',
  name: 'Extremely dangerous OIDC beacon 2',
  repository: 'sigstore-conformance/extremely-dangerous-public-oidc-beacon-fork',
  ref: 'refs/heads/mainx',
};

describe('verify-blob on a real GitHub Actions bundle', () => {
  const verifyBlob = (...extra: string[]) =>
    seal([
      'verify-blob',
      '--bundle',
      BUNDLE,
      '--certificate-identity-regexp',
      `${WORKFLOW.replace(/[.]/g, '\\.')}@refs/heads/main`,
      '--certificate-oidc-issuer',
      GH_ISSUER,
      ...extra,
      ARTIFACT,
    ]);

  test('all five GitHub workflow flags with the real values: exit 0', async () => {
    const r = await verifyBlob(...Object.entries(REAL).flatMap(([k, v]) => [`--certificate-github-workflow-${k}`, v]));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Verified OK/);
  });

  for (const field of Object.keys(REAL)) {
    test(`--certificate-github-workflow-${field}: the real value passes, a wrong one exits 3 naming the extension, expected and found`, async () => {
      const ok = await verifyBlob(`--certificate-github-workflow-${field}`, REAL[field]!);
      assert.equal(ok.code, 0, ok.stderr);
      const bad = await verifyBlob(`--certificate-github-workflow-${field}`, WRONG[field]!);
      assert.equal(bad.code, 3, bad.stderr);
      noStack(bad.stderr);
      assert.ok(bad.stderr.includes(`is ${JSON.stringify(REAL[field])}, expected ${JSON.stringify(WRONG[field])}`), bad.stderr);
      assert.match(bad.stderr, new RegExp(`GitHub Workflow \\w+ \\(1\\.3\\.6\\.1\\.4\\.1\\.57264\\.1\\.[2-6]`));
      assert.match(bad.stderr, new RegExp(`--certificate-github-workflow-${field}\\)`));
    });
  }

  test('--certificate-extension: 1.8+ DER values (runner environment, build trigger), repeatable; a wrong one exits 3', async () => {
    const ok = await verifyBlob(
      '--certificate-extension',
      '1.3.6.1.4.1.57264.1.11=github-hosted',
      '--certificate-extension',
      '1.3.6.1.4.1.57264.1.20=workflow_dispatch',
    );
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await verifyBlob('--certificate-extension', '1.3.6.1.4.1.57264.1.11=self-hosted');
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /Runner Environment \(1\.3\.6\.1\.4\.1\.57264\.1\.11\) is "github-hosted", expected "self-hosted"/);
    const absent = await verifyBlob('--certificate-extension', '1.3.6.1.4.1.99999.1=x');
    assert.equal(absent.code, 3, absent.stderr);
    assert.match(absent.stderr, /has no extension 1\.3\.6\.1\.4\.1\.99999\.1; expected "x"/);
    const malformed = await verifyBlob('--certificate-extension', 'runner=github-hosted');
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.match(malformed.stderr, /"runner" is not an OID/);
  });

  test('the identity regexp is anchored: a prefix of the workflow path without the ref does not match', async () => {
    // Unanchored (cosign, @sigstore/verify) this would pass: the SAN contains the pattern.
    const r = await seal([
      'verify-blob',
      '--bundle',
      BUNDLE,
      '--certificate-identity-regexp',
      'https://github\\.com/sigstore-conformance/',
      '--certificate-oidc-issuer',
      GH_ISSUER,
      ARTIFACT,
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /certificate identity ".*" does not match \/\^\(\?:/);
    const suffix = await seal([
      'verify-blob',
      '--bundle',
      BUNDLE,
      '--certificate-identity-regexp',
      'extremely-dangerous-oidc-beacon\\.yml@refs/heads/main',
      '--certificate-oidc-issuer',
      GH_ISSUER,
      ARTIFACT,
    ]);
    assert.equal(suffix.code, 3, 'a suffix alone does not satisfy the regexp');
    const full = await seal([
      'verify-blob',
      '--bundle',
      BUNDLE,
      '--certificate-identity-regexp',
      'https://github\\.com/sigstore-conformance/.*',
      '--certificate-oidc-issuer',
      GH_ISSUER,
      ARTIFACT,
    ]);
    assert.equal(full.code, 0, full.stderr);
  });

  test('GitHub flags with --key: usage error, exit 2', async () => {
    const key = path.join(assets, 'managed-key-happy-path', 'key.pub');
    const r = await seal(['verify-blob', '--bundle', BUNDLE, '--key', key, '--certificate-github-workflow-ref', 'refs/heads/main', ARTIFACT]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--certificate-github-workflow-ref checks a certificate, but a public key was given/);
  });
});

describe('keyless images signed from a (simulated) GitHub Actions token on the local Sigstore stack', () => {
  const IDENTITY = 'https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.4.2';
  const CLAIMS = {
    event_name: 'push',
    sha: 'd4f0c3b2a1e0f9e8d7c6b5a4f3e2d1c0b9a8f7e6',
    workflow: 'Release',
    repository: 'acme/app',
    ref: 'refs/tags/v1.4.2',
    runner_environment: 'github-hosted',
  };
  let stack: SigstoreStack;
  let token: string;
  let ref: string;
  let trust: string[];

  before(async () => {
    stack = await startSigstoreStack();
    // The stack's Fulcio takes the SAN from the email claim; a real GitHub token has the
    // workflow identity in job_workflow_ref.
    token = stack.mintToken(IDENTITY, CLAIMS);
    const img = await makeImageLayout(path.join(stack.dir, 'img'));
    ref = `oci:${img.dir}:latest`;
    trust = [
      '--certificate-identity-regexp',
      'https://github\\.com/acme/app/\\.github/workflows/release\\.yml@refs/tags/v.*',
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
    ];
    const services = ['--identity-token', token, '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl];
    for (const format of ['bundle', 'legacy']) {
      const s = await seal(['sign', ...services, '--format', format, ref]);
      assert.equal(s.code, 0, s.stderr);
    }
    const scan = fileURLToPath(new URL('../fixtures/grype/alpine-one-high.json', import.meta.url));
    const a = await seal(['attest', ...services, '--format', 'bundle', '--type', 'vuln', '--predicate', scan, ref]);
    assert.equal(a.code, 0, a.stderr);
  });
  after(async () => {
    await stack?.stop();
  });

  test('verify -o json: both signatures pass and the report lists each extension check with its values', async () => {
    const r = await seal([
      'verify',
      ...trust,
      '--certificate-github-workflow-repository',
      'acme/app',
      '--certificate-github-workflow-ref',
      'refs/tags/v1.4.2',
      '--certificate-github-workflow-trigger',
      'push',
      '--certificate-extension',
      '1.3.6.1.4.1.57264.1.11=github-hosted',
      '-o',
      'json',
      ref,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [report] = JSON.parse(r.stdout);
    assert.equal(report.signatures.length, 2);
    for (const s of report.signatures) {
      assert.equal(s.verified, true, JSON.stringify(s));
      assert.deepEqual(s.extensions, [
        { name: 'GitHub Workflow Trigger', oid: '1.3.6.1.4.1.57264.1.2', expected: 'push', found: 'push' },
        { name: 'GitHub Workflow Repository', oid: '1.3.6.1.4.1.57264.1.5', expected: 'acme/app', found: 'acme/app' },
        { name: 'GitHub Workflow Ref', oid: '1.3.6.1.4.1.57264.1.6', expected: 'refs/tags/v1.4.2', found: 'refs/tags/v1.4.2' },
        { name: 'Runner Environment', oid: '1.3.6.1.4.1.57264.1.11', expected: 'github-hosted', found: 'github-hosted' },
      ]);
    }
  });

  test('verify: a wrong ref fails both formats with exit 12, and the report says why', async () => {
    const r = await seal(['verify', ...trust, '--certificate-github-workflow-ref', 'refs/heads/main', '-o', 'json', ref]);
    assert.equal(r.code, 12, r.stderr);
    noStack(r.stderr);
    const [report] = JSON.parse(r.stdout);
    assert.equal(report.signatures.length, 2);
    for (const s of report.signatures) {
      assert.equal(s.verified, false);
      assert.equal(s.extensions, undefined);
      assert.match(
        s.error,
        /GitHub Workflow Ref \(1\.3\.6\.1\.4\.1\.57264\.1\.6 or 1\.3\.6\.1\.4\.1\.57264\.1\.14\) is "refs\/tags\/v1\.4\.2", expected "refs\/heads\/main"/,
      );
    }
    assert.match(r.stderr, /expected "refs\/heads\/main"/);
  });

  test('verify: name and sha, right and wrong', async () => {
    const ok = await seal(['verify', ...trust, '--certificate-github-workflow-name', 'Release', '--certificate-github-workflow-sha', CLAIMS.sha, ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await seal(['verify', ...trust, '--certificate-github-workflow-name', 'release', ref]);
    assert.equal(bad.code, 12, bad.stderr);
    assert.match(bad.stderr, /GitHub Workflow Name .* is "Release", expected "release"/);
  });

  test('verify-attestation takes the same flags', async () => {
    const ok = await seal(['verify-attestation', ...trust, '--certificate-github-workflow-repository', 'acme/app', '--type', 'vuln', ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await seal(['verify-attestation', ...trust, '--certificate-github-workflow-repository', 'acme/other', '--type', 'vuln', ref]);
    assert.equal(bad.code, 12, bad.stderr);
    assert.match(bad.stderr, /is "acme\/app", expected "acme\/other"/);
  });

  test('verify-blob-attestation takes the same flags (sha falls under the deprecated .1.3)', async () => {
    const file = path.join(stack.dir, 'app.tar.gz');
    const bundle = path.join(stack.dir, 'app.att.json');
    await writeFile(file, 'release bytes\n');
    const scan = fileURLToPath(new URL('../fixtures/grype/alpine-one-high.json', import.meta.url));
    const a = await seal([
      'attest-blob',
      '--identity-token',
      token,
      '--fulcio-url',
      stack.fulcioUrl,
      '--rekor-url',
      stack.rekorUrl,
      '--type',
      'vuln',
      '--predicate',
      scan,
      '--bundle',
      bundle,
      file,
    ]);
    assert.equal(a.code, 0, a.stderr);
    const ok = await seal(['verify-blob-attestation', ...trust, '--certificate-github-workflow-sha', CLAIMS.sha, '--bundle', bundle, file]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await seal(['verify-blob-attestation', ...trust, '--certificate-github-workflow-sha', 'f'.repeat(40), '--bundle', bundle, file]);
    assert.equal(bad.code, 3, bad.stderr);
    noStack(bad.stderr);
    assert.ok(
      bad.stderr.includes(`GitHub Workflow SHA (1.3.6.1.4.1.57264.1.3 or 1.3.6.1.4.1.57264.1.13) is "${CLAIMS.sha}", expected "${'f'.repeat(40)}"`),
      bad.stderr,
    );
  });

  test('the identity regexp is anchored on the workflow path: another workflow of the repository does not match', async () => {
    const other = [
      '--certificate-identity-regexp',
      'https://github\\.com/acme/app/\\.github/workflows/deploy\\.yml@.*',
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
    ];
    const r = await seal(['verify', ...other, ref]);
    assert.equal(r.code, 12, r.stderr);
    const prefix = [
      '--certificate-identity-regexp',
      'https://github\\.com/acme/app',
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
    ];
    assert.equal((await seal(['verify', ...prefix, ref])).code, 12, 'a prefix of the identity does not satisfy the regexp');
  });

  test('--key with GitHub flags: usage error, exit 2', async () => {
    const pub = path.join(stack.dir, 'k.pub');
    await writeFile(pub, '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n');
    const r = await seal(['verify', '--key', pub, '--certificate-github-workflow-ref', 'refs/heads/main', ref]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /do not apply to --key/);
  });
});
