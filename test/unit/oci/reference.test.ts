import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { formatReference, hostnameOf, isLoopbackRegistry, parseReference, repositoryName, repositoryScope } from '../../../src/oci/reference.ts';

const D = 'sha256:' + 'a'.repeat(64);
const D512 = 'sha512:' + 'b'.repeat(128);

const good: { input: string; want: Record<string, unknown> }[] = [
  { input: 'alpine', want: { registry: 'index.docker.io', repository: 'library/alpine', tag: undefined } },
  { input: 'alpine:3.19', want: { registry: 'index.docker.io', repository: 'library/alpine', tag: '3.19' } },
  { input: 'docker.io/alpine', want: { registry: 'index.docker.io', repository: 'library/alpine' } },
  { input: 'registry-1.docker.io/alpine', want: { registry: 'index.docker.io', repository: 'library/alpine' } },
  { input: 'index.docker.io/team/app', want: { registry: 'index.docker.io', repository: 'team/app' } },
  { input: 'team/app:v1', want: { registry: 'index.docker.io', repository: 'team/app', tag: 'v1' } },
  { input: 'ghcr.io/org/team/app:v1.2_rc-3', want: { registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2_rc-3' } },
  { input: 'Registry.Example.COM/app', want: { registry: 'registry.example.com', repository: 'app' } },
  { input: 'localhost/app', want: { registry: 'localhost', repository: 'app' } },
  { input: 'localhost:5000/app:latest', want: { registry: 'localhost:5000', repository: 'app', tag: 'latest' } },
  { input: '127.0.0.1:5000/a/b', want: { registry: '127.0.0.1:5000', repository: 'a/b' } },
  { input: 'host:5000/app', want: { registry: 'host:5000', repository: 'app' } },
  { input: '[::1]:5000/repo', want: { registry: '[::1]:5000', repository: 'repo' } },
  { input: '[::1]/repo:t', want: { registry: '[::1]', repository: 'repo', tag: 't' } },
  { input: '[2001:db8::1]:443/ns/repo@' + D, want: { registry: '[2001:db8::1]:443', repository: 'ns/repo', digest: D } },
  { input: `ghcr.io/app@${D}`, want: { registry: 'ghcr.io', repository: 'app', digest: D, tag: undefined } },
  { input: `ghcr.io/app:v1@${D}`, want: { repository: 'app', tag: 'v1', digest: D } },
  { input: `ghcr.io/app@${D512}`, want: { digest: D512 } },
  { input: 'a.b/x__y/z.w/q-r---s', want: { registry: 'a.b', repository: 'x__y/z.w/q-r---s' } },
  { input: 'localhost:5000/app:' + 'T'.repeat(128), want: { tag: 'T'.repeat(128) } },
];

for (const { input, want } of good) {
  it(`parses ${input}`, () => {
    const ref = parseReference(input);
    assert.equal(ref.kind, 'registry');
    for (const [k, v] of Object.entries(want)) assert.equal((ref as unknown as Record<string, unknown>)[k], v, k);
    assert.equal(ref.original, input);
  });
}

// Each bad reference must be refused with a usage error that names the bad part.
const bad: { input: string; names: RegExp }[] = [
  { input: '', names: /empty image reference/ },
  { input: 'App', names: /component "App".*lower-case/ },
  { input: 'ghcr.io/Team/app', names: /component "Team"/ },
  { input: 'ghcr.io/app:', names: /empty tag/ },
  { input: 'ghcr.io/app:-bad', names: /tag "-bad"/ },
  { input: 'ghcr.io/app:' + 'x'.repeat(129), names: /invalid tag/ },
  { input: 'ghcr.io/app:a/b', names: /invalid tag "a\/b"|component/ },
  { input: 'ghcr.io/app@sha256:abc', names: /digest "sha256:abc"/ },
  { input: `ghcr.io/app@md5:${'a'.repeat(32)}`, names: /digest "md5:/ },
  { input: `ghcr.io/app@sha256:${'A'.repeat(64)}`, names: /digest/ },
  { input: 'ghcr.io/', names: /missing repository/ },
  { input: 'ghcr.io//app', names: /empty path component/ },
  { input: 'ghcr.io/app/', names: /empty path component/ },
  { input: 'bad_host.io/app', names: /registry host "bad_host.io"/ },
  { input: '-bad.io/app', names: /registry host "-bad.io"/ },
  { input: 'ghcr.io:99999/app', names: /port "99999"/ },
  { input: 'ghcr.io:0/app', names: /port "0"/ },
  { input: 'ghcr.io:x1/app', names: /port "x1"/ },
  { input: '[::1/app', names: /unclosed/ },
  { input: '[zz::1]:5000/app', names: /IPv6 address "\[zz::1\]"/ },
  { input: '[::1]x/app', names: /registry "\[::1\]x"/ },
  { input: 'ghcr.io/a b', names: /white space/ },
  { input: 'ghcr.io/a..b', names: /component "a..b"/ },
  { input: 'ghcr.io/' + 'a'.repeat(250), names: /longer than 255/ },
  { input: 'oci:', names: /missing directory/ },
  { input: 'oci:./dir:bad tag', names: /white space|tag/ },
];

for (const { input, names } of bad) {
  it(`refuses ${JSON.stringify(input).slice(0, 60)}`, () => {
    assert.throws(
      () => parseReference(input),
      (err: unknown) => isSealError(err, 'usage') && names.test(err.message),
    );
  });
}

describe('oci: layouts', () => {
  it('parses a directory, tag and digest', () => {
    assert.deepEqual(parseReference('oci:./out'), { kind: 'layout', path: './out', tag: undefined, digest: undefined, original: 'oci:./out' });
    assert.deepEqual(parseReference('oci:/tmp/x:v1'), { kind: 'layout', path: '/tmp/x', tag: 'v1', digest: undefined, original: 'oci:/tmp/x:v1' });
    const r = parseReference(`oci:dir@${D}`);
    assert.equal(r.kind === 'layout' && r.path, 'dir');
    assert.equal(r.digest, D);
  });
  it('keeps a colon that is part of the directory path', () => {
    const r = parseReference('oci:/tmp/a:b/c');
    assert.equal(r.kind === 'layout' && r.path, '/tmp/a:b/c');
    assert.equal(r.tag, undefined);
  });
});

describe('helpers', () => {
  it('formats references users can paste', () => {
    const r = parseReference('alpine:3');
    assert.equal(repositoryName(r), 'index.docker.io/library/alpine');
    assert.equal(formatReference(r), 'index.docker.io/library/alpine:3');
    assert.equal(formatReference(r, { digest: D }), `index.docker.io/library/alpine@${D}`);
    assert.equal(repositoryName(parseReference('oci:d')), 'oci:d');
  });
  it('knows loopback registries', () => {
    for (const h of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', '[::1]']) assert.ok(isLoopbackRegistry(h), h);
    for (const h of ['ghcr.io', '10.0.0.1:5000', '192.168.1.1', '[2001:db8::1]', 'localhost.evil.com', '127.0.0.1.nip.io']) {
      assert.ok(!isLoopbackRegistry(h), h);
    }
    assert.equal(hostnameOf('[::1]:5000'), '::1');
    assert.equal(hostnameOf('host:80'), 'host');
  });
  it('builds token scopes', () => {
    assert.equal(repositoryScope('team/app', ['pull', 'push']), 'repository:team/app:pull,push');
  });
});
