// Keyless signing with the identity token from each place seal can get one, end to end on the
// local Sigstore stack: the browser login (authorization code + PKCE) and the device login against
// a real OpenID Provider (npm oidc-provider, client `sigstore`), run on a real pseudo-terminal
// with a scripted browser; the GitHub Actions token service (a local server speaking its
// protocol); and the token file (SEAL_OIDC_TOKEN_FILE standing in for cosign's
// /var/run/sigstore/cosign/oidc-token). Each signs a blob, an image in both formats and an
// attestation, and each signature verifies by identity and issuer and fails with another.
// The logins run the CLI as a real process on a pseudo-terminal; the GitHub Actions and token file
// flows, and every verification, run the CLI in this process (no Node start-up per command).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeImageLayout } from '../harness/index.ts';
import { startOidcProvider, type OidcProvider } from '../harness/oidc-provider.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runInProcess } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';
import { runCliOnTerminal } from '../helpers/terminal.ts';

let stack: SigstoreStack;
let op: OidcProvider;
let blob: string;
let predicate: string;
const servers: http.Server[] = [];

// No ambient credentials of the machine running the tests may leak in.
const CLEAN_ENV = {
  SIGSTORE_ID_TOKEN: undefined,
  ACTIONS_ID_TOKEN_REQUEST_URL: undefined,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined,
  BUILDKITE_AGENT_ACCESS_TOKEN: undefined,
  GOOGLE_SERVICE_ACCOUNT_NAME: undefined,
  GCE_METADATA_HOST: undefined,
  SPIFFE_ENDPOINT_SOCKET: '/nonexistent/spire.sock',
  SEAL_OIDC_TOKEN_FILE: '/nonexistent/oidc-token',
  SEAL_TUF_CACHE: '/nonexistent/tuf',
  DISPLAY: undefined,
  WAYLAND_DISPLAY: undefined,
};
const services = () => ['--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl, '--timestamp-server-url', stack.tsaUrl];
const trust = (identity: string, issuer: string) => [
  '--certificate-identity',
  identity,
  '--certificate-oidc-issuer',
  issuer,
  '--trusted-root',
  stack.trustedRootPath,
];
// Verification runs in this process (no Node start-up each time); signing runs as real processes.
const verifyCli = (args: string[]) => runInProcess(args, { env: { SEAL_TUF_CACHE: '/nonexistent/tuf' } });
const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);

/** How a flow runs one signing command: the CLI process, with whatever the flow needs around it. */
type Signer = (args: string[]) => Promise<CliResult>;

interface Flow {
  name: string;
  identity: string;
  issuer: () => string;
  setup: () => Promise<Signer>;
}

const loginFlow = (name: string, identity: string, flowArgs: string[]): Flow => ({
  name,
  identity,
  issuer: () => op.issuer,
  setup: async () => async (args) => {
    let started = false;
    let browsing: Promise<string> | undefined;
    const r = await runCliOnTerminal([...args, '--oidc-issuer', op.issuer, ...flowArgs], {
      env: CLEAN_ENV,
      watch: (out) => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/(?:auth|device)\?\S+)/.exec(out);
        if (m && !started) {
          started = true;
          browsing = op.browse(m[1]!, identity);
        }
      },
    });
    assert.ok(started, `no login URL was printed:\n${r.stdout}`);
    await browsing;
    return r;
  },
});

const FLOWS: Flow[] = [
  loginFlow('browser login (authorization code + PKCE)', 'browser-user@example.com', []),
  loginFlow('device login', 'device-user@example.com', ['--fulcio-auth-flow', 'device']),
  {
    name: 'GitHub Actions token service',
    identity: 'gha@example.com',
    issuer: () => stack.issuer,
    setup: async () => {
      const requests: { auth?: string; audience: string | null }[] = [];
      const server = http.createServer((req, res) => {
        const u = new URL(req.url ?? '/', 'http://x');
        requests.push({ auth: req.headers.authorization, audience: u.searchParams.get('audience') });
        if (req.headers.authorization !== 'bearer request-token' || u.searchParams.get('api-version') !== '2.0') {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"bad credentials"}');
          return;
        }
        const token = stack.mintToken('gha@example.com', { repository: 'acme/app', workflow_ref: 'acme/app/.github/workflows/release.yml@refs/heads/main' });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value: token }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      servers.push(server);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token?api-version=2.0`;
      return async (args) => {
        const r = await runInProcess(args, { env: { ...CLEAN_ENV, ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token' } });
        assert.ok(requests.length > 0 && requests.every((q) => q.audience === 'sigstore'), `the token was not requested for audience sigstore: ${r.stderr}`);
        return r;
      };
    },
  },
  {
    name: 'token file',
    identity: 'file@example.com',
    issuer: () => stack.issuer,
    setup: async () => {
      const file = path.join(stack.dir, 'oidc-token');
      await writeFile(file, stack.mintToken('file@example.com') + '\n');
      return (args) => runInProcess(args, { env: { ...CLEAN_ENV, SEAL_OIDC_TOKEN_FILE: file } });
    },
  },
];

before(async () => {
  [stack, op] = await Promise.all([startSigstoreStack(), startOidcProvider()]);
  stack.trustIssuer(op.issuer, op.publicKeys);
  blob = path.join(stack.dir, 'artifact.txt');
  predicate = path.join(stack.dir, 'predicate.json');
  await writeFile(blob, 'release artifact\n');
  await writeFile(predicate, JSON.stringify({ builder: 'ci', result: 'pass' }));
});
after(async () => {
  for (const s of servers) (s.closeAllConnections(), s.close());
  await Promise.all([stack?.stop(), op?.stop()]);
});

for (const [i, flow] of FLOWS.entries()) {
  describe(`keyless with the token from the ${flow.name}`, () => {
    let sign: Signer;
    let bundle: string;
    before(async () => {
      sign = await flow.setup();
      bundle = path.join(stack.dir, `flow-${i}.sigstore.json`);
    });

    test('sign-blob, then verify-blob by identity and issuer; another identity or issuer is refused', async (t) => {
      const started = process.hrtime.bigint();
      ok(await sign(['sign-blob', ...services(), '--yes', '--bundle', bundle, blob]), 'sign-blob');
      t.diagnostic(
        `keyless sign-blob with the ${flow.name}: ${Number(process.hrtime.bigint() - started) / 1e6} ms (bench/keyless-flows.ts times whole processes)`,
      );
      ok(await verifyCli(['verify-blob', '--bundle', bundle, ...trust(flow.identity, flow.issuer()), blob]), 'verify-blob');
      const wrongIdentity = await verifyCli(['verify-blob', '--bundle', bundle, ...trust('mallory@example.com', flow.issuer()), blob]);
      assert.equal(wrongIdentity.code, 3, wrongIdentity.stderr);
      const wrongIssuer = await verifyCli(['verify-blob', '--bundle', bundle, ...trust(flow.identity, 'https://accounts.example.com'), blob]);
      assert.equal(wrongIssuer.code, 3, wrongIssuer.stderr);
    });

    test('sign an image in both formats and attest, then verify and verify-attestation by identity', async () => {
      const img = await makeImageLayout(path.join(stack.dir, `flow-${i}-image`));
      const ref = `oci:${img.dir}:latest`;
      ok(await sign(['sign', ...services(), '--yes', ref]), 'sign (legacy)');
      ok(await sign(['sign', ...services(), '--yes', '--format', 'bundle', ref]), 'sign --format bundle');
      ok(await sign(['attest', ...services(), '--yes', '--format', 'bundle', '--type', 'custom', '--predicate', predicate, ref]), 'attest');
      const v = await verifyCli(['verify', ...trust(flow.identity, flow.issuer()), '-o', 'json', ref]);
      ok(v, 'verify');
      const [report] = JSON.parse(v.stdout) as { signatures: unknown[] }[];
      assert.equal(report!.signatures.length, 2, `both signatures verify: ${v.stdout}`);
      ok(await verifyCli(['verify-attestation', ...trust(flow.identity, flow.issuer()), '--type', 'custom', ref]), 'verify-attestation');
      const other = await verifyCli(['verify', ...trust('mallory@example.com', flow.issuer()), ref]);
      assert.equal(other.code, 12, other.stderr);
      const otherIssuer = await verifyCli(['verify-attestation', ...trust(flow.identity, 'https://accounts.example.com'), '--type', 'custom', ref]);
      assert.equal(otherIssuer.code, 12, otherIssuer.stderr);
    });
  });
}

describe('no token and no terminal', () => {
  test('seal does not start a login: it fails with what to set (exit 2)', async () => {
    const r = await runInProcess(['sign-blob', ...services(), '--oidc-issuer', op.issuer, '--bundle', path.join(stack.dir, 'never.json'), blob], {
      env: CLEAN_ENV,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sign-blob needs --key, or an identity token for keyless signing \(seal starts a browser login only on a terminal\)/);
    assert.match(r.stderr, /SIGSTORE_ID_TOKEN/);
    assert.match(r.stderr, /id-token: write/);
  });

  test('--fulcio-auth-flow token without a token says so', async () => {
    const r = await runCliOnTerminal(['sign-blob', ...services(), '--fulcio-auth-flow', 'token', '--bundle', path.join(stack.dir, 'never.json'), blob], {
      env: CLEAN_ENV,
    });
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /--fulcio-auth-flow token needs an identity token/);
  });

  test("a login denied in the browser fails with the provider's error, nothing written", async () => {
    let browsing: Promise<string> | undefined;
    const out = path.join(stack.dir, 'denied.json');
    const r = await runCliOnTerminal(['sign-blob', ...services(), '--oidc-issuer', op.issuer, '--bundle', out, blob], {
      env: CLEAN_ENV,
      watch: (text) => {
        const m = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(text);
        if (m && !browsing) browsing = op.browse(m[1]!, 'x@example.com', { deny: true });
      },
    });
    await browsing;
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /the OIDC login failed: access_denied/);
    assert.equal(existsSync(out), false, 'a bundle was written');
  });
});
