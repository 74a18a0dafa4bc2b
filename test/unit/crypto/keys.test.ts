import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encryptPrivateKey } from '../../../src/crypto/encrypted-key.ts';
import { generateKeyPair, loadPrivateKey, loadPublicKey } from '../../../src/crypto/keys.ts';
import { SealError, isSealError } from '../../../src/errors.ts';

const TEST_DIR = fileURLToPath(new URL('../../', import.meta.url));
const FIX = `${TEST_DIR}fixtures/cosign/keys/`;
const hello = async () => new TextEncoder().encode('hello');
const noPassword = async (): Promise<Uint8Array> => {
  throw new Error('no password should be asked for');
};
const tmp = mkdtempSync(path.join(tmpdir(), 'seal-keys-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
};

async function rejection(p: Promise<unknown>): Promise<SealError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SealError, `expected a SealError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('loadPrivateKey: cosign encrypted fixtures', () => {
  for (const name of ['sigstore-label', 'cosign-label-pkcs8-ec']) {
    test(`${name}.key loads with "hello" and its public key is ${name}.derived.pub`, async () => {
      const signer = await loadPrivateKey(`${FIX}encrypted/${name}.key`, hello);
      assert.equal(signer.publicKey.algorithm, 'ecdsa-p256');
      assert.equal(signer.publicKey.pem, readFileSync(`${FIX}encrypted/${name}.derived.pub`, 'utf8'));
    });
  }

  test('a SEC1 key inside the encryption is rejected, as cosign rejects it', async () => {
    const err = await rejection(loadPrivateKey(`${FIX}encrypted/cosign-label-ec-sec1-inner.key`, hello));
    assert.equal(err.kind, 'input');
    assert.match(err.message, /decrypts to a SEC1 "EC PRIVATE KEY", not PKCS#8/);
  });

  test('a wrong password: one line, kind input, code WRONG_PASSWORD', async () => {
    const ref = `${FIX}encrypted/cosign-ci-unknown-password.key`;
    const err = await rejection(loadPrivateKey(ref, hello));
    assert.equal(err.message, `wrong password for ${ref}`);
    assert.equal(err.code, 'WRONG_PASSWORD');
  });
});

const IMPORT_OK = ['validrsa', 'validrsapkcs1', 'validrsapkcs8', 'validecp256', 'validecp384', 'validecp521', 'validecpkcs8', 'ed25519key'];
const IMPORT_BAD: Record<string, RegExp> = {
  invalidrsawithpubkey: /^unsupported private key: .* holds a public key/,
  invalidrsasmallkey: /^error validating rsa key: key size not supported: 1024/,
  invalidrsalargekey: /^error validating rsa key: key size not supported: 5120/,
  invalidecp224: /^error validating ecdsa key: ECDSA curve P-224 not allowed/,
  invalidecunsupported: /^error parsing ecdsa private key: .*secp256k1/,
  invalidkey: /^invalid pem block: .*"PGP PRIVATE KEY BLOCK"/,
};

describe('loadPrivateKey: unencrypted PEMs (keys/import fixtures)', () => {
  for (const name of IMPORT_OK) {
    test(`${name}.pem loads without a password; public key = ${name}.expected.pub`, async () => {
      const signer = await loadPrivateKey(`${FIX}import/${name}.pem`, noPassword);
      assert.equal(signer.publicKey.pem, readFileSync(`${FIX}import/${name}.expected.pub`, 'utf8'));
    });
  }
  for (const [name, re] of Object.entries(IMPORT_BAD)) {
    test(`${name}.pem is refused: ${re.source}`, async () => {
      const err = await rejection(loadPrivateKey(`${FIX}import/${name}.pem`, noPassword));
      assert.equal(err.kind, 'input');
      assert.match(err.message, re);
      assert.ok(!err.message.includes('\n'), 'one line');
    });
  }
});

describe('loadPrivateKey: references and damaged files', () => {
  const { privateKeyPkcs8Der } = generateKeyPair();
  const cosignPem = encryptPrivateKey(privateKeyPkcs8Der, new TextEncoder().encode('pw'), { N: 32768, r: 8, p: 1 });

  test('env://VAR reads the PEM from the given environment', async () => {
    const signer = await loadPrivateKey('env://SEAL_TEST_KEY', async () => new TextEncoder().encode('pw'), {
      env: { SEAL_TEST_KEY: cosignPem },
    });
    assert.equal(signer.publicKey.algorithm, 'ecdsa-p256');
    const err = await rejection(loadPrivateKey('env://UNSET_VAR', hello, { env: {} }));
    assert.match(err.message, /environment variable UNSET_VAR is not set/);
  });

  test('encrypted PKCS#8 asks for its password', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p = file('enc.p8.pem', privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'opensesame' }));
    const signer = await loadPrivateKey(p, async () => new TextEncoder().encode('opensesame'));
    assert.equal(signer.publicKey.algorithm, 'ecdsa-p384');
    const err = await rejection(loadPrivateKey(p, hello));
    assert.equal(err.code, 'WRONG_PASSWORD');
  });

  const cases: [string, () => string, RegExp][] = [
    ['a missing file', () => path.join(tmp, 'nope.key'), /^key file .*nope\.key not found$/],
    ['a directory', () => tmp, /is a directory, not a key file$/],
    ['an empty file', () => file('empty.key', ''), /empty\.key is empty$/],
    ['a truncated PEM', () => file('trunc.key', cosignPem.slice(0, cosignPem.length - 40)), /has no END line/],
    ['garbage base64', () => file('garbage.key', '-----BEGIN PRIVATE KEY-----\nnot*base64*at*all\n-----END PRIVATE KEY-----\n'), /not valid base64/],
    ['binary junk', () => file('junk.key', new Uint8Array([0, 1, 2, 3, 255])), /is not a PEM private key/],
    [
      'a PEM that decodes to junk',
      () => file('junk2.key', '-----BEGIN PRIVATE KEY-----\nAAECAwQ=\n-----END PRIVATE KEY-----\n'),
      /does not hold a valid PKCS#8 key/,
    ],
  ];
  for (const [what, ref, re] of cases) {
    test(`${what}: one clear line (kind input)`, async () => {
      const err = await rejection(loadPrivateKey(ref(), noPassword));
      assert.equal(err.kind, 'input');
      assert.match(err.message, re);
    });
  }

  test('KMS-style references are refused as unsupported (usage, exit 2, whatever the scheme), not read as files, naming the seal way', async () => {
    const err = await rejection(loadPrivateKey('awskms:///alias/x', noPassword));
    assert.equal(err.kind, 'usage');
    assert.equal(err.code, 'UNSUPPORTED_KEY_REF');
    assert.match(err.message, /awskms:\/\/ keys \(cloud KMS\) are not supported/);
    assert.match(err.hint ?? '', /seal generate IMAGE > payload.json, sign payload.json with the KMS, then seal attach signature/);
    const k8s = await rejection(loadPrivateKey('k8s://ns/secret', noPassword));
    assert.equal(k8s.kind, 'usage');
    assert.match(k8s.message, /^k8s:\/\/ keys \(Kubernetes secrets\) are not supported by seal$/);
    assert.match(k8s.hint ?? '', /kubectl get secret .*cosign\\\.key.* > cosign\.key, then --key cosign\.key/);
    const url = await rejection(loadPublicKey('https://example.com/cosign.pub'));
    assert.equal(url.kind, 'usage');
    assert.match(url.hint ?? '', /curl -fsSLo cosign\.pub URL, then --key cosign\.pub/);
    for (const ref of ['gcpkms://p', 'hashivault://k', 'gitlab://group/project', 'plugin://x']) {
      assert.equal((await rejection(loadPrivateKey(ref, noPassword))).kind, 'usage', ref);
    }
  });
});

describe('loadPublicKey', () => {
  test('PKIX PEM, PKCS#1 RSA PEM, raw DER SPKI and a certificate all load', async () => {
    assert.equal((await loadPublicKey(`${FIX}public/cosign-ci.pub`)).publicKey.algorithm, 'ecdsa-p256');
    assert.equal((await loadPublicKey(`${FIX}public/google-rsa4096.pub`)).publicKey.algorithm, 'rsa');
    assert.equal((await loadPublicKey(`${FIX}public/rsa-pkcs1-public.pem`)).publicKey.algorithm, 'rsa');
    assert.equal((await loadPublicKey(`${FIX}public/letsencrypt-testflume-2021.der`)).publicKey.algorithm, 'ecdsa-p256');
    const cert = await loadPublicKey(`${TEST_DIR}fixtures/cosign/certs/oci-attestation-fulcio-leaf.crt.pem`);
    assert.equal(cert.publicKey.algorithm, 'ecdsa-p256');
  });

  test('garbage and private keys are refused with what to do instead', async () => {
    const garbage = await rejection(loadPublicKey(`${FIX}public/garbage-not-a-key.txt`));
    assert.match(garbage.message, /is not a public key$/);
    const priv = await rejection(loadPublicKey(`${FIX}encrypted/sigstore-label.key`));
    assert.match(priv.message, /is a private key; verification needs the public key/);
    assert.match(priv.hint ?? '', /seal public-key/);
  });

  test('the public key of a loaded private key equals the one loadPublicKey reads back', async () => {
    const { publicKeyPem } = generateKeyPair();
    const v = await loadPublicKey(file('k.pub', publicKeyPem));
    assert.equal(v.publicKey.pem, publicKeyPem);
    assert.ok(isSealError(await rejection(loadPublicKey(file('bad.pub', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))), 'input'));
  });
});
