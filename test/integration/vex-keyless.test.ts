// The security team signs OpenVEX keylessly (Fulcio certificate for its identity, Rekor entry)
// while CI signs the scan with a key: the gate trusts VEX by --vex-certificate-identity and
// --vex-certificate-oidc-issuer against the local Sigstore stack's trusted root.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runInProcess } from '../helpers/in-process.ts';

const SECURITY = 'security@example.com';
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
let stack: SigstoreStack;
let work: string;
const seal = (args: string[]) => runInProcess(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_PASSWORD: undefined } });

before(async () => {
  stack = await startSigstoreStack();
  work = await mkdtemp(path.join(tmpdir(), 'seal-vex-keyless-'));
});
after(async () => {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

test('VEX signed keylessly by the security identity suppresses; the same VEX from another identity does not', async () => {
  const ci = makeOpensslKeyPair(work, 'ci');
  for (const [name, identity, expectSuppressed] of [
    ['trusted', SECURITY, true],
    ['stranger', 'mallory@example.com', false],
  ] as const) {
    const img = await makeImageLayout(path.join(work, name));
    const ref = `oci:${img.dir}:latest`;
    assert.equal((await seal(['attest', '--key', ci.key, '--type', 'vuln', '--predicate', `${fixtures}grype/python-debian.json`, ref])).code, 0);
    const vex = path.join(work, `${name}.vex.json`);
    const c = await seal([
      'vex',
      'create',
      ref,
      '--vuln',
      'CVE-2023-45853',
      '--status',
      'not_affected',
      '--justification',
      'vulnerable_code_not_present',
      '--author',
      SECURITY,
      '--output-file',
      vex,
    ]);
    assert.equal(c.code, 0, c.stderr);
    const a = await seal([
      'attest',
      '--identity-token',
      stack.mintToken(identity),
      '--fulcio-url',
      stack.fulcioUrl,
      '--rekor-url',
      stack.rekorUrl,
      '--format',
      'bundle',
      '--type',
      'openvex',
      '--predicate',
      vex,
      ref,
    ]);
    assert.equal(a.code, 0, a.stderr);
    const r = await seal([
      'verify-attestation',
      '--key',
      ci.pub,
      '--type',
      'vuln',
      '--max-severity',
      'high',
      '-o',
      'json',
      '--vex-certificate-identity',
      SECURITY,
      '--vex-certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
      ref,
    ]);
    assert.equal(r.code, 14, r.stderr);
    const gate = JSON.parse(r.stdout)[0].gate;
    const suppressed = gate.suppressed.map((s: { finding: { id: string } }) => s.finding.id);
    assert.deepEqual(suppressed, expectSuppressed ? ['CVE-2023-45853'] : [], r.stderr);
    assert.deepEqual(
      gate.violations.map((v: { id: string }) => v.id),
      expectSuppressed ? ['CVE-2023-38545'] : ['CVE-2023-38545', 'CVE-2023-45853'],
    );
    if (!expectSuppressed) assert.match(r.stderr, /ignored VEX attestation sha256:[0-9a-f]+: it does not verify with the VEX signer/);
  }
});

test('--vex-certificate-identity without an issuer is a usage error naming the VEX flags', async () => {
  const ci = makeOpensslKeyPair(work, 'ci2');
  const r = await seal(['verify-attestation', '--key', ci.pub, '--vex-certificate-identity', SECURITY, '--max-severity', 'high', 'oci:/nonexistent']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /VEX signer/);
});
