// The bundle sign-blob writes must be accepted by @sigstore/verify (the reference verifier) with
// only the public key, and rejected for another artifact or another key.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';
import { BUNDLE_V03_MEDIA_TYPE, messageSignatureBundle, publicKeyHint } from '../../../src/sigstore/message-bundle.ts';
import { KeySigner, signInput } from '../../../src/crypto/signer.ts';
import type { KeyAlgorithm } from '../../../src/crypto/types.ts';

const emptyRoot = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' });

function sigstoreVerify(bundleJson: unknown, artifact: Uint8Array, key: KeyObject, hint: string): void {
  const tm = toTrustMaterial(emptyRoot, (h: string) => {
    assert.equal(h, hint, 'the verifier looks the key up by the hint we wrote');
    return { publicKey: key, validFor: () => true };
  });
  const entity = toSignedEntity(bundleFromJSON(bundleJson), Buffer.from(artifact));
  new Verifier(tm, { tlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
}

async function makeBundle(alg: KeyAlgorithm, privateKey: KeyObject, data: Uint8Array) {
  const signer = new KeySigner(privateKey, alg);
  const { Readable } = await import('node:stream');
  const signed = await signInput(signer, { stream: Readable.from([Buffer.from(data)]) }, { wantDigest: true });
  const bundle = messageSignatureBundle({ publicKeyDer: signer.publicKey.der, digest: signed.digest!, signature: signed.signature });
  return { bundle: JSON.parse(JSON.stringify(bundle)), signer };
}

const artifact = new TextEncoder().encode('release-1.2.3.tar.gz contents\n');

describe('sign-blob bundles and @sigstore/verify', () => {
  const cases: [KeyAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }][] = [
    ['ecdsa-p256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
    ['ecdsa-p384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
    ['rsa', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ];
  for (const [alg, gen] of cases) {
    test(`${alg}: accepted with the public key; another artifact or key is rejected`, async () => {
      const { privateKey, publicKey } = gen();
      const { bundle, signer } = await makeBundle(alg, privateKey, artifact);
      const hint = publicKeyHint(signer.publicKey.der);
      sigstoreVerify(bundle, artifact, publicKey, hint);
      assert.throws(() => sigstoreVerify(bundle, new TextEncoder().encode('other'), publicKey, hint));
      assert.throws(() => sigstoreVerify(bundle, artifact, gen().publicKey, hint));
    });
  }

  test('the JSON shape is v0.3 protojson with a base64(sha256(SPKI)) hint', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { bundle, signer } = await makeBundle('ecdsa-p256', privateKey, artifact);
    assert.equal(bundle.mediaType, BUNDLE_V03_MEDIA_TYPE);
    assert.deepEqual(Object.keys(bundle), ['mediaType', 'verificationMaterial', 'messageSignature']);
    assert.equal(bundle.verificationMaterial.publicKey.hint, createHash('sha256').update(signer.publicKey.der).digest('base64'));
    assert.equal(bundle.messageSignature.messageDigest.algorithm, 'SHA2_256');
    assert.equal(bundle.messageSignature.messageDigest.digest, createHash('sha256').update(artifact).digest('base64'));
    // The signature is DER and verifies over the artifact with plain node:crypto too.
    const { verify } = await import('node:crypto');
    const pub = createPublicKey(signer.publicKey.pem);
    assert.ok(verify('sha256', artifact, pub, Buffer.from(bundle.messageSignature.signature, 'base64')));
  });
  // @sigstore/verify alone does not compare messageDigest with the artifact (it checks the
  // signature over the bytes); seal's verify-blob does, see test/cli/blob.test.ts.
});
