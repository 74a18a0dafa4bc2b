import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { signatureShapeProblem } from '../../../src/crypto/signature-shape.ts';
import { KeySigner, KeyVerifier, signInput, verifyInput } from '../../../src/crypto/signer.ts';
import type { KeyAlgorithm } from '../../../src/crypto/types.ts';

const tmp = mkdtempSync(path.join(tmpdir(), 'seal-signer-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const KINDS: [KeyAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }][] = [
  ['ecdsa-p256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ['ecdsa-p384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' })],
  ['ecdsa-p521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' })],
  ['rsa', () => generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['ed25519', () => generateKeyPairSync('ed25519')],
];

// 3 MiB and a bit: several read chunks, and a short last one.
const big = Buffer.alloc(3 * 1024 * 1024 + 12345);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
const bigPath = path.join(tmp, 'big.bin');
writeFileSync(bigPath, big);

for (const [alg, gen] of KINDS) {
  describe(`${alg}`, () => {
    const { privateKey, publicKey } = gen();
    const signer = new KeySigner(privateKey, alg);
    const verifier = new KeyVerifier(publicKey, alg);
    const other = new KeyVerifier(gen().publicKey, alg);
    const msg = new TextEncoder().encode('some-payload');

    test('sign/verify round trip; another key and a changed message fail', async () => {
      const sig = await signer.sign(msg);
      assert.ok(verifier.verify(msg, sig));
      assert.ok(!other.verify(msg, sig));
      assert.ok(!verifier.verify(new TextEncoder().encode('some-payloaD'), sig));
      assert.equal(signatureShapeProblem(alg, sig, verifier.rsaModulusBytes), undefined);
    });

    test('node:crypto verifies what seal signs (the scheme cosign uses for this key)', async () => {
      const sig = await signer.sign(msg);
      const hash = { 'ecdsa-p256': 'sha256', 'ecdsa-p384': 'sha384', 'ecdsa-p521': 'sha512', rsa: 'sha256', ed25519: null }[alg];
      assert.ok(nodeVerify(hash, msg, { key: publicKey, dsaEncoding: 'der' }, sig));
    });

    test('streaming a file signs and verifies in one pass, with or without the digest', async () => {
      const a = await signInput(signer, { path: bigPath });
      assert.equal(a.size, big.length);
      assert.ok(verifier.verify(big, a.signature));
      assert.ok(await verifyInput(verifier, { path: bigPath }, a.signature));
      const b = await signInput(signer, { stream: Readable.from([big.subarray(0, 1000), big.subarray(1000)]) }, { wantDigest: true });
      assert.ok(verifier.verify(big, b.signature));
      assert.ok(b.digest);
      const expectedHash = signer.hashAlgorithm ?? 'sha256';
      assert.deepEqual(Buffer.from(b.digest.bytes), createHash(expectedHash).update(big).digest());
      const changed = Buffer.from(big);
      changed[changed.length - 1]! ^= 1;
      writeFileSync(path.join(tmp, `changed-${alg}.bin`), changed);
      assert.ok(!(await verifyInput(verifier, { path: path.join(tmp, `changed-${alg}.bin`) }, a.signature)));
      assert.ok(!(await verifyInput(other, { path: bigPath }, a.signature)));
    });

    if (alg === 'ed25519') {
      test('pure Ed25519 has no digest signing or verification', () => {
        assert.equal(signer.signDigest, undefined);
        assert.equal(verifier.verifyDigest, undefined);
      });
    } else {
      test('a prehashed digest signature verifies with node over the message, and vice versa', async () => {
        const hash = signer.hashAlgorithm!;
        const digest = createHash(hash).update(msg).digest();
        const sig = await signer.signDigest!(digest);
        assert.ok(nodeVerify(hash, msg, { key: publicKey, dsaEncoding: 'der' }, sig));
        const nodeSig = nodeSign(hash, msg, { key: privateKey, dsaEncoding: 'der' });
        assert.ok(await verifier.verifyDigest!(digest, hash, nodeSig));
        assert.ok(!(await verifier.verifyDigest!(createHash(hash).update('x').digest(), hash, nodeSig)));
        assert.ok(!(await other.verifyDigest!(digest, hash, nodeSig)));
        assert.ok(!(await verifier.verifyDigest!(digest, hash, new Uint8Array([0x30, 0x00]))));
      });
    }
  });
}

test('P-384 and P-521 keys also accept SHA-256 signatures (what cosign v2 made)', async () => {
  for (const curve of ['P-384', 'P-521'] as const) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const alg = curve === 'P-384' ? 'ecdsa-p384' : 'ecdsa-p521';
    const v = new KeyVerifier(publicKey, alg);
    const sig = nodeSign('sha256', big, privateKey);
    assert.ok(v.verify(big, sig));
    assert.ok(await verifyInput(v, { path: bigPath }, sig));
    assert.ok(await v.verifyDigest!(createHash('sha256').update(big).digest(), 'sha256', sig));
  }
});

test('RSA digest signatures are deterministic and equal to node:crypto signatures', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const s = new KeySigner(privateKey, 'rsa');
  const digest = createHash('sha256').update('abc').digest();
  assert.deepEqual(Buffer.from(await s.signDigest!(digest)), nodeSign('sha256', Buffer.from('abc'), privateKey));
});

describe('signatureShapeProblem', () => {
  test('accepts minimal DER, rejects the usual malformations', () => {
    const good = Buffer.from('3006020101020101', 'hex');
    assert.equal(signatureShapeProblem('ecdsa-p256', good), undefined);
    const bad: [string, string][] = [
      ['', 'empty'],
      ['3106020101020101', 'not a SEQUENCE'],
      ['3007020101020101', 'length past the end'],
      ['300602010102010100', 'trailing byte'],
      ['3006020181020101', 'negative r'],
      ['30070202000102010100', 'non-minimal integer'],
      ['3006020100020101', 'r = 0'],
      ['3026022101' + '00'.repeat(32) + '020101', 'r wider than the curve'],
    ];
    for (const [hex, why] of bad) assert.ok(signatureShapeProblem('ecdsa-p256', Buffer.from(hex, 'hex')), why);
  });

  test('length rules for RSA and Ed25519', () => {
    assert.ok(signatureShapeProblem('rsa', new Uint8Array(255), 256));
    assert.equal(signatureShapeProblem('rsa', new Uint8Array(256), 256), undefined);
    assert.ok(signatureShapeProblem('ed25519', new Uint8Array(63)));
    assert.equal(signatureShapeProblem('ed25519', new Uint8Array(64)), undefined);
  });
});
