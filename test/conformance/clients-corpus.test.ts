// seal's CLI on real bundles and attestations from the other Sigstore clients' test suites
// (sigstore-python, sigstore-go, sigstore-js, cosign), each with the outcome the upstream test
// asserts: test/fixtures/clients/manifest.json lists the cases (files, signer, trusted root,
// expected outcome, the upstream test), PROVENANCE files say where each file came from. A case
// whose outcome must differ from upstream's carries `differs` saying why. In-process, so fast.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { sealInProcess } from '../helpers/in-process.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

interface Case {
  id: string;
  source: string;
  what: string;
  command: 'verify-blob' | 'verify-blob-attestation';
  bundle?: string;
  signature?: string;
  artifact?: string;
  digest?: string;
  digestAlg?: string;
  checkClaims?: boolean;
  type?: string;
  key?: string;
  identity?: string;
  identityRegexp?: string;
  issuer?: string;
  issuerRegexp?: string;
  trustedRoot: string;
  extra?: string[];
  expect: 'pass' | 'fail';
  /** fail cases: text the error line must contain. */
  reason?: string;
  upstream: string;
  note?: string;
  differs?: string;
}

const manifest = JSON.parse(readFileSync(`${FIXTURES}clients/manifest.json`, 'utf8')) as { cases: Case[] };
const file = (p: string) => {
  const full = FIXTURES + p;
  assert.ok(existsSync(full), `fixture ${p} is missing`);
  return full;
};

function argsOf(c: Case): string[] {
  const a: string[] = [c.command];
  if (c.bundle) a.push('--bundle', file(c.bundle));
  if (c.signature) a.push('--signature', file(c.signature));
  if (c.key) a.push('--key', file(c.key));
  if (c.identity) a.push('--certificate-identity', c.identity);
  if (c.identityRegexp) a.push('--certificate-identity-regexp', c.identityRegexp);
  if (c.issuer) a.push('--certificate-oidc-issuer', c.issuer);
  if (c.issuerRegexp) a.push('--certificate-oidc-issuer-regexp', c.issuerRegexp);
  a.push('--trusted-root', file(c.trustedRoot));
  if (c.digest) a.push('--digest', c.digest);
  if (c.digestAlg) a.push('--digestAlg', c.digestAlg);
  if (c.checkClaims === false) a.push('--check-claims=false');
  if (c.type) a.push('--type', c.type);
  a.push(...(c.extra ?? []));
  if (c.artifact) a.push(/^sha(256|384|512):/.test(c.artifact) ? c.artifact : file(c.artifact));
  return a;
}

describe('corpus: real bundles from other Sigstore clients, upstream outcomes', () => {
  it('has at least 60 cases, both outcomes, from all four clients', () => {
    const cases = manifest.cases;
    assert.ok(cases.length >= 60, `${cases.length} cases`);
    assert.ok(cases.some((c) => c.expect === 'pass') && cases.some((c) => c.expect === 'fail'));
    assert.deepEqual([...new Set(cases.map((c) => c.source))].sort(), [
      'sigstore/cosign',
      'sigstore/sigstore-go',
      'sigstore/sigstore-js',
      'sigstore/sigstore-python',
    ]);
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'case ids are unique');
    for (const c of cases) assert.ok(c.upstream, `${c.id} names the upstream test`);
  });

  for (const c of manifest.cases) {
    it(`${c.id}: ${c.what} -> ${c.expect}`, async () => {
      const r = await sealInProcess(argsOf(c));
      const why = `${c.id} (${c.upstream})${c.differs ? ` differs: ${c.differs}` : ''}\n${r.stderr}`;
      if (c.expect === 'pass') {
        assert.equal(r.code, 0, why);
        assert.match(r.stderr, /Verified OK/, why);
      } else {
        assert.notEqual(r.code, 0, why);
        assert.doesNotMatch(r.stderr, /Verified OK/, why);
        // A refusal is one line naming the problem, never a library crash.
        assert.doesNotMatch(r.stderr, /TypeError|Cannot read properties|\n\s+at /, why);
        assert.equal(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => !l.startsWith('WARNING')).length,
          1,
          why,
        );
        assert.ok(c.reason, `${c.id}: a fail case names its reason`);
        assert.ok(r.stderr.includes(c.reason), `${c.id}: expected the error to say "${c.reason}"\n${why}`);
      }
    });
  }
});
