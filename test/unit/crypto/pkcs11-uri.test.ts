// PKCS#11 URIs (RFC 7512) as cosign parses and prints them, and the token signer's pure parts:
// r‖s to DER, public keys from token attributes. No token here (see test/integration/pkcs11.test.ts).
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { SealError } from '../../../src/errors.ts';
import { publicKeyFromParts, rawToDer } from '../../../src/crypto/pkcs11/key-parts.ts';
import { formatPkcs11Uri, modulePathOf, parsePkcs11Uri, redactPkcs11Uri, requireKeyAndToken } from '../../../src/crypto/pkcs11/uri.ts';

const cosign = JSON.parse(readFileSync(new URL('../../fixtures/cosign-pkcs11/uris.json', import.meta.url), 'utf8'));
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

function refusal(f: () => unknown, re: RegExp): SealError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof SealError, `a SealError, got ${String(err)}`);
    assert.equal(err.kind, 'input');
    assert.match(err.message, re);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('parsePkcs11Uri', () => {
  test("cosign's TestParsePKCS11URI: every attribute, percent-encoding, pin-value over pin-source", () => {
    const u = parsePkcs11Uri(cosign.parse.uri);
    assert.equal(u.modulePath, cosign.parse.modulePath);
    assert.equal(u.slotId, cosign.parse.slotId);
    assert.equal(u.token, cosign.parse.tokenLabel);
    assert.equal(u.object, cosign.parse.keyLabel);
    assert.equal(text(u.id), cosign.parse.keyId);
    assert.equal(u.pinValue, cosign.parse.pin);
    assert.equal(u.pinSource, undefined);
    assert.equal(u.type, 'private');
  });

  test('the issue example: token and object in the path, module and PIN in the query', () => {
    const u = parsePkcs11Uri('pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234');
    assert.deepEqual({ ...u }, { token: 'release', object: 'signing', modulePath: '/usr/lib/softhsm/libsofthsm2.so', pinValue: '1234' });
  });

  test('id is bytes (any value), labels are UTF-8, + stays + (RFC 7512, not form encoding)', () => {
    const u = parsePkcs11Uri('pkcs11:token=a+b%C3%A9;id=%00%ff%10;object=k%3bey?pin-source=file:/run/pin');
    assert.equal(u.token, 'a+bé');
    assert.deepEqual([...u.id!], [0, 255, 16]);
    assert.equal(u.object, 'k;ey');
    assert.equal(u.pinSource, 'file:/run/pin');
  });

  test('vendor attributes are ignored, names are case-insensitive', () => {
    const u = parsePkcs11Uri('pkcs11:x-vendor=1;TOKEN=t;Object=o');
    assert.equal(u.token, 't');
    assert.equal(u.object, 'o');
  });

  const bad: [string, string, RegExp][] = [
    ['not pkcs11', 'file:key.pem', /does not start with pkcs11:/],
    ['a stray %', 'pkcs11:token=a%zz;object=k', /bad percent-encoding in token/],
    ['a repeated attribute', 'pkcs11:token=a;token=b;object=k', /token is given twice/],
    ['a slot-id that is no number', 'pkcs11:slot-id=one;object=k', /slot-id 'one' is not a valid number/],
    ['an attribute without =', 'pkcs11:token;object=k', /"token" in the path is not name=value/],
    ['type=cert', 'pkcs11:token=t;object=k;type=cert', /type=cert names no key/],
    ['a fragment', 'pkcs11:token=t;object=k#x', /fragment/],
    ['module-name alone', 'pkcs11:token=t;object=k?module-name=softhsm2', /module-name is not supported/],
  ];
  for (const [name, uri, re] of bad) {
    test(`refuses ${name} with one line`, () => {
      refusal(() => parsePkcs11Uri(uri), re);
    });
  }

  test('a malformed PIN is refused without quoting it', () => {
    const err = refusal(() => parsePkcs11Uri('pkcs11:token=t;object=k?pin-value=se%zzcret'), /pin-value/);
    assert.ok(!err.message.includes('se%zzcret') && !err.message.includes('secret'));
  });

  test("cosign's rules: a token (or slot-id) and a key (object or id) must be named", () => {
    refusal(() => requireKeyAndToken(parsePkcs11Uri('pkcs11:object=k')), /one of token and slot-id must be set/);
    refusal(() => requireKeyAndToken(parsePkcs11Uri('pkcs11:token=t')), /one of object and id must be set/);
    requireKeyAndToken(parsePkcs11Uri('pkcs11:slot-id=3;id=%01'));
  });

  test('the module path: URI, else SEAL_PKCS11_MODULE_PATH, else COSIGN_PKCS11_MODULE_PATH, else an error', () => {
    const u = parsePkcs11Uri('pkcs11:token=t;object=k');
    assert.equal(modulePathOf(parsePkcs11Uri('pkcs11:token=t;object=k?module-path=/a.so'), { COSIGN_PKCS11_MODULE_PATH: '/b.so' }), '/a.so');
    assert.equal(modulePathOf(u, { COSIGN_PKCS11_MODULE_PATH: '/b.so' }), '/b.so');
    assert.equal(modulePathOf(u, { COSIGN_PKCS11_MODULE_PATH: '/b.so', SEAL_PKCS11_MODULE_PATH: '/c.so' }), '/c.so');
    refusal(() => modulePathOf(u, {}), /module-path or COSIGN_PKCS11_MODULE_PATH must be set/);
  });

  test('redactPkcs11Uri hides pin-value wherever it stands', () => {
    assert.equal(redactPkcs11Uri('pkcs11:token=t;object=k?pin-value=1234&module-path=/m.so'), 'pkcs11:token=t;object=k?pin-value=***&module-path=/m.so');
    assert.equal(redactPkcs11Uri('pkcs11:token=t?module-path=/m.so&PIN-VALUE=99'), 'pkcs11:token=t?module-path=/m.so&PIN-VALUE=***');
  });
});

describe('formatPkcs11Uri', () => {
  test("cosign's TestConstructPKCS11URI, byte for byte", () => {
    const c = cosign.construct;
    const uri = formatPkcs11Uri({
      modulePath: c.modulePath,
      slotId: c.slotId,
      token: c.tokenLabel,
      object: new TextEncoder().encode(c.keyLabel),
      id: new TextEncoder().encode(c.keyId),
      pin: c.pin,
    });
    assert.equal(uri, c.uri);
  });

  test('what it prints parses back to the same key', () => {
    const id = new Uint8Array([0xde, 0xad, 0x00, 0x2f]);
    const uri = formatPkcs11Uri({ modulePath: '/opt/x y/lib.so', token: 'My Token;1', slotId: 7, object: 'a&b/c', id });
    const u = parsePkcs11Uri(uri);
    assert.equal(u.token, 'My Token;1');
    assert.equal(u.object, 'a&b/c');
    assert.deepEqual([...u.id!], [...id]);
    assert.equal(u.slotId, 7);
    assert.equal(u.modulePath, '/opt/x y/lib.so');
  });
});

describe('token signer parts', () => {
  test('rawToDer turns CKM_ECDSA r‖s into the DER signature OpenSSL verifies', () => {
    for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 8; i++) {
        const data = Buffer.from(`message ${i}`);
        const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = rawToDer(raw);
        assert.ok(verify('sha256', data, publicKey, der), `${curve} #${i}`);
        // And back: DER decodes to the same r‖s (node checks the encoding is minimal).
        assert.ok(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw));
        assert.equal(der[0], 0x30);
      }
    }
    assert.throws(() => rawToDer(new Uint8Array(63)), /not r‖s/);
  });

  test('publicKeyFromParts: EC point (DER-wrapped or bare), RSA modulus/exponent, certificate', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const jwk = ec.export({ format: 'jwk' });
    const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    const params = Buffer.from('06052b81040022', 'hex');
    const wrapped = Buffer.concat([Buffer.from([4, point.length]), point]);
    const pem = ec.export({ format: 'pem', type: 'spki' });
    for (const p of [point, wrapped]) {
      assert.equal(publicKeyFromParts({ kind: 'ec', params, point: p }, 'k').export({ format: 'pem', type: 'spki' }), pem);
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const r = rsa.export({ format: 'jwk' });
    const parts = {
      kind: 'rsa' as const,
      modulus: Buffer.concat([Buffer.from([0]), Buffer.from(r.n!, 'base64url')]),
      exponent: Buffer.from(r.e!, 'base64url'),
    };
    assert.equal(publicKeyFromParts(parts, 'k').export({ format: 'pem', type: 'spki' }), rsa.export({ format: 'pem', type: 'spki' }));
    assert.ok(createPublicKey(publicKeyFromParts(parts, 'k').export({ format: 'pem', type: 'spki' })));
  });

  test('publicKeyFromParts refuses other curves and key types with one line', () => {
    // secp256k1
    refusal(
      () => publicKeyFromParts({ kind: 'ec', params: Buffer.from('06052b8104000a', 'hex'), point: new Uint8Array(65) }, "'k'"),
      /elliptic curve seal does not sign with/,
    );
    refusal(() => publicKeyFromParts({ kind: 'other', keyType: 0x40 }, "'k'"), /of a type seal does not sign with/);
  });
});
