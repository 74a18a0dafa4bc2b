// The interactive logins in process against a real OpenID Provider (npm oidc-provider, client
// `sigstore`), the user's side played by the harness's scripted browser: the ID token that comes
// back, and what is refused (a bad redirect URL, a forged callback, a denied login, an issuer
// that is not what it says).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SealError } from '../../../src/errors.ts';
import { browserFlow } from '../../../src/oidc/browser-flow.ts';
import { deviceFlow } from '../../../src/oidc/device-flow.ts';
import { decodeJwt, readClientSecret, resolveIdentityToken } from '../../../src/oidc/index.ts';
import { CONFIDENTIAL_CLIENT_SECRET, startOidcProvider, type OidcProvider } from '../../harness/oidc-provider.ts';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

let op: OidcProvider;
before(async () => {
  op = await startOidcProvider();
});
after(async () => {
  await op?.stop();
});

/** Deps whose `tell` hands the first printed URL of the issuer to the scripted browser. */
function userAt(email: string, opts: { deny?: boolean } = {}) {
  const lines: string[] = [];
  let browsing: Promise<string> | undefined;
  return {
    lines,
    done: () => browsing,
    deps: {
      fetch: globalThis.fetch,
      tell: (line: string) => {
        lines.push(line);
        if (!browsing && line.startsWith(op.issuer)) browsing = op.browse(line, email, opts);
      },
      // The device flow's pauses: no real waiting in tests, but let the browser move on.
      wait: () => new Promise<void>((resolve) => setImmediate(resolve)),
    },
  };
}

describe('browser flow (authorization code + PKCE)', () => {
  test('an ID token of the issuer for client sigstore, with the verified email', async () => {
    const user = userAt('alice@example.com');
    const token = await browserFlow({ issuer: op.issuer, clientId: 'sigstore' }, user.deps);
    const claims = decodeJwt(token)!.claims;
    assert.equal(claims.iss, op.issuer);
    assert.equal(claims.aud, 'sigstore');
    assert.equal(claims.email, 'alice@example.com');
    assert.equal(claims.email_verified, true);
    assert.match(user.lines[0]!, /^Open this URL in a browser to log in:$/);
    const url = new URL(user.lines[1]!);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('redirect_uri')!, /^http:\/\/127\.0\.0\.1:\d+\/auth\/callback$/);
    assert.ok(url.searchParams.get('nonce') && url.searchParams.get('state'));
  });

  test('through resolveIdentityToken on a terminal, with the source named', async () => {
    const user = userAt('bob@example.com');
    const r = await resolveIdentityToken({ terminal: true, issuer: op.issuer, disableAmbient: true }, { ...user.deps, env: {} });
    assert.equal(r.source, 'browser login');
    assert.equal(decodeJwt(r.token)!.claims.email, 'bob@example.com');
  });

  test('a confidential client with --oidc-client-secret-file; the wrong secret is refused at the token endpoint', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'seal-oidc-secret-'));
    const file = path.join(dir, 'secret');
    await writeFile(file, `${CONFIDENTIAL_CLIENT_SECRET}\n`);
    const user = userAt('henry@example.com');
    const r = await resolveIdentityToken(
      { terminal: true, issuer: op.issuer, clientId: 'sigstore-confidential', clientSecret: await readClientSecret(file, dir), disableAmbient: true },
      { ...user.deps, env: {} },
    );
    assert.equal(decodeJwt(r.token)!.claims.aud, 'sigstore-confidential');
    const wrong = userAt('henry@example.com');
    await assert.rejects(
      browserFlow({ issuer: op.issuer, clientId: 'sigstore-confidential', clientSecret: 'wrong' }, wrong.deps),
      /did not exchange the login for an ID token: \(401\) invalid_client/,
    );
    await wrong.done();
  });

  test('a denied login fails with the error the issuer sent', async () => {
    const user = userAt('carol@example.com', { deny: true });
    await assert.rejects(browserFlow({ issuer: op.issuer, clientId: 'sigstore' }, user.deps), /the OIDC login failed: access_denied/);
    await user.done();
  });

  test('a callback with another state is not taken for the answer', async () => {
    const user = userAt('dave@example.com');
    const tell = user.deps.tell;
    user.deps.tell = (line) => {
      const m = /waits for the login at (\S+)/.exec(line);
      if (m) void fetch(`${m[1]}?code=forged&state=forged`).then((r) => assert.equal(r.status, 400));
      tell(line);
    };
    const token = await browserFlow({ issuer: op.issuer, clientId: 'sigstore' }, user.deps);
    assert.equal(decodeJwt(token)!.claims.email, 'dave@example.com');
  });

  test('an interrupt (SIGINT/SIGTERM) ends the wait for the login at once', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const flow = browserFlow(
      { issuer: op.issuer, clientId: 'sigstore' },
      { fetch: globalThis.fetch, signal: controller.signal, tell: (line) => void (line.startsWith(op.issuer) && controller.abort()) },
    );
    await assert.rejects(flow, (e: SealError) => e.kind === 'interrupted');
    assert.ok(Date.now() - started < 2000);
  });

  test('a redirect URL off the loopback interface is a usage error', async () => {
    await assert.rejects(
      browserFlow({ issuer: op.issuer, clientId: 'sigstore', redirectUrl: 'https://example.com/callback' }, userAt('x@example.com').deps),
      (e: SealError) => e.kind === 'usage' && /must be an http URL on the loopback interface/.test(e.message),
    );
  });

  test('an unknown client is refused by the issuer', async () => {
    const lines: string[] = [];
    let last: Promise<string> | undefined;
    const deps = {
      fetch: globalThis.fetch,
      tell: (line: string) => {
        lines.push(line);
        if (!last && line.startsWith(op.issuer)) last = op.browse(line, 'x@example.com');
      },
    };
    const flow = browserFlow({ issuer: op.issuer, clientId: 'not-registered', timeoutMs: 1000 }, deps);
    await assert.rejects(flow, /no login within 1 s/);
    assert.match(await last!, /^http:\/\/127\.0\.0\.1:\d+\/auth\?/, 'the issuer showed an error page instead of redirecting');
  });

  test('an issuer whose discovery document names another issuer is refused', async () => {
    const fakeFetch = async (input: string | URL, init?: RequestInit) => {
      const r = await fetch(input, init);
      if (!String(input).endsWith('/.well-known/openid-configuration')) return r;
      const doc = (await r.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...doc, issuer: 'https://evil.example.com' }), { status: 200 });
    };
    await assert.rejects(
      browserFlow({ issuer: op.issuer, clientId: 'sigstore' }, { fetch: fakeFetch, tell: () => undefined }),
      /says it is https:\/\/evil\.example\.com/,
    );
  });
});

describe('device flow (RFC 8628)', () => {
  test('prints the verification URL and returns the ID token once the user approved', async () => {
    const user = userAt('erin@example.com');
    const token = await deviceFlow({ issuer: op.issuer, clientId: 'sigstore' }, user.deps);
    assert.equal(decodeJwt(token)!.claims.email, 'erin@example.com');
    assert.match(user.lines[0]!, /^Open this URL in a browser on any device to log in:$/);
    assert.match(user.lines[1]!, /\/device\?user_code=[A-Z]{4}-[A-Z]{4}$/);
  });

  test('a denied device login fails with the reason', async () => {
    const user = userAt('frank@example.com', { deny: true });
    await assert.rejects(deviceFlow({ issuer: op.issuer, clientId: 'sigstore' }, user.deps), /the device login at .* failed: the login was denied/);
    await user.done(); // the browser's last page, after the denial
  });

  test('--fulcio-auth-flow device runs without a terminal (asked for by name)', async () => {
    const user = userAt('gina@example.com');
    const r = await resolveIdentityToken({ terminal: false, flow: 'device', issuer: op.issuer, disableAmbient: true }, { ...user.deps, env: {} });
    assert.equal(r.source, 'device login');
  });
});
