// Fuzz: Sigstore bundles given to verification (src/sigstore/verify-bundle.ts, read-only here:
// crashes in it are reported to its owner, not fixed in this suite). Seeds: the sigstore-conformance
// bundle-verify cases, cosign's real bundles, and key-signed bundles made in the test.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { verifyBundle } from '../../src/sigstore/verify-bundle.ts';
import { dsseBundle, messageBundle, testKey } from '../unit/sigstore/key-bundles.ts';
import { fuzz, mutateDocument, report } from './fuzz.ts';
import { FIXTURES, filesUnder } from './seeds.ts';

const ROOT = `${FIXTURES}sigstore-conformance/production_trusted_root.json`;

describe('fuzz: Sigstore bundles', () => {
  const key = testKey('p256');
  const artifact = new TextEncoder().encode('hello, fuzz\n');
  const made = [messageBundle(key, artifact), dsseBundle(key, ['a'.repeat(64)])].map((b) => JSON.stringify(b));
  const upstream = [
    ...filesUnder(`${FIXTURES}sigstore-conformance/test/assets/bundle-verify`, /\.sigstore\.json$/),
    ...filesUnder(`${FIXTURES}cosign/bundles`, /\.json$/),
    // Other clients' real bundles (several timestamps, Rekor v2, checkpoints of private logs).
    ...filesUnder(`${FIXTURES}clients`, /\.(sigstore|sigstore\.json)$|^(V1|V3|v1|v2|v3)\..*\.json$|bundle-.*\.json$/),
  ].map((f) => f.text);
  const seeds = [...made, ...upstream];

  it('verifyBundle (key and identity policies): a verification or a one-line SealError', async (t) => {
    const failures = await fuzz('verifyBundle', {
      iterations: 400,
      generate: (rng) => ({ text: mutateDocument(rng, rng.pick(seeds), seeds), byKey: rng.bool() }),
      run: ({ text, byKey }) =>
        verifyBundle(
          text,
          { bytes: artifact },
          byKey
            ? { publicKeyPem: key.publicKeyPem }
            : { certificateIdentityRegexp: '.*', certificateOidcIssuerRegexp: '.*', ...(existsSync(ROOT) ? { trustedRootPath: ROOT } : {}) },
        ),
      show: ({ text, byKey }) => `${byKey ? 'key' : 'identity'}: ${JSON.stringify(text.slice(0, 600))}`,
    });
    for (const f of failures.filter((f) => f.known)) t.diagnostic(`known, reported: ${f.known}; e.g. case ${f.caseNo}: ${f.problem.slice(0, 200)}`);
    const fresh = failures.filter((f) => !f.known);
    assert.ok(fresh.length === 0, report('verifyBundle', fresh));
  });
});
