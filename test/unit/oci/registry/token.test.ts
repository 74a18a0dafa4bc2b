import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSealError } from '../../../../src/errors.ts';
import { TokenCache, fetchToken, mergeScopes, parseScope, scopesCover } from '../../../../src/oci/registry/token.ts';
import { fakeTransport } from './fake.ts';

describe('scopes', () => {
  it('parses and merges per resource', () => {
    assert.deepEqual([...parseScope('repository:a/b:pull,push').actions], ['pull', 'push']);
    assert.equal(parseScope('repository:a/b:pull').resource, 'repository:a/b');
    assert.deepEqual(mergeScopes(['repository:a:pull', 'repository:b:pull', 'repository:a:push', 'repository:a:pull']), [
      'repository:a:pull,push',
      'repository:b:pull',
    ]);
  });
  it('knows when granted scopes cover needed ones', () => {
    assert.ok(scopesCover(['repository:a:pull,push'], ['repository:a:pull']));
    assert.ok(scopesCover(['repository:a:*'], ['repository:a:delete']));
    assert.ok(!scopesCover(['repository:a:pull'], ['repository:a:pull,push']));
    assert.ok(!scopesCover(['repository:a:pull,push'], ['repository:b:pull']));
    assert.ok(scopesCover(['repository:a:pull'], []));
  });
});

describe('TokenCache', () => {
  it('reuses a wider token, forgets expired and refused ones', () => {
    let now = 0;
    const c = new TokenCache(() => now);
    c.put({ token: 'push', expiresAt: 60_000, scopes: ['repository:a:pull,push'] });
    assert.equal(c.get(['repository:a:pull'])?.token, 'push');
    assert.equal(c.get(['repository:b:pull']), undefined);
    now = 55_000; // within the 10 s margin before expiry
    assert.equal(c.get(['repository:a:pull']), undefined);
    c.put({ token: 't2', expiresAt: 200_000, scopes: ['repository:a:pull'] });
    c.drop('t2');
    assert.equal(c.get(['repository:a:pull']), undefined);
  });
});

describe('fetchToken', () => {
  const creds = { kind: 'basic' as const, username: 'u', password: 'p@ss', source: 'test' };

  it('GETs the realm with service, every scope and Basic credentials', async () => {
    const t = fakeTransport(() => ({ status: 200, body: JSON.stringify({ token: 'tok', expires_in: 300 }) }));
    const tok = await fetchToken(
      t,
      { realm: 'https://auth.test/token', service: 'svc', scopes: ['repository:a:pull', 'repository:b:pull'], credential: creds, registry: 'r' },
      () => 1000,
    );
    assert.equal(tok.token, 'tok');
    assert.equal(tok.expiresAt, 301_000);
    const u = new URL(t.requests[0]!.url);
    assert.equal(u.searchParams.get('service'), 'svc');
    assert.deepEqual(u.searchParams.getAll('scope'), ['repository:a:pull', 'repository:b:pull']);
    assert.equal(t.requests[0]!.headers.authorization, 'Basic ' + Buffer.from('u:p@ss').toString('base64'));
  });

  it('asks anonymously without credentials and accepts access_token with the default lifetime', async () => {
    const t = fakeTransport(() => ({ status: 200, body: JSON.stringify({ access_token: 'anon' }) }));
    const tok = await fetchToken(t, { realm: 'https://auth.test/token', scopes: ['repository:a:pull'], registry: 'r' }, () => 0);
    assert.equal(tok.token, 'anon');
    assert.equal(tok.expiresAt, 60_000);
    assert.equal(t.requests[0]!.headers.authorization, undefined);
  });

  it('exchanges an identity token with an OAuth2 refresh_token POST', async () => {
    const t = fakeTransport(() => ({ status: 200, body: JSON.stringify({ access_token: 'at' }) }));
    await fetchToken(t, {
      realm: 'https://auth.test/token',
      service: 's',
      scopes: ['repository:a:pull'],
      credential: { kind: 'identity-token', token: 'refresh', source: 'x' },
      registry: 'r',
    });
    const r = t.requests[0]!;
    assert.equal(r.method, 'POST');
    const form = new URLSearchParams(Buffer.from(r.body!).toString());
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('refresh_token'), 'refresh');
    assert.equal(form.get('scope'), 'repository:a:pull');
  });

  it('never sends a password to a plain-http realm on another host', async () => {
    const t = fakeTransport(() => ({ status: 200, body: '{"token":"t"}' }));
    await fetchToken(t, { realm: 'http://auth.example.com/token', scopes: [], credential: creds, registry: 'r' });
    assert.equal(t.requests[0]!.headers.authorization, undefined);
    await fetchToken(t, { realm: 'http://127.0.0.1:9/token', scopes: [], credential: creds, registry: 'r' });
    assert.ok(t.requests[1]!.headers.authorization);
  });

  it('turns a refusal into a registry error with a credentials hint, without the password', async () => {
    const t = fakeTransport(() => ({ status: 401, body: 'bad creds' }));
    await assert.rejects(
      fetchToken(t, { realm: 'https://auth.test/token', scopes: [], credential: creds, registry: 'reg.test' }),
      (e: unknown) =>
        isSealError(e, 'registry') && e.code === 'UNAUTHORIZED' && /reg\.test/.test(e.message) && /test/.test(e.hint ?? '') && !/p@ss/.test(e.message + e.hint),
    );
  });

  it('refuses bad realms and bodies', async () => {
    const ok = fakeTransport(() => ({ status: 200, body: '{}' }));
    await assert.rejects(fetchToken(ok, { realm: 'not a url', scopes: [], registry: 'r' }), /invalid token realm/);
    await assert.rejects(fetchToken(ok, { realm: 'ftp://x/t', scopes: [], registry: 'r' }), /not http/);
    await assert.rejects(fetchToken(ok, { realm: 'https://x/t', scopes: [], registry: 'r' }), /without a token/);
    const html = fakeTransport(() => ({ status: 200, body: '<html>' }));
    await assert.rejects(fetchToken(html, { realm: 'https://x/t', scopes: [], registry: 'r' }), /not JSON/);
  });
});
