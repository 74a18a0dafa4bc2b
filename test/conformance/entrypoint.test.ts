// The sigstore-conformance CLI protocol end to end: scripts/conformance-entrypoint.sh maps
// `verify-bundle` onto `seal verify-blob`, run as a real process on a sample of the cases
// (pass and fail, artifact path and sha256 digest, key and identity, given and embedded roots).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runCli, runCommand } from '../helpers/run-cli.ts';

const ENTRYPOINT = fileURLToPath(new URL('../../scripts/conformance-entrypoint.sh', import.meta.url));
const STUB = fileURLToPath(new URL('./stub-verify-blob.ts', import.meta.url));
const testDir = fileURLToPath(new URL('../', import.meta.url));
const root = `${testDir}fixtures/sigstore-conformance/test/assets/bundle-verify/`;

const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** The argv test/client.py of the suite builds for a case. */
function protocolArgs(name: string, mode: 'PATH' | 'DIGEST'): string[] {
  const dir = `${root}${name}/`;
  const args = ['verify-bundle', '--bundle', `${dir}bundle.sigstore.json`];
  if (existsSync(`${dir}key.pub`)) {
    args.push('--key', `${dir}key.pub`);
  } else {
    const read = (f: string) => (existsSync(dir + f) ? readFileSync(dir + f, 'utf8').trim() : undefined);
    args.push('--certificate-identity', read('identity') ?? DEFAULT_IDENTITY);
    args.push('--certificate-oidc-issuer', read('issuer') ?? DEFAULT_ISSUER);
  }
  if (existsSync(`${dir}trusted_root.json`)) args.push('--trusted-root', `${dir}trusted_root.json`);
  const artifact = existsSync(`${dir}artifact`) ? `${dir}artifact` : `${root}a.txt`;
  args.push(mode === 'PATH' ? artifact : `sha256:${createHash('sha256').update(readFileSync(artifact)).digest('hex')}`);
  return args;
}

const CASES: [string, 'PATH' | 'DIGEST'][] = [
  ['happy-path-v0.3', 'PATH'], // embedded production root
  ['happy-path-intoto-in-dsse-v3', 'DIGEST'], // DSSE subject against a digest
  ['managed-key-and-trusted-root', 'DIGEST'], // --key, prehashed check
  ['rekor2-happy-path', 'PATH'], // Rekor v2 + TSA, --trusted-root
  ['signature-mismatch_fail', 'PATH'],
  ['message-digest-mismatch_fail', 'DIGEST'],
  ['trust-root-tlog-missing-validity-start_fail', 'PATH'],
  ['managed-key-no-key_fail', 'DIGEST'],
];

async function verifyBlobSupportsProtocol(): Promise<string | undefined> {
  const help = await runCli(['verify-blob', '--help']);
  if (help.code !== 0) return 'seal has no verify-blob command yet';
  const missing = ['--bundle', '--key', '--certificate-identity', '--certificate-oidc-issuer', '--trusted-root'].filter(
    (f) => !help.stdout.includes(f),
  );
  return missing.length ? `seal verify-blob lacks ${missing.join(', ')} yet` : undefined;
}

async function expectOutcome(name: string, mode: 'PATH' | 'DIGEST', env?: Record<string, string>): Promise<void> {
  const r = await runCommand('bash', [ENTRYPOINT, ...protocolArgs(name, mode)], { env });
  const where = `${mode}-${name}: exit ${r.code}, stderr: ${r.stderr.trim()}`;
  if (!name.endsWith('fail')) {
    assert.equal(r.code, 0, where);
    return;
  }
  // A rejection is a clean verification/input failure with one error line, never a crash.
  assert.ok([1, 3].includes(r.code), where);
  assert.match(r.stderr, /^Error: [^\n]+\n/m, where);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${where} (stack trace)`);
}

describe('conformance entrypoint', () => {
  it('maps the protocol flags onto verify-blob (checked with a stand-in verify-blob)', async () => {
    for (const [name, mode] of CASES) await expectOutcome(name, mode, { SEAL: `${process.execPath} ${STUB}` });
  });

  it('runs a sample of cases through seal verify-blob with the expected exit status', async (t) => {
    const unsupported = await verifyBlobSupportsProtocol();
    if (unsupported) return t.skip(`${unsupported}: skipped`);
    for (const [name, mode] of CASES) await expectOutcome(name, mode);
    console.log(`conformance entrypoint: ${CASES.length}/${CASES.length} cases as expected through seal verify-blob`);
  });

  it('refuses sign-bundle, --staging without a trusted root, and a target that is neither file nor digest', async () => {
    const sign = await runCommand('bash', [ENTRYPOINT, 'sign-bundle', '--identity-token', 'x', '--bundle', '/tmp/x', `${root}a.txt`]);
    assert.equal(sign.code, 2);
    assert.match(sign.stderr, /sign-bundle is not supported.*--skip-signing/);

    const staging = await runCommand('bash', [ENTRYPOINT, 'verify-bundle', '--staging', ...protocolArgs('happy-path-v0.3', 'PATH').slice(1)]);
    assert.equal(staging.code, 2);
    assert.match(staging.stderr, /--staging needs --trusted-root/);

    const args = protocolArgs('happy-path-v0.3', 'PATH');
    args[args.length - 1] = '/nonexistent/file';
    const missing = await runCommand('bash', [ENTRYPOINT, ...args]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /neither an existing file nor sha256/);

    const unknown = await runCommand('bash', [ENTRYPOINT, 'verify-bundle', '--frobnicate', 'x', `${root}a.txt`]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unexpected argument '--frobnicate'/);
  });
});
