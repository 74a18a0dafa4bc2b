import assert from 'node:assert/strict';
import { createHash, createPublicKey, sign } from 'node:crypto';
import { before, describe, it } from 'node:test';

import { SealError } from '../../../src/errors.ts';
import { DigestSignatureContent, loadPrehashCurves, verifyPrehashed } from '../../../src/sigstore/prehashed-signature.ts';
import { testKey } from './key-bundles.ts';

// @noble/curves is loaded on demand (verify-bundle.ts awaits this before a digest-only check).
before(() => loadPrehashCurves());

const message = Buffer.from('the artifact bytes\n');

describe('verifyPrehashed', () => {
  for (const [kind, hash] of [
    ['p256', 'sha256'],
    ['p384', 'sha384'],
    ['p521', 'sha512'],
    ['p384', 'sha256'],
    ['rsa', 'sha256'],
    ['rsa', 'sha512'],
  ] as const) {
    describe(`${kind} with ${hash}`, () => {
      const key = testKey(kind);
      const pub = createPublicKey(key.publicKeyPem);
      const sig = sign(hash, message, key.privateKey);
      const digest = createHash(hash).update(message).digest();

      it('accepts the signature over the digest', () => {
        assert.equal(verifyPrehashed(pub, digest, sig, hash), true);
      });
      it('rejects another digest', () => {
        const other = createHash(hash).update('other').digest();
        assert.equal(verifyPrehashed(pub, other, sig, hash), false);
      });
      it('rejects a flipped signature byte', () => {
        const bad = Buffer.from(sig);
        bad[bad.length - 3] ^= 0x01;
        assert.equal(verifyPrehashed(pub, digest, bad, hash), false);
      });
      it('rejects another key', () => {
        const other = createPublicKey(testKey(kind).publicKeyPem);
        assert.equal(verifyPrehashed(other, digest, sig, hash), false);
      });
      it('returns false (does not throw) for garbage signature bytes', () => {
        assert.equal(verifyPrehashed(pub, digest, Buffer.from('not a signature'), hash), false);
      });
    });
  }

  it('refuses Ed25519, whose signature covers the whole message, with a hint to pass the file', () => {
    const key = testKey('ed25519');
    const sig = sign(null, message, key.privateKey);
    const digest = createHash('sha256').update(message).digest();
    assert.throws(
      () => verifyPrehashed(createPublicKey(key.publicKeyPem), digest, sig, 'sha256'),
      (err) => err instanceof SealError && err.kind === 'verification' && /artifact file/.test(err.hint ?? ''),
    );
  });
});

describe('DigestSignatureContent', () => {
  const key = testKey('p256');
  const sig = sign('sha256', message, key.privateKey);
  const digest = createHash('sha256').update(message).digest();

  it('compares the tlog digest with the artifact digest, and the signature byte for byte', () => {
    const content = new DigestSignatureContent(sig, digest, 'sha256');
    assert.equal(content.compareDigest(digest), true);
    assert.equal(content.compareSignedDigest(digest), true);
    assert.equal(content.compareDigest(Buffer.alloc(32)), false);
    assert.equal(content.compareDigest(digest.subarray(0, 31)), false);
    assert.equal(content.compareSignature(sig), true);
    assert.equal(content.compareSignature(Buffer.from(sig).fill(0)), false);
  });

  it('verifies prehashed without the bytes, and over the bytes when given', () => {
    const pub = createPublicKey(key.publicKeyPem);
    assert.equal(new DigestSignatureContent(sig, digest, 'sha256').verifySignature(pub), true);
    assert.equal(new DigestSignatureContent(sig, digest, 'sha256', message).verifySignature(pub), true);
    assert.equal(new DigestSignatureContent(sig, digest, 'sha256', Buffer.from('tampered')).verifySignature(pub), false);
  });

  it('verifies Ed25519 over the bytes', () => {
    const ed = testKey('ed25519');
    const edSig = sign(null, message, ed.privateKey);
    const pub = createPublicKey(ed.publicKeyPem);
    assert.equal(new DigestSignatureContent(edSig, digest, 'sha256', message).verifySignature(pub), true);
    assert.equal(new DigestSignatureContent(edSig, digest, 'sha256', Buffer.from('x')).verifySignature(pub), false);
  });
});
