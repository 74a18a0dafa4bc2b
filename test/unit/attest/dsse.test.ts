import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IN_TOTO_PAYLOAD_TYPE } from '../../../src/attest/statement.ts';
import { pae, parseEnvelope, signEnvelope, verifyEnvelope, type Envelope } from '../../../src/attest/dsse.ts';
import { SealError } from '../../../src/errors.ts';
import { newKeyPair, verifierFromPem } from './test-keys.ts';
import { cosignFixture, cosignFixtureText, listCosignFixtures } from './shared.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

const rejects = (code: string) => (err: unknown) => err instanceof SealError && err.code === code;

test('pae matches the DSSE reference vector', () => {
  const out = pae('http://example.com/HelloWorld', enc.encode('hello world'));
  assert.equal(dec.decode(out), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
});

test('pae counts bytes, not characters', () => {
  const out = pae('t/ü', enc.encode('é'));
  assert.equal(dec.decode(out), 'DSSEv1 4 t/ü 2 é');
});

test('cosign fixture envelopes verify with the test key', () => {
  const verifier = verifierFromPem(cosignFixtureText('keys/public/verify-blob-attestation-test.pub'));
  const files = listCosignFixtures('dsse').filter((f) => f.endsWith('.dsse.json'));
  assert.equal(files.length, 5);
  for (const file of files) {
    const bytes = cosignFixture(`dsse/${file}`);
    const envelope = parseEnvelope(bytes);
    const result = verifyEnvelope(envelope, [verifier]);
    assert.equal(result.payloadType, IN_TOTO_PAYLOAD_TYPE, file);
    assert.deepEqual(result.payload, new Uint8Array(Buffer.from(JSON.parse(dec.decode(bytes)).payload, 'base64')), file);
    assert.deepEqual(result.recognizedSigners, [verifier], file);
  }
});

test('PAE of the SLSA fixture equals the generated PAE byte for byte', () => {
  const envelope = parseEnvelope(cosignFixture('dsse/blob-slsa-provenance.dsse.json'));
  const payload = new Uint8Array(Buffer.from(envelope.payload, 'base64'));
  assert.deepEqual(pae(envelope.payloadType, payload), cosignFixture('generated/blob-slsa-provenance.pae.bin'));
});

test('tampering is rejected: payload, payloadType, signature', () => {
  const verifier = verifierFromPem(cosignFixtureText('keys/public/verify-blob-attestation-test.pub'));
  const good = parseEnvelope(cosignFixture('dsse/blob-slsa-provenance.dsse.json'));
  const payload = Buffer.from(good.payload, 'base64');
  const changed = Buffer.from(payload.toString('utf8').replace('"id":"2"', '"id":"3"'));
  assert.notDeepEqual(changed, payload);
  const cases: Envelope[] = [
    { ...good, payload: changed.toString('base64') },
    { ...good, payloadType: 'application/vnd.in-toto+jsonx' },
    { ...good, payloadType: 'text/plain' },
    { ...good, signatures: [{ sig: Buffer.from('something\n').toString('base64') }] },
  ];
  for (const envelope of cases) {
    assert.throws(() => verifyEnvelope(envelope, [verifier]), rejects('DSSE_SIGNATURE_INVALID'));
  }
});

test('a different key does not verify', () => {
  const envelope = parseEnvelope(cosignFixture('dsse/blob-slsa-provenance.dsse.json'));
  const other = verifierFromPem(cosignFixtureText('keys/public/cosign-ci.pub'));
  assert.throws(() => verifyEnvelope(envelope, [other]), rejects('DSSE_SIGNATURE_INVALID'));
});

test('both key orders, keyid absent or null, URL-safe and unpadded base64 all parse and verify', () => {
  const verifier = verifierFromPem(cosignFixtureText('keys/public/verify-blob-attestation-test.pub'));
  const raw = JSON.parse(cosignFixtureText('dsse/blob-slsa-provenance.dsse.json'));
  const urlSafe = (b64: string) => Buffer.from(b64, 'base64').toString('base64url');
  const variants = [
    JSON.stringify({ payload: raw.payload, payloadType: raw.payloadType, signatures: [{ sig: raw.signatures[0].sig }] }),
    JSON.stringify({ signatures: [{ sig: raw.signatures[0].sig, keyid: null }], payload: raw.payload, payloadType: raw.payloadType, extra: 1 }),
    JSON.stringify({ ...raw, payload: urlSafe(raw.payload), signatures: [{ keyid: '', sig: urlSafe(raw.signatures[0].sig) }] }),
    JSON.stringify({ ...raw, payload: raw.payload.replace(/=+$/, '') }),
  ];
  for (const text of variants) {
    const result = verifyEnvelope(parseEnvelope(enc.encode(text)), [verifier]);
    assert.equal(dec.decode(result.payload).slice(0, 10), '{"_type":"');
  }
});

test('parseEnvelope gives clear errors for malformed envelopes', () => {
  const bad: [string, RegExp][] = [
    ['not json', /not JSON/],
    ['[]', /expected a JSON object/],
    ['{"payload":"e30=","signatures":[{"sig":"AA=="}]}', /payloadType/],
    ['{"payloadType":"x","signatures":[{"sig":"AA=="}]}', /"payload" must be/],
    ['{"payloadType":"x","payload":"e30*","signatures":[{"sig":"AA=="}]}', /"payload" is not valid base64/],
    ['{"payloadType":"x","payload":"e+0_","signatures":[{"sig":"AA=="}]}', /"payload" is not valid base64/],
    ['{"payloadType":"x","payload":"e30=","signatures":[]}', /no signatures/],
    ['{"payloadType":"x","payload":"e30=","signatures":[{"keyid":"k"}]}', /signatures\[0\]\.sig/],
    ['{"payloadType":"x","payload":"e30=","signatures":[{"sig":"AA==","keyid":5}]}', /keyid must be a string/],
    ['{"payloadType":"x","payload":"e30=","signatures":[{"sig":"A"}]}', /signatures\[0\]\.sig is not valid base64/],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseEnvelope(enc.encode(text)),
      (err: unknown) => {
        assert.ok(err instanceof SealError, text);
        assert.equal(err.code, 'DSSE_MALFORMED');
        assert.equal(err.kind, 'input');
        assert.match(err.message, message, text);
        return true;
      },
    );
  }
});

test('signEnvelope writes cosign v3 shape by default and verifies', async () => {
  const { signer, verifier } = newKeyPair();
  const payload = enc.encode('{"_type":"https://in-toto.io/Statement/v1"}');
  const { envelope, bytes } = await signEnvelope(payload, IN_TOTO_PAYLOAD_TYPE, signer);
  const text = dec.decode(bytes);
  assert.match(text, /^\{"payload":"[^"]+","payloadType":"application\/vnd\.in-toto\+json","signatures":\[\{"sig":"[^"]+"\}\]\}$/);
  assert.deepEqual(JSON.parse(text), envelope);
  const result = verifyEnvelope(parseEnvelope(bytes), [verifier]);
  assert.deepEqual(result.payload, payload);
});

test('signEnvelope sslib shape keeps keyid, even when empty', async () => {
  const { signer, verifier } = newKeyPair();
  const payload = enc.encode('x');
  const sslib = dec.decode((await signEnvelope(payload, 'text/plain', signer, { shape: 'sslib' })).bytes);
  assert.match(sslib, /^\{"payloadType":"text\/plain","payload":"eA==","signatures":\[\{"keyid":"","sig":"[^"]+"\}\]\}$/);
  const withId = dec.decode((await signEnvelope(payload, 'text/plain', signer, { keyid: 'k1' })).bytes);
  assert.match(withId, /"signatures":\[\{"sig":"[^"]+","keyid":"k1"\}\]/);
  assert.ok(verifyEnvelope(parseEnvelope(sslib), [verifier]));
});

test('keyid only narrows: a mismatching keyid skips that key, an absent one does not', async () => {
  const { signer, verifier } = newKeyPair();
  const payload = enc.encode('body');
  const { bytes } = await signEnvelope(payload, 'text/plain', signer, { keyid: 'key-a' });
  const env = parseEnvelope(bytes);
  const withB = { ...verifier, keyid: 'key-b', verify: verifier.verify };
  const withA = { ...verifier, keyid: 'key-a', verify: verifier.verify };
  const noId = { publicKey: verifier.publicKey, verify: verifier.verify };
  assert.throws(() => verifyEnvelope(env, [withB]), rejects('DSSE_SIGNATURE_INVALID'));
  assert.equal(verifyEnvelope(env, [withA]).recognizedSigners[0], withA);
  assert.equal(verifyEnvelope(env, [noId]).recognizedSigners[0], noId);
  // A keyid naming the trusted key does not make a wrong key's signature count.
  const other = newKeyPair('key-a');
  assert.throws(() => verifyEnvelope(env, [other.verifier]), rejects('DSSE_SIGNATURE_INVALID'));
});

test('threshold counts distinct keys, not signatures', async () => {
  const a = newKeyPair();
  const b = newKeyPair();
  const payload = enc.encode('two');
  const sa = (await signEnvelope(payload, 'text/plain', a.signer)).envelope.signatures[0];
  const sb = (await signEnvelope(payload, 'text/plain', b.signer)).envelope.signatures[0];
  const base = { payloadType: 'text/plain', payload: Buffer.from(payload).toString('base64') };
  assert.equal(verifyEnvelope({ ...base, signatures: [sa, sb] }, [a.verifier, b.verifier], { threshold: 2 }).recognizedSigners.length, 2);
  assert.throws(() => verifyEnvelope({ ...base, signatures: [sa, sa] }, [a.verifier, b.verifier], { threshold: 2 }), rejects('DSSE_THRESHOLD'));
});

test('the verified payload is the decoded bytes, returned without re-parsing', async () => {
  const { signer, verifier } = newKeyPair();
  // Not JSON and not UTF-8: the verifier must not care.
  const payload = new Uint8Array([0xff, 0x00, 0x7b, 0x22]);
  const { envelope } = await signEnvelope(payload, 'application/octet-stream', signer);
  assert.deepEqual(verifyEnvelope(envelope, [verifier]).payload, payload);
});

test('a verifier that throws counts as a failed check', async () => {
  const { signer, verifier } = newKeyPair();
  const { envelope } = await signEnvelope(enc.encode('x'), 'text/plain', signer);
  const throwing = {
    publicKey: verifier.publicKey,
    verify: () => {
      throw new Error('boom');
    },
  };
  assert.throws(() => verifyEnvelope(envelope, [throwing]), rejects('DSSE_SIGNATURE_INVALID'));
  assert.ok(verifyEnvelope(envelope, [throwing, verifier]));
  assert.throws(() => verifyEnvelope(envelope, []), rejects('DSSE_NO_VERIFIERS'));
});
