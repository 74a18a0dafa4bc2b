import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildSimpleSigningPayload, checkSimpleSigningClaims, goJSON } from '../../../src/cosign/simple-signing.ts';

const shared = new URL('../../fixtures/cosign/generated/', import.meta.url);
const DIGEST = 'sha256:89333bc71f02c647533ab52e592ad22c609728f12eabff6fda0920109db40401';

test('payloads are byte-identical to cosign’s (generated fixtures)', () => {
  const none = readFileSync(new URL('simplesigning-payload-no-annotations.json', shared));
  assert.equal(Buffer.from(buildSimpleSigningPayload('registry.example.com/team/app', DIGEST)).toString(), none.toString().trimEnd());
  const withA = readFileSync(new URL('simplesigning-payload-with-annotations.json', shared), 'utf8').trimEnd();
  const optional = JSON.parse(withA).optional as Record<string, string>;
  assert.equal(Buffer.from(buildSimpleSigningPayload('registry.example.com/team/app', DIGEST, optional)).toString(), withA);
});

test('Go escaping of <, > and &', () => {
  assert.equal(goJSON({ a: '<b>&' }), '{"a":"\\u003cb\\u003e\\u0026"}');
});

test('claims: digest and annotations must match', () => {
  const p = buildSimpleSigningPayload('r/x', DIGEST, { env: 'prod' });
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { env: 'prod' }).ok, true);
  const other = checkSimpleSigningClaims(p, 'sha256:' + '0'.repeat(64));
  assert.equal(other.ok, false);
  assert.match((other as { reason: string }).reason, /not sha256:0000/);
  assert.equal(checkSimpleSigningClaims(p, DIGEST, { env: 'dev' }).ok, false);
  assert.equal(checkSimpleSigningClaims(Buffer.from('nope'), DIGEST).ok, false);
});
