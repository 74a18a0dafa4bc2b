// Where seal deliberately differs from @sigstore/verify 4.1.3 and follows sigstore-go and
// sigstore-python (issue 9 items 3 and 4), on their real test bundles: each test shows the
// library's own verdict too, so it fails if the deviation is no longer needed or no longer made.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { TrustedRoot } from '@sigstore/protobuf-specs';

import { verifyBundle } from '../../../src/sigstore/verify-bundle.ts';
import { sealInProcess } from '../../helpers/in-process.ts';

const F = fileURLToPath(new URL('../../fixtures/clients/', import.meta.url));
const json = (p: string) => JSON.parse(readFileSync(F + p, 'utf8'));

describe('checkpoint origin: matched by key hint, as sigstore-go (item 3)', () => {
  const bundle = 'sigstore-go/bundles/othername.sigstore.json';
  const root = 'sigstore-go/trusted-roots/scaffolding.json';
  const digest = 'bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b';

  it('@sigstore/verify alone refuses the scaffolding checkpoint (its origin is not in the log baseUrl)', () => {
    const b = bundleFromJSON(json(bundle));
    const envelope = b.verificationMaterial.tlogEntries[0]!.inclusionProof!.checkpoint!.envelope;
    const origin = envelope.split('\n')[0]!;
    const baseUrl = json(root).tlogs[0].baseUrl as string;
    assert.ok(!baseUrl.includes(origin), `${origin} is not part of ${baseUrl}`);
    const trust = toTrustMaterial(TrustedRoot.fromJSON(json(root)));
    assert.throws(() => new Verifier(trust).verify(toSignedEntity(b, Buffer.alloc(0))), /invalid checkpoint signature/);
  });

  it('seal verifies it: the checkpoint signature is checked with the key the hint names', async () => {
    const r = await verifyBundle(
      json(bundle),
      { digest: { algorithm: 'sha256', hex: digest } },
      {
        certificateIdentity: 'foo!oidc.local',
        certificateOidcIssuer: 'http://oidc.local:8080',
        trustedRootPath: F + root,
      },
    );
    assert.deepEqual(r.signer, { identity: 'foo!oidc.local', issuer: 'http://oidc.local:8080' });
    assert.equal(r.tlog, true);
  });

  it('a checkpoint whose signature is flipped still fails', async () => {
    const b = json(bundle);
    const proof = b.verificationMaterial.tlogEntries[0].inclusionProof;
    proof.checkpoint.envelope = proof.checkpoint.envelope.replace(/(\u2014 \S+ )(\S)/, (_m: string, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
    await assert.rejects(
      verifyBundle(
        b,
        { digest: { algorithm: 'sha256', hex: digest } },
        { certificateIdentity: 'foo!oidc.local', certificateOidcIssuer: 'http://oidc.local:8080', trustedRootPath: F + root },
      ),
      /invalid checkpoint signature|malformed checkpoint/,
    );
  });
});

describe('several RFC 3161 timestamps: the valid ones count (item 4)', () => {
  const bundle = 'sigstore-python/tsa/bundle.txt.sigstore';
  const root = 'sigstore-python/tsa/trusted_root.staging-with-tsa.json';
  const policy = { certificateIdentityRegexp: '.*', certificateOidcIssuerRegexp: '.*', trustedRootPath: F + root };

  it('@sigstore/verify alone refuses the bundle: one of its two timestamps does not verify', () => {
    const b = bundleFromJSON(json(bundle));
    const trust = toTrustMaterial(TrustedRoot.fromJSON(json(root)));
    assert.throws(() => new Verifier(trust).verify(toSignedEntity(b, readFileSync(F + 'sigstore-python/tsa/bundle.txt'))), /timestamp could not be verified/);
  });

  it('seal verifies it with the valid timestamp and the log entry, and reports which were used', async () => {
    const r = await verifyBundle(json(bundle), { path: F + 'sigstore-python/tsa/bundle.txt' }, policy);
    assert.deepEqual(
      r.timestamps.map((t) => [t.source, t.index, t.used]),
      [
        ['tlog', 0, true],
        ['rfc3161', 0, true],
        ['rfc3161', 1, false],
      ],
    );
    assert.match(r.timestamps[2]!.reason ?? '', /could not be verified/);
  });

  it('--verbose says which timestamps were used', async () => {
    const r = await sealInProcess([
      'verify-blob',
      '--verbose',
      '--bundle',
      F + bundle,
      '--certificate-identity-regexp',
      '.*',
      '--certificate-oidc-issuer-regexp',
      '.*',
      '--trusted-root',
      F + root,
      F + 'sigstore-python/tsa/bundle.txt',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /RFC 3161 timestamp 0 2024-10-31T10:23:39\.000Z: used/);
    assert.match(r.stderr, /RFC 3161 timestamp 1 \S+: not used \(timestamp could not be verified\)/);
    assert.match(r.stderr, /tlog entry 0 integrated time \S+: used/);
  });

  it('without the log entry, the one valid timestamp is enough; with none valid it fails naming each', async () => {
    const b = json(bundle);
    // Drop the log entry's promise: its integrated time no longer counts, only the TSA does.
    const noTlog = structuredClone(b);
    noTlog.verificationMaterial.tlogEntries = [];
    await verifyBundle(noTlog, { path: F + 'sigstore-python/tsa/bundle.txt' }, { ...policy, ignoreTlog: true });
    const onlyBad = structuredClone(noTlog);
    onlyBad.verificationMaterial.timestampVerificationData.rfc3161Timestamps.splice(0, 1);
    await assert.rejects(
      verifyBundle(onlyBad, { path: F + 'sigstore-python/tsa/bundle.txt' }, { ...policy, ignoreTlog: true }),
      /0 valid timestamp\(s\), 1 required \(timestamp 0: timestamp could not be verified\)/,
    );
  });
});
