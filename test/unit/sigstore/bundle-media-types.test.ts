import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bundleMediaTypes, isKnownBundleMediaType, isSigstoreBundle } from '../../../src/sigstore/bundle-media-types.ts';

const vm = { publicKey: { hint: 'x' } };

describe('isSigstoreBundle', () => {
  it('accepts every bundle version, including unknown ones, with exactly one signature kind', () => {
    for (const mediaType of [...bundleMediaTypes, 'application/vnd.dev.sigstore.bundle+json;version=99.9', 'application/vnd.dev.sigstore.bundle.v0.4+json']) {
      assert.equal(isSigstoreBundle({ mediaType, verificationMaterial: vm, messageSignature: {} }), true, mediaType);
      assert.equal(isSigstoreBundle({ mediaType, verificationMaterial: vm, dsseEnvelope: {} }), true, mediaType);
    }
  });

  it('rejects other JSON', () => {
    const mediaType = bundleMediaTypes[3];
    assert.equal(isSigstoreBundle(null), false);
    assert.equal(isSigstoreBundle('bundle'), false);
    assert.equal(isSigstoreBundle([]), false);
    assert.equal(isSigstoreBundle({ payloadType: 'application/vnd.in-toto+json', payload: '', signatures: [] }), false);
    assert.equal(isSigstoreBundle({ mediaType: 'application/json', verificationMaterial: vm, messageSignature: {} }), false);
    assert.equal(isSigstoreBundle({ mediaType, messageSignature: {} }), false);
    assert.equal(isSigstoreBundle({ mediaType, verificationMaterial: vm }), false);
    assert.equal(isSigstoreBundle({ mediaType, verificationMaterial: vm, messageSignature: {}, dsseEnvelope: {} }), false);
  });
});

describe('bundleMediaTypes', () => {
  it('lists v0.1, v0.2 and both v0.3 spellings', () => {
    assert.deepEqual(bundleMediaTypes, [
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
      'application/vnd.dev.sigstore.bundle+json;version=0.3',
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    ]);
    assert.equal(isKnownBundleMediaType('application/vnd.dev.sigstore.bundle+json;version=99.9'), false);
    assert.equal(isKnownBundleMediaType(undefined), false);
  });
});
