import assert from 'node:assert/strict';
import { it } from 'node:test';
import { findChallenge, parseChallenges } from '../../../../src/oci/registry/challenge.ts';

const cases: { name: string; header: string; want: ReturnType<typeof parseChallenges> }[] = [
  {
    name: 'docker hub bearer',
    header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"',
    want: [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } }],
  },
  { name: 'basic with realm', header: 'Basic realm="Registry Realm"', want: [{ scheme: 'basic', params: { realm: 'Registry Realm' } }] },
  { name: 'case-insensitive scheme and names', header: 'BEARER Realm="r", SERVICE=s', want: [{ scheme: 'bearer', params: { realm: 'r', service: 's' } }] },
  {
    name: 'unquoted token values and spaces around =',
    header: 'Bearer realm = "r" , service = reg.io',
    want: [{ scheme: 'bearer', params: { realm: 'r', service: 'reg.io' } }],
  },
  {
    name: 'quoted-string escapes and commas inside quotes',
    header: 'Bearer realm="a\\"b,c", scope="repository:x:pull,push"',
    want: [{ scheme: 'bearer', params: { realm: 'a"b,c', scope: 'repository:x:pull,push' } }],
  },
  {
    name: 'two challenges in one header',
    header: 'Basic realm="simple", Bearer realm="https://t/token",service="svc"',
    want: [
      { scheme: 'basic', params: { realm: 'simple' } },
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 'svc' } },
    ],
  },
  {
    name: 'RFC 7235 example with token68 and empty-param challenges',
    header: 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"',
    want: [
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'basic', params: { realm: 'simple' } },
    ],
  },
  { name: 'token68', header: 'Negotiate abc+/def==', want: [{ scheme: 'negotiate', params: {}, token68: 'abc+/def==' }] },
  {
    name: 'token68 then another challenge',
    header: 'Negotiate abc==, Basic realm="x"',
    want: [
      { scheme: 'negotiate', params: {}, token68: 'abc==' },
      { scheme: 'basic', params: { realm: 'x' } },
    ],
  },
  { name: 'bare scheme', header: 'Basic', want: [{ scheme: 'basic', params: {} }] },
  {
    name: 'error param of an insufficient scope',
    header: 'Bearer realm="r",service="s",scope="repository:a:pull,push",error="insufficient_scope"',
    want: [{ scheme: 'bearer', params: { realm: 'r', service: 's', scope: 'repository:a:pull,push', error: 'insufficient_scope' } }],
  },
  { name: 'empty header', header: '', want: [] },
  { name: 'garbage survives', header: '=,, ;', want: [] },
  { name: 'unterminated quote', header: 'Bearer realm="abc', want: [{ scheme: 'bearer', params: { realm: 'abc' } }] },
];

for (const c of cases) {
  it(`parses ${c.name}`, () => assert.deepEqual(parseChallenges(c.header), c.want));
}

it('finds a challenge by scheme', () => {
  assert.equal(findChallenge('Basic realm="x", Bearer realm="y"', 'bearer')?.params.realm, 'y');
  assert.equal(findChallenge(null, 'bearer'), undefined);
  assert.equal(findChallenge('Basic realm="x"', 'bearer'), undefined);
});
