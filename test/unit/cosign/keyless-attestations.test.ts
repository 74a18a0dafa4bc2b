// Keyless verification of image attestations in both storage generations, with cosign's real
// public-good attestation (Fulcio certificate, Rekor v1 dsse entry) verified offline.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkAttestation, type FoundAttestation } from '../../../src/cosign/attestations.ts';
import type { TrustPolicy } from '../../../src/cosign/trust-policy.ts';
import { legacyLayerToBundle } from '../../../src/cosign/legacy-bundle.ts';

const F = new URL('../../fixtures/cosign/', import.meta.url).pathname;
const DIGEST = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const policy = (identity: string): TrustPolicy => ({
  bundle: { certificateIdentity: identity, certificateOidcIssuer: 'https://github.com/login/oauth', trustedRootPath: `${F}trust/trusted_root_pgi.json` },
});

function legacyFound(shape: 'v2shape' | 'v3shape'): FoundAttestation {
  const manifest = JSON.parse(readFileSync(`${F}generated/att-image.manifest.json`, 'utf8'));
  return { format: 'legacy', id: 'layer', bytes: readFileSync(`${F}oci-annotations/att-layer-from-bundle.${shape}.json`), layer: manifest.layers[0] };
}

test('legacy .att layer with certificate and Rekor bundle verifies by identity, offline', async () => {
  const r = await checkAttestation(legacyFound('v2shape'), DIGEST, policy('cody@soyland.com'));
  assert.equal(r.verified, true, r.error);
  assert.equal(r.predicateType, 'https://cosign.sigstore.dev/attestation/v1');
});

test('legacy keyless: another identity, a partial identity, another image, or another envelope fail', async () => {
  for (const id of ['someone@example.com', 'cody@soyland.co']) {
    const r = await checkAttestation(legacyFound('v2shape'), DIGEST, policy(id));
    assert.equal(r.verified, false, id);
  }
  const other = await checkAttestation(legacyFound('v2shape'), `sha256:${'1'.repeat(64)}`, policy('cody@soyland.com'));
  assert.equal(other.verified, false);
  // Same signature, re-serialised envelope: not what was logged in Rekor.
  const v3 = await checkAttestation(legacyFound('v3shape'), DIGEST, policy('cody@soyland.com'));
  assert.equal(v3.verified, false);
  assert.match(v3.error!, /transparency log entry is for another envelope/);
});

test('bundle-format keyless attestation (cosign v3) verifies by identity', async () => {
  const found: FoundAttestation = { format: 'bundle', id: 'ref', bytes: readFileSync(`${F}bundles/oci-attestation.keyless.sigstore.json`) };
  assert.equal((await checkAttestation(found, DIGEST, policy('cody@soyland.com'))).verified, true);
  assert.equal((await checkAttestation(found, DIGEST, policy('mallory@example.com'))).verified, false);
});

test('a key-signed legacy layer has no certificate to verify keylessly', () => {
  const layer = {
    mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
    digest: 'sha256:x',
    size: 1,
    annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' },
  };
  assert.equal(legacyLayerToBundle(layer, Buffer.from('{}'), 'sig'), undefined);
});
