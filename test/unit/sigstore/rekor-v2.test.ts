// The Rekor v2 CreateEntryRequest seal builds: a hashedrekord v0.0.2 over the message digest, or
// over sha256(PAE) for a DSSE envelope (the Rekor v2 spec's way, which @sigstore/sign does not
// follow yet), with the verifier's real key details.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';

import { createEntryRequest, keyDetails } from '../../../src/sigstore/rekor-v2.ts';

type Req = { hashedRekordRequestV002: { digest: string; signature: { content: string; verifier: Record<string, unknown> & { keyDetails: string } } } };

describe('Rekor v2 entry requests', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();

  test('a message signature: the digest and signature as given, a public key verifier', () => {
    const digest = createHash('sha256').update('hello').digest();
    const r = createEntryRequest(
      { $case: 'messageSignature', messageSignature: { messageDigest: { algorithm: 1, digest }, signature: Buffer.from('sig') } },
      pem,
    ) as Req;
    assert.equal(r.hashedRekordRequestV002.digest, digest.toString('base64'));
    assert.equal(r.hashedRekordRequestV002.signature.content, Buffer.from('sig').toString('base64'));
    assert.equal(r.hashedRekordRequestV002.signature.verifier.keyDetails, 'PKIX_ECDSA_P256_SHA_256');
    assert.deepEqual(r.hashedRekordRequestV002.signature.verifier.publicKey, {
      rawBytes: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
  });

  test('a DSSE envelope: a hashedrekord over sha256 of the PAE', () => {
    const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
    const type = 'application/vnd.in-toto+json';
    const r = createEntryRequest(
      { $case: 'dsseEnvelope', dsseEnvelope: { payload, payloadType: type, signatures: [{ sig: Buffer.from('dsse-sig'), keyid: '' }] } },
      pem,
    ) as Req;
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
    assert.equal(r.hashedRekordRequestV002.digest, createHash('sha256').update(pae).digest('base64'));
    assert.equal(r.hashedRekordRequestV002.signature.content, Buffer.from('dsse-sig').toString('base64'));
  });

  test('a DSSE envelope signed with P-384 is hashed with sha384, as the signature was', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const payload = Buffer.from('{}');
    const r = createEntryRequest(
      { $case: 'dsseEnvelope', dsseEnvelope: { payload, payloadType: 't', signatures: [{ sig: Buffer.from('s'), keyid: '' }] } },
      p384,
    ) as Req;
    const pae = Buffer.concat([Buffer.from('DSSEv1 1 t 2 '), payload]);
    assert.equal(r.hashedRekordRequestV002.digest, createHash('sha384').update(pae).digest('base64'));
    assert.equal(r.hashedRekordRequestV002.signature.verifier.keyDetails, 'PKIX_ECDSA_P384_SHA_384');
  });

  test('key details per key type', () => {
    const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve }).publicKey;
    assert.equal(keyDetails(ec('secp384r1')), 'PKIX_ECDSA_P384_SHA_384');
    assert.equal(keyDetails(ec('secp521r1')), 'PKIX_ECDSA_P521_SHA_512');
    assert.equal(keyDetails(generateKeyPairSync('ed25519').publicKey), 'PKIX_ED25519_PH');
    assert.equal(keyDetails(generateKeyPairSync('rsa', { modulusLength: 3072 }).publicKey), 'PKIX_RSA_PKCS1V15_3072_SHA256');
  });
});
