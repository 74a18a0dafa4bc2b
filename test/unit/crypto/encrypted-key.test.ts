import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import {
  COSIGN_KEY_LABEL,
  SIGSTORE_KEY_LABEL,
  decryptPrivateKey,
  decryptPrivateKeyAsync,
  encryptPrivateKey,
  parseEncryptedKey,
} from '../../../src/crypto/encrypted-key.ts';
import { generateKeyPair } from '../../../src/crypto/keys.ts';
import { encodePem } from '../../../src/crypto/pem.ts';
import { isSealError } from '../../../src/errors.ts';

const TEST_DIR = fileURLToPath(new URL('../../', import.meta.url));
const KEYS = `${TEST_DIR}fixtures/cosign/keys/encrypted/`;
const hello = new TextEncoder().encode('hello');
const pw = (s: string) => new TextEncoder().encode(s);

describe('cosign encrypted keys: the fixtures', () => {
  for (const name of ['sigstore-label', 'cosign-label-pkcs8-ec']) {
    test(`${name}.key decrypts with "hello" to a PKCS#8 key whose public key is ${name}.derived.pub`, () => {
      const pem = readFileSync(`${KEYS}${name}.key`, 'utf8');
      const der = decryptPrivateKey(pem, hello);
      const pub = createPublicKey(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }));
      assert.equal(pub.export({ format: 'pem', type: 'spki' }), readFileSync(`${KEYS}${name}.derived.pub`, 'utf8'));
    });
  }

  test('both PEM labels and N=32768 and N=65536 parse', () => {
    const a = parseEncryptedKey(readFileSync(`${KEYS}sigstore-label.key`, 'utf8'), 'a');
    const b = parseEncryptedKey(readFileSync(`${KEYS}cosign-label-ec-sec1-inner.key`, 'utf8'), 'b');
    assert.equal(a.label, SIGSTORE_KEY_LABEL);
    assert.equal(a.scrypt.N, 32768);
    assert.equal(b.label, COSIGN_KEY_LABEL);
    assert.equal(b.scrypt.N, 65536);
    assert.equal(a.salt.length, 32);
    assert.equal(a.nonce.length, 24);
  });

  test('the CI key refuses every guessable password with WRONG_PASSWORD', async () => {
    const pem = readFileSync(`${KEYS}cosign-ci-unknown-password.key`, 'utf8');
    for (const guess of ['', 'hello', 'password', 'test']) {
      await assert.rejects(decryptPrivateKeyAsync(pem, pw(guess), 'ci.key'), (err: unknown) => {
        assert.ok(isSealError(err, 'input'));
        assert.equal(err.code, 'WRONG_PASSWORD');
        assert.equal(err.message, 'wrong password for ci.key');
        return true;
      });
    }
  });
});

describe('cosign encrypted keys: what seal writes', () => {
  const { privateKeyPkcs8Der } = generateKeyPair();
  const pem = encryptPrivateKey(privateKeyPkcs8Der, pw('s3cret'));

  test('round-trips to the same PKCS#8 bytes', () => {
    assert.deepEqual(decryptPrivateKey(pem, pw('s3cret')), privateKeyPkcs8Der);
  });

  test("has cosign v3's byte layout: label, 64-character lines, trailing newline, Go JSON key order", () => {
    const lines = pem.split('\n');
    assert.equal(lines[0], `-----BEGIN ${SIGSTORE_KEY_LABEL}-----`);
    assert.equal(lines.at(-2), `-----END ${SIGSTORE_KEY_LABEL}-----`);
    assert.equal(lines.at(-1), '', 'ends with a newline');
    const body = lines.slice(1, -2);
    for (const l of body.slice(0, -1)) assert.equal(l.length, 64);
    assert.ok(body.at(-1)!.length <= 64 && body.at(-1)!.length > 0);
    const json = Buffer.from(body.join(''), 'base64').toString('utf8');
    assert.match(
      json,
      /^\{"kdf":\{"name":"scrypt","params":\{"N":65536,"r":8,"p":1\},"salt":"[A-Za-z0-9+/]{43}="\},"cipher":\{"name":"nacl\/secretbox","nonce":"[A-Za-z0-9+/]{32}"\},"ciphertext":"[A-Za-z0-9+/=]+"\}$/,
    );
    const doc = JSON.parse(json);
    // secretbox: 16-byte Poly1305 tag before the encrypted bytes.
    assert.equal(Buffer.from(doc.ciphertext, 'base64').length, privateKeyPkcs8Der.length + 16);
  });

  test('a new salt and nonce every time', () => {
    const again = encryptPrivateKey(privateKeyPkcs8Der, pw('s3cret'));
    const a = parseEncryptedKey(pem, 'a');
    const b = parseEncryptedKey(again, 'b');
    assert.notDeepEqual(a.salt, b.salt);
    assert.notDeepEqual(a.nonce, b.nonce);
  });

  test('the empty password is a password like any other', () => {
    const empty = encryptPrivateKey(privateKeyPkcs8Der, new Uint8Array());
    assert.deepEqual(decryptPrivateKey(empty, new Uint8Array()), privateKeyPkcs8Der);
    assert.throws(() => decryptPrivateKey(empty, pw(' ')), /wrong password/);
  });

  test('N=32768 and N=131072 (legacy and strong) keys decrypt', async () => {
    for (const N of [32768, 131072]) {
      const p = encryptPrivateKey(privateKeyPkcs8Der, pw('x'), { N, r: 8, p: 1 });
      assert.deepEqual(await decryptPrivateKeyAsync(p, pw('x')), privateKeyPkcs8Der);
    }
  });
});

describe('cosign encrypted keys: tampering and damage', () => {
  const { privateKeyPkcs8Der } = generateKeyPair();
  const pem = encryptPrivateKey(privateKeyPkcs8Der, pw('pw'), { N: 32768, r: 8, p: 1 });
  const doc = JSON.parse(Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64').toString('utf8'));
  const rewrap = (o: unknown, label = SIGSTORE_KEY_LABEL) => encodePem(label, new TextEncoder().encode(JSON.stringify(o)));

  test('a flipped ciphertext bit fails the MAC (reported as a wrong password)', () => {
    const ct = Buffer.from(doc.ciphertext, 'base64');
    ct[ct.length - 1]! ^= 1;
    assert.throws(() => decryptPrivateKey(rewrap({ ...doc, ciphertext: ct.toString('base64') }), pw('pw')), /wrong password/);
  });

  test('scrypt parameters outside the three allowed sets are refused before any work', () => {
    for (const params of [
      { N: 1 << 20, r: 8, p: 1 },
      { N: 16384, r: 8, p: 1 },
      { N: 65536, r: 16, p: 1 },
      { N: 65536, r: 8, p: 2 },
    ]) {
      assert.throws(() => parseEncryptedKey(rewrap({ ...doc, kdf: { ...doc.kdf, params } }), 'k.key'), /unsupported scrypt parameters/);
    }
  });

  test('unknown kdf or cipher names, a short nonce and non-base64 fields are named', () => {
    assert.throws(() => parseEncryptedKey(rewrap({ ...doc, kdf: { ...doc.kdf, name: 'argon2' } }), 'k'), /unknown kdf name "argon2"/);
    assert.throws(() => parseEncryptedKey(rewrap({ ...doc, cipher: { ...doc.cipher, name: 'aes' } }), 'k'), /unknown cipher name "aes"/);
    assert.throws(
      () => parseEncryptedKey(rewrap({ ...doc, cipher: { ...doc.cipher, nonce: Buffer.alloc(12).toString('base64') } }), 'k'),
      /incorrect nonce size 12/,
    );
    assert.throws(() => parseEncryptedKey(rewrap({ ...doc, salt: undefined, kdf: { ...doc.kdf, salt: '!!' } }), 'k'), /salt is not base64/);
    assert.throws(() => parseEncryptedKey(encodePem(SIGSTORE_KEY_LABEL, new TextEncoder().encode('not json')), 'k'), /not JSON/);
  });

  test('another PEM type is not mistaken for a cosign key', () => {
    assert.throws(() => parseEncryptedKey(rewrap(doc, 'PRIVATE KEY'), 'k.pem'), /unsupported PEM type "PRIVATE KEY"/);
  });
});
