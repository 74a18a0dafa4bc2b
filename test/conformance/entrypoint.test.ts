// The sigstore-conformance CLI protocol end to end: scripts/conformance-entrypoint.sh maps
// `verify-bundle` onto `seal verify-blob`, run as a real process on a sample of the cases
// (pass and fail, artifact path and sha256 digest, key and identity, given and embedded roots).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { runInProcess } from '../helpers/in-process.ts';
import { runCommand } from '../helpers/run-cli.ts';
import { startSigstoreStack } from '../harness/sigstore-stack.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
  const help = await runInProcess(['verify-blob', '--help']);
  if (help.code !== 0) return 'seal has no verify-blob command yet';
  const missing = ['--bundle', '--key', '--certificate-identity', '--certificate-oidc-issuer', '--trusted-root'].filter((f) => !help.stdout.includes(f));
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

  it('refuses sign-bundle without a token, --staging without a trusted root, and a target that is neither file nor digest', async () => {
    const sign = await runCommand('bash', [ENTRYPOINT, 'sign-bundle', '--bundle', '/tmp/x', `${root}a.txt`]);
    assert.equal(sign.code, 2);
    assert.match(sign.stderr, /sign-bundle needs --identity-token/);

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

// sign-bundle as the suite's signing tests run it (test_simple, test_sign_verify_dsse,
// test_sign_verify_rekor2), against the local Sigstore stack with a signing config written for
// the run; each bundle is then checked with verify-bundle through the same entrypoint.
describe('conformance entrypoint: sign-bundle on the local Sigstore stack', () => {
  it('signs a file and an in-toto statement with Rekor v1 and with Rekor v2 + TSA; verify-bundle accepts each', async () => {
    const stack = await startSigstoreStack();
    try {
      const dir = await mkdtemp(path.join(stack.dir, 'conformance-'));
      const svc = (url: string, majorApiVersion = 1) => ({ url, majorApiVersion, validFor: { start: '2020-01-01T00:00:00Z' }, operator: 'local' });
      const config = async (name: string, tlog: object) => {
        const file = path.join(dir, name);
        await writeFile(
          file,
          JSON.stringify({
            mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
            caUrls: [svc(stack.fulcioUrl)],
            oidcUrls: [svc(stack.issuer)],
            rekorTlogUrls: [tlog],
            tsaUrls: [svc(`${stack.tsaUrl}/api/v1/timestamp`)],
            rekorTlogConfig: { selector: 'ANY' },
            tsaConfig: { selector: 'ANY' },
          }),
        );
        return file;
      };
      const configs = { v1: await config('v1.json', svc(stack.rekorUrl)), v2: await config('v2.json', svc(stack.rekorV2Url, 2)) };
      const artifact = `${root}a.txt`;
      const statement = path.join(dir, 'statement.json');
      const digest = createHash('sha256').update(readFileSync(artifact)).digest('hex');
      await writeFile(
        statement,
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ name: 'a.txt', digest: { sha256: digest } }],
          predicateType: 'https://example.com/test',
          predicate: {},
        }),
      );
      const token = stack.mintToken('conformance@example.com');
      for (const [log, sc] of Object.entries(configs)) {
        for (const inToto of [false, true]) {
          const bundle = path.join(dir, `${log}-${inToto ? 'dsse' : 'message'}.sigstore.json`);
          const input = inToto ? statement : artifact;
          const sign = await runCommand(
            'bash',
            [
              ENTRYPOINT,
              'sign-bundle',
              ...(inToto ? ['--in-toto'] : []),
              '--identity-token',
              token,
              '--bundle',
              bundle,
              '--trusted-root',
              stack.trustedRootPath,
              '--signing-config',
              sc,
              input,
            ],
            {
              env: { SIGSTORE_ID_TOKEN: undefined },
            },
          );
          assert.equal(sign.code, 0, `sign-bundle ${log} ${inToto ? 'in-toto' : 'file'}: ${sign.stderr}`);
          assert.ok(!sign.stderr.includes(token), 'the token was printed');
          const entry = JSON.parse(readFileSync(bundle, 'utf8')).verificationMaterial.tlogEntries[0].kindVersion;
          assert.deepEqual(
            entry,
            log === 'v2' ? { kind: 'hashedrekord', version: '0.0.2' } : { kind: inToto ? 'dsse' : 'hashedrekord', version: inToto ? '0.0.1' : '0.0.1' },
          );
          // The digest form once per log, the path form for every bundle.
          for (const target of inToto ? [artifact] : [artifact, `sha256:${digest}`]) {
            const verify = await runCommand('bash', [
              ENTRYPOINT,
              'verify-bundle',
              '--bundle',
              bundle,
              '--certificate-identity',
              'conformance@example.com',
              '--certificate-oidc-issuer',
              stack.issuer,
              '--trusted-root',
              stack.trustedRootPath,
              target,
            ]);
            assert.equal(verify.code, 0, `verify-bundle ${log} ${inToto ? 'in-toto' : 'file'} ${target}: ${verify.stderr}`);
          }
          if (log !== 'v2' || !inToto) continue;
          const wrong = await runCommand('bash', [
            ENTRYPOINT,
            'verify-bundle',
            '--bundle',
            bundle,
            '--certificate-identity',
            'someone@example.com',
            '--certificate-oidc-issuer',
            stack.issuer,
            '--trusted-root',
            stack.trustedRootPath,
            artifact,
          ]);
          assert.notEqual(wrong.code, 0, 'another identity verified');
        }
      }
    } finally {
      await stack.stop();
    }
  });
});
