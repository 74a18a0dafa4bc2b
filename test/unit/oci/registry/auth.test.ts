import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Credential } from '../../../../src/oci/credentials.ts';
import { RegistryAuth } from '../../../../src/oci/registry/auth.ts';
import type { HttpRequest } from '../../../../src/oci/registry/http.ts';
import { withRedirects } from '../../../../src/oci/registry/redirect.ts';
import { fakeTransport, recordingLog, silentLog, type Handler } from './fake.ts';

const ORIGIN = 'https://reg.test';
const basic: Credential = { kind: 'basic', username: 'alice', password: 's3cret', source: 'test' };
const BASIC = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');
const req = (path: string, scopes: string[] = ['repository:app:pull'], method: HttpRequest['method'] = 'GET'): HttpRequest => ({
  method,
  url: new URL(path, ORIGIN),
  headers: {},
  scopes,
});

function setup(handler: Handler, credential?: Credential, challenge?: string) {
  const registry = fakeTransport(handler);
  let tokenCount = 0;
  const tokens = fakeTransport((r) => {
    tokenCount++;
    return { status: 200, body: JSON.stringify({ token: `tok${tokenCount}:${new URL(r.url).searchParams.getAll('scope').join(' ')}` }) };
  });
  let credentialCalls = 0;
  const auth = new RegistryAuth({
    registry: 'reg.test',
    getCredential: async () => {
      credentialCalls++;
      return credential;
    },
    tokenTransport: tokens,
    log: silentLog,
  });
  auth.setOrigin(ORIGIN);
  if (challenge) auth.learn(challenge);
  return { auth, registry, tokens, wrapped: auth.wrap(registry), credentialCalls: () => credentialCalls };
}

describe('RegistryAuth', () => {
  it('sends nothing to a registry without auth and never runs the credential lookup', async () => {
    const s = setup(() => ({ status: 200 }), basic);
    await s.wrapped(req('/v2/app/manifests/latest'));
    assert.equal(s.registry.requests[0]!.headers.authorization, undefined);
    assert.equal(s.credentialCalls(), 0);
  });

  it('sends Basic credentials once the registry asked for them', async () => {
    const s = setup(() => ({ status: 200 }), basic, 'Basic realm="r"');
    await s.wrapped(req('/v2/app/manifests/latest'));
    assert.equal(s.registry.requests[0]!.headers.authorization, BASIC);
    assert.ok(s.auth.credentialsUsed);
  });

  it('fetches a bearer token per scope set and reuses it', async () => {
    const s = setup(() => ({ status: 200 }), undefined, 'Bearer realm="https://auth.test/token",service="svc"');
    await s.wrapped(req('/v2/app/manifests/a'));
    await s.wrapped(req('/v2/app/blobs/sha256:x'));
    await s.wrapped(req('/v2/app/blobs/uploads/', ['repository:app:pull', 'repository:app:push'], 'POST'));
    await s.wrapped(req('/v2/app/manifests/b')); // the push token covers pull
    assert.equal(s.tokens.requests.length, 2);
    assert.deepEqual(
      s.registry.requests.map((r) => r.headers.authorization),
      ['Bearer tok1:repository:app:pull', 'Bearer tok1:repository:app:pull', 'Bearer tok2:repository:app:pull,push', 'Bearer tok2:repository:app:pull,push'],
    );
    assert.ok(!s.auth.credentialsUsed, 'anonymous tokens are not credentials');
  });

  it('shares one token request between parallel requests', async () => {
    const s = setup(() => ({ status: 200 }), undefined, 'Bearer realm="https://auth.test/token"');
    await Promise.all([1, 2, 3, 4].map((n) => s.wrapped(req(`/v2/app/blobs/sha256:${n}`))));
    assert.equal(s.tokens.requests.length, 1);
    assert.ok(s.registry.requests.every((r) => r.headers.authorization === 'Bearer tok1:repository:app:pull'));
  });

  it('learns from a 401 and retries once with a token for the wider scope the challenge names', async () => {
    let n = 0;
    const s = setup(
      () =>
        ++n === 1
          ? {
              status: 401,
              headers: {
                'www-authenticate':
                  'Bearer realm="https://auth.test/token",service="svc",scope="repository:app:pull,push repository:base:pull",error="insufficient_scope"',
              },
            }
          : { status: 201 },
      basic,
    );
    const res = await s.wrapped(req('/v2/app/manifests/v1', ['repository:app:pull,push'], 'PUT'));
    assert.equal(res.status, 201);
    assert.equal(s.registry.requests[0]!.headers.authorization, undefined);
    assert.equal(s.registry.requests[1]!.headers.authorization, 'Bearer tok1:repository:app:pull,push repository:base:pull');
    assert.equal(s.tokens.requests[0]!.headers.authorization, BASIC);
  });

  it('gives a persistent 401 back after one retry (no loop)', async () => {
    const s = setup(() => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }), basic);
    const res = await s.wrapped(req('/v2/app/manifests/latest'));
    assert.equal(res.status, 401);
    assert.equal(s.registry.requests.length, 2);
  });

  it('returns a 401 as is when it has nothing to answer it with', async () => {
    const s = setup(() => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }), undefined);
    const res = await s.wrapped(req('/v2/app/manifests/latest'));
    assert.equal(res.status, 401);
    assert.equal(s.registry.requests.length, 1);
  });

  it('uses a registry token from a credential as the bearer token directly', async () => {
    const s = setup(() => ({ status: 200 }), { kind: 'registry-token', token: 'rt', source: 'x' }, 'Bearer realm="https://auth.test/token"');
    await s.wrapped(req('/v2/app/manifests/latest'));
    assert.equal(s.registry.requests[0]!.headers.authorization, 'Bearer rt');
    assert.equal(s.tokens.requests.length, 0);
  });

  it('never sends Authorization to another origin, even if a caller set it', async () => {
    const s = setup(() => ({ status: 200 }), basic, 'Basic realm="r"');
    await s.wrapped({ method: 'GET', url: new URL('https://storage.test/blob?sig=1'), headers: { authorization: 'Basic leak' } });
    await s.wrapped({ method: 'GET', url: new URL('http://reg.test/v2/'), headers: {} }); // other scheme = other origin
    await s.wrapped({ method: 'GET', url: new URL('https://reg.test:444/v2/'), headers: {} }); // other port
    for (const r of s.registry.requests) assert.equal(r.headers.authorization, undefined, r.url);
  });
});

describe('withRedirects over the auth layer', () => {
  function chain(hops: Record<string, { status: number; headers?: Record<string, string>; body?: string }>) {
    const s = setup((r) => hops[r.url.href] ?? { status: 404 }, basic, 'Basic realm="r"');
    const log = recordingLog();
    return { ...s, log, api: withRedirects(s.wrapped, { log }) };
  }

  it('follows a blob redirect to storage without credentials', async () => {
    const c = chain({
      'https://reg.test/v2/app/blobs/sha256:1': { status: 307, headers: { location: 'https://storage.test/b/1?X-Amz-Signature=secret' } },
      'https://storage.test/b/1?X-Amz-Signature=secret': { status: 200, body: 'data' },
    });
    const res = await c.api(req('/v2/app/blobs/sha256:1'));
    assert.equal(res.status, 200);
    assert.equal(res.url.host, 'storage.test');
    assert.equal(c.registry.requests[0]!.headers.authorization, BASIC);
    assert.equal(c.registry.requests[1]!.headers.authorization, undefined);
    assert.ok(c.log.lines.some((l) => /another origin: no credentials sent/.test(l)));
    assert.ok(!c.log.lines.some((l) => /secret/.test(l)), 'pre-signed query values are not logged');
  });

  it('keeps credentials on a same-origin relative redirect', async () => {
    const c = chain({
      'https://reg.test/v2/app/blobs/sha256:1': { status: 302, headers: { location: '/v2/app/blobs/sha256:2' } },
      'https://reg.test/v2/app/blobs/sha256:2': { status: 200 },
    });
    await c.api(req('/v2/app/blobs/sha256:1'));
    assert.equal(c.registry.requests[1]!.headers.authorization, BASIC);
  });

  it('refuses a downgrade to http, a loop, and does not follow writes', async () => {
    const down = chain({ 'https://reg.test/v2/a': { status: 301, headers: { location: 'http://cdn.test/a' } } });
    await assert.rejects(down.api(req('/v2/a')), /plain http/);
    const loop = chain({ 'https://reg.test/v2/a': { status: 302, headers: { location: '/v2/a' } } });
    await assert.rejects(loop.api(req('/v2/a')), /more than 5 times/);
    const put = chain({ 'https://reg.test/v2/a': { status: 307, headers: { location: 'https://x.test/' } } });
    assert.equal((await put.api(req('/v2/a', [], 'PUT'))).status, 307);
  });
});
