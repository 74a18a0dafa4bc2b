// The ambient identity-token providers: which one is used when, what each asks its service (local
// servers speaking GitHub's, Buildkite's and Google's protocols), and that a provider that fails
// says which it was and why.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { SealError } from '../../../src/errors.ts';
import { ambientToken, tokenFilePath, spiffeSocket, FILESYSTEM_TOKEN_PATH, type ProviderContext } from '../../../src/oidc/providers.ts';
import { resolveIdentityToken } from '../../../src/oidc/index.ts';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

let server: http.Server;
let base: string;
let dir: string;
const seen: Seen[] = [];
let reply: (s: Seen) => { status: number; body: string } = () => ({ status: 404, body: '' });

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'seal-oidc-providers-'));
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

// Nothing of this machine: no token file, no SPIFFE socket, no Google metadata server.
const ctx = (env: Record<string, string>): ProviderContext => ({
  env: { SEAL_OIDC_TOKEN_FILE: '/nonexistent/token', SPIFFE_ENDPOINT_SOCKET: '/nonexistent/sock', ...env },
  fetch: globalThis.fetch,
  resolves: async () => false,
});

describe('ambient providers', () => {
  test('none enabled: no token, no error', async () => {
    assert.equal(await ambientToken(ctx({})), undefined);
  });

  test('SIGSTORE_ID_TOKEN comes first, before GitHub Actions', async () => {
    seen.length = 0;
    const r = await ambientToken(ctx({ SIGSTORE_ID_TOKEN: ' a.b.c\n', ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/gh?x=1`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' }));
    assert.equal(r?.token, 'a.b.c');
    assert.equal(r?.provider.name, 'envvar');
    assert.equal(seen.length, 0);
  });

  test("GitHub Actions: GET URL&audience=sigstore with the bearer request token; the answer's value", async () => {
    seen.length = 0;
    reply = () => ({ status: 200, body: JSON.stringify({ count: 1, value: 'gh.token.sig' }) });
    const r = await ambientToken(ctx({ ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/_apis/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-secret' }));
    assert.equal(r?.token, 'gh.token.sig');
    assert.equal(r?.provider.name, 'github-actions');
    assert.equal(seen[0]!.method, 'GET');
    const u = new URL(seen[0]!.url, base);
    assert.equal(u.searchParams.get('api-version'), '2.0');
    assert.equal(u.searchParams.get('audience'), 'sigstore');
    assert.equal(seen[0]!.headers.authorization, 'bearer req-secret');
  });

  test('GitHub Actions refusing says which provider and why, without the request token', async () => {
    reply = () => ({ status: 403, body: JSON.stringify({ message: 'Resource not accessible by integration' }) });
    await assert.rejects(
      ambientToken(ctx({ ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/gh?v=1`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-secret' })),
      (e: SealError) => {
        assert.match(e.message, /^GitHub Actions did not give an identity token: the token service answered \(403\) Resource not accessible/);
        assert.match(e.hint ?? '', /id-token: write/);
        assert.ok(!e.message.includes('req-secret'));
        return true;
      },
    );
  });

  test('GitHub Actions: a redirect is not followed with the credentials', async () => {
    seen.length = 0;
    reply = () => ({ status: 302, body: '' });
    await assert.rejects(ambientToken(ctx({ ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/gh?v=1`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-secret' })), /redirect/);
    assert.equal(seen.length, 1);
  });

  test('Buildkite: POST {endpoint}/jobs/{job}/oidc/tokens {"audience"} with the agent token', async () => {
    seen.length = 0;
    reply = () => ({ status: 201, body: JSON.stringify({ token: 'bk.token.sig' }) });
    const r = await ambientToken(ctx({ BUILDKITE_AGENT_ACCESS_TOKEN: 'agent', BUILDKITE_AGENT_ENDPOINT: `${base}/v3/`, BUILDKITE_JOB_ID: 'job-1' }));
    assert.equal(r?.token, 'bk.token.sig');
    assert.equal(seen[0]!.method, 'POST');
    assert.equal(seen[0]!.url, '/v3/jobs/job-1/oidc/tokens');
    assert.equal(seen[0]!.headers.authorization, 'Token agent');
    assert.deepEqual(JSON.parse(seen[0]!.body), { audience: 'sigstore' });
  });

  test("the token file: cosign's path by default, SEAL_OIDC_TOKEN_FILE moves it", async () => {
    assert.equal(tokenFilePath({}), FILESYSTEM_TOKEN_PATH);
    assert.equal(FILESYSTEM_TOKEN_PATH, '/var/run/sigstore/cosign/oidc-token');
    const file = path.join(dir, 'oidc-token');
    await writeFile(file, 'file.token.sig\n');
    const r = await ambientToken(ctx({ SEAL_OIDC_TOKEN_FILE: file }));
    assert.equal(r?.token, 'file.token.sig');
    assert.equal(r?.provider.name, 'filesystem');
    await writeFile(file, '  \n');
    await assert.rejects(ambientToken(ctx({ SEAL_OIDC_TOKEN_FILE: file })), new RegExp(`the token file ${file} did not give an identity token: it is empty`));
  });

  test('Google workload identity: the metadata server, with Metadata-Flavor: Google', async () => {
    seen.length = 0;
    reply = () => ({ status: 200, body: 'google.token.sig' });
    const r = await ambientToken(ctx({ GCE_METADATA_HOST: new URL(base).host }));
    assert.equal(r?.token, 'google.token.sig');
    assert.equal(seen[0]!.url, '/computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full');
    assert.equal(seen[0]!.headers['metadata-flavor'], 'Google');
  });

  test('SPIFFE: a configured socket is refused with what to do instead (no gRPC client)', async () => {
    const sock = path.join(dir, 'api.sock');
    await writeFile(sock, '');
    assert.equal(spiffeSocket({ SPIFFE_ENDPOINT_SOCKET: `unix://${sock}` }), sock);
    await assert.rejects(ambientToken(ctx({ SPIFFE_ENDPOINT_SOCKET: `unix://${sock}` })), (e: SealError) => {
      assert.match(e.message, /^SPIFFE \(workload API at .*api\.sock\) did not give an identity token: seal has no gRPC client/);
      assert.match(e.hint ?? '', /spire-agent api fetch jwt/);
      return true;
    });
  });

  test('several enabled and all failing: each is named', async () => {
    reply = () => ({ status: 500, body: '{}' });
    const sock = path.join(dir, 'api2.sock');
    await writeFile(sock, '');
    await assert.rejects(
      ambientToken(ctx({ BUILDKITE_AGENT_ACCESS_TOKEN: 'a', BUILDKITE_JOB_ID: 'j', BUILDKITE_AGENT_ENDPOINT: base, SPIFFE_ENDPOINT_SOCKET: sock })),
      /no ambient provider gave an identity token: Buildkite did not give .*; SPIFFE .* did not give/,
    );
  });

  test('a failing provider does not stop a later one', async () => {
    const file = path.join(dir, 'oidc-token-2');
    await writeFile(file, 'later.token.sig');
    reply = () => ({ status: 500, body: '{}' });
    const r = await ambientToken(ctx({ BUILDKITE_AGENT_ACCESS_TOKEN: 'a', BUILDKITE_JOB_ID: 'j', BUILDKITE_AGENT_ENDPOINT: base, SEAL_OIDC_TOKEN_FILE: file }));
    assert.equal(r?.token, 'later.token.sig');
  });

  test('--oidc-provider uses only that provider, and says when it fails; an unknown name is a usage error', async () => {
    const file = path.join(dir, 'oidc-token-3');
    await writeFile(file, 'named.token.sig');
    await assert.rejects(
      ambientToken(ctx({ SIGSTORE_ID_TOKEN: 'x.y.z', SEAL_OIDC_TOKEN_FILE: file }), { provider: 'github-actions' }),
      /^SealError: GitHub Actions did not give an identity token: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set/,
    );
    const r = await ambientToken(ctx({ SIGSTORE_ID_TOKEN: 'x.y.z', SEAL_OIDC_TOKEN_FILE: file }), { provider: 'filesystem' });
    assert.equal(r?.token, 'named.token.sig');
    await assert.rejects(ambientToken(ctx({}), { provider: 'gitlab-ci' }), (e: SealError) => e.kind === 'usage' && /not a provider/.test(e.message));
  });
});

describe('resolveIdentityToken', () => {
  const deps = (env: Record<string, string>) => ({
    env: { SEAL_OIDC_TOKEN_FILE: '/nonexistent/token', SPIFFE_ENDPOINT_SOCKET: '/nonexistent/sock', ...env },
    fetch: globalThis.fetch,
    tell: () => undefined,
    provider: { resolves: async () => false },
  });

  test('--identity-token wins over ambient providers; a file holding the token works', async () => {
    assert.deepEqual(await resolveIdentityToken({ identityToken: 'f.l.g', terminal: false }, deps({ SIGSTORE_ID_TOKEN: 'e.n.v' })), {
      token: 'f.l.g',
      source: '--identity-token',
    });
    const file = path.join(dir, 'flag-token');
    await writeFile(file, 'from.the.file\n');
    assert.equal((await resolveIdentityToken({ identityToken: file, terminal: false }, deps({}))).token, 'from.the.file');
  });

  test('--oidc-disable-ambient-providers skips SIGSTORE_ID_TOKEN and the rest', async () => {
    await assert.rejects(
      resolveIdentityToken({ disableAmbient: true, terminal: false }, deps({ SIGSTORE_ID_TOKEN: 'e.n.v' })),
      (e: SealError) => e.code === 'NO_IDENTITY_TOKEN',
    );
  });

  test('no terminal: no login, a usage error that says what to set', async () => {
    await assert.rejects(resolveIdentityToken({ terminal: false }, deps({})), (e: SealError) => {
      assert.equal(e.kind, 'usage');
      assert.match(e.hint ?? '', /--identity-token.*SIGSTORE_ID_TOKEN.*id-token: write.*id_tokens/);
      return true;
    });
  });

  test('an unknown --fulcio-auth-flow and client_credentials are refused', async () => {
    await assert.rejects(resolveIdentityToken({ flow: 'magic', terminal: true }, deps({})), /is not a flow/);
    await assert.rejects(
      resolveIdentityToken({ flow: 'client_credentials', terminal: true }, deps({})),
      /does not implement --fulcio-auth-flow client_credentials/,
    );
  });
});
