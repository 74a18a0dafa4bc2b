// The signing abstraction (src/ops/signing): one ArtifactSigner per kind, chosen once from the
// options; every output verifies with the public key alone; a low-level Signer that is not a key
// file (as a PKCS#11 token is) works through it unchanged.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { pae, parseEnvelope, verifyEnvelope } from '../../../src/attest/dsse.ts';
import { publicKeyInfo, KeyVerifier } from '../../../src/crypto/signer.ts';
import type { Signer } from '../../../src/crypto/types.ts';
import { SealError } from '../../../src/errors.ts';
import type { OpEnv } from '../../../src/ops/op-env.ts';
import { KeyArtifactSigner } from '../../../src/ops/signing/key.ts';
import { openSigner } from '../../../src/ops/signing/open.ts';

const INTOTO = 'application/vnd.in-toto+json';

function testEnv(vars: Record<string, string> = {}): OpEnv & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    log: { info() {}, debug() {}, warn: (m) => void warnings.push(m) },
    signal: new AbortController().signal,
    // No TUF cache: keyless services come from the defaults, never from this machine's cache.
    vars: { SEAL_TUF_CACHE: path.join(tmpdir(), 'seal-signing-test-no-tuf-cache'), ...vars },
    interactive: false,
    cwd: process.cwd(),
    stdin: (async function* () {})(),
    writeStdout: async () => {},
    password: async () => {
      throw new Error('no password expected for an unencrypted key');
    },
  };
}

function keyFile(): { file: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = mkdtempSync(path.join(tmpdir(), 'seal-signing-'));
  const file = path.join(dir, 'key.pem');
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return { file, publicKey };
}

const verifies = (key: KeyObject, data: Uint8Array, sig: Uint8Array) => nodeVerify('sha256', data, { key, dsaEncoding: 'der' }, sig);

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

describe('a key file', () => {
  const { file, publicKey } = keyFile();
  const payload = Buffer.from('{"critical":{}}');

  test('is chosen when --key is given; nothing is logged', async () => {
    const signer = await openSigner({ key: file }, testEnv(), { command: 'sign' });
    assert.equal(signer.kind, 'key');
    assert.equal(signer.logged, false);
  });

  test('sign: a raw signature over the bytes, no certificate', async () => {
    const signer = await openSigner({ key: file }, testEnv(), { command: 'sign' });
    const raw = await signer.sign(payload);
    assert.ok(verifies(publicKey, payload, raw.signature));
    assert.equal(raw.certificateChain, undefined);
  });

  test('dsseBundle: the envelope signature covers PAE(type, payload)', async () => {
    const signer = await openSigner({ key: file }, testEnv(), { command: 'attest' });
    const bundle = JSON.parse(Buffer.from(await signer.dsseBundle(payload, INTOTO)).toString());
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(bundle.verificationMaterial.tlogEntries, undefined);
    const env = bundle.dsseEnvelope;
    assert.equal(Buffer.from(env.payload, 'base64').toString(), payload.toString());
    assert.ok(verifies(publicKey, pae(INTOTO, payload), Buffer.from(env.signatures[0].sig, 'base64')));
  });

  test('messageBundle and signInput: the digest of the bytes, signed', async () => {
    const signer = await openSigner({ key: file }, testEnv(), { command: 'sign-blob' });
    const streamed = await signer.signInput({ stream: chunks('hello ', 'world') }, { bundle: true });
    assert.equal(streamed.size, 11);
    const fromBytes = JSON.parse(Buffer.from(await signer.messageBundle(Buffer.from('hello world'))).toString());
    for (const b of [JSON.parse(Buffer.from(streamed.bundle!).toString()), fromBytes]) {
      const digest = createHash('sha256').update('hello world').digest('base64');
      assert.deepEqual(b.messageSignature.messageDigest, { algorithm: 'SHA2_256', digest });
      assert.ok(verifies(publicKey, Buffer.from('hello world'), Buffer.from(b.messageSignature.signature, 'base64')));
    }
    const bare = await signer.signInput({ stream: chunks('hello world') }, { bundle: false });
    assert.equal(bare.bundle, undefined);
    assert.ok(verifies(publicKey, Buffer.from('hello world'), bare.signature));
  });

  test('legacy layers: the .sig signature annotation and the .att envelope verify', async () => {
    const signer = await openSigner({ key: file }, testEnv(), { command: 'sign' });
    const sig = await signer.legacySignature(payload);
    assert.ok(verifies(publicKey, payload, Buffer.from(sig.annotations['dev.cosignproject.cosign/signature']!, 'base64')));
    const att = await signer.legacyAttestation(payload, INTOTO);
    const verifier = new KeyVerifier(publicKey, 'ecdsa-p256');
    assert.deepEqual(Buffer.from(verifyEnvelope(parseEnvelope(att.envelope), [verifier]).payload), payload);
    assert.deepEqual(att.annotations, {});
  });

  test('a missing key file fails at prepare(), not when the signer is chosen', async () => {
    const signer = await openSigner({ key: '/nonexistent/cosign.key' }, testEnv(), { command: 'sign' });
    await assert.rejects(signer.prepare(), SealError);
  });

  test('--tlog-upload to the public Rekor prints the notice when chosen, unless --yes or another Rekor', async () => {
    const loud = testEnv();
    assert.equal((await openSigner({ key: file, tlogUpload: true }, loud, { command: 'sign' })).logged, true);
    assert.match(loud.warnings.join('\n'), /public Rekor transparency log/);
    const quiet = testEnv();
    await openSigner({ key: file, tlogUpload: true, yes: true }, quiet, { command: 'sign' });
    await openSigner({ key: file, tlogUpload: true, rekorUrl: 'http://127.0.0.1:9' }, quiet, { command: 'sign' });
    assert.deepEqual(quiet.warnings, []);
  });
});

describe('keyless', () => {
  test('without a token: a usage error naming the command', async () => {
    await assert.rejects(openSigner({}, testEnv(), { command: 'attest-blob' }), (e: SealError) => {
      assert.equal(e.kind, 'usage');
      assert.match(e.message, /^attest-blob needs --key, or an identity token/);
      return true;
    });
  });

  test('with SIGSTORE_ID_TOKEN: chosen, the check hook runs, the public-log notice is printed', async () => {
    const env = testEnv({ SIGSTORE_ID_TOKEN: 'aaa.bbb.ccc' });
    const kinds: string[] = [];
    const signer = await openSigner({}, env, { command: 'sign', check: (k) => void kinds.push(k) });
    assert.equal(signer.kind, 'keyless');
    assert.equal(signer.logged, true);
    assert.deepEqual(kinds, ['keyless']);
    assert.match(env.warnings.join('\n'), /public Rekor transparency log/);
  });

  test('the check hook refuses before the notice', async () => {
    const env = testEnv({ SIGSTORE_ID_TOKEN: 'aaa.bbb.ccc' });
    const refuse = () => {
      throw new SealError('usage', 'no bundle');
    };
    await assert.rejects(openSigner({}, env, { command: 'sign-blob', check: refuse }), /no bundle/);
    assert.deepEqual(env.warnings, []);
  });
});

describe('a low-level Signer that is not a key file (as a PKCS#11 token is)', () => {
  // Only the Signer interface: a public key, sign/signDigest, a certificate; no KeySigner class.
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const token: Signer = {
    publicKey: publicKeyInfo(publicKey, 'ecdsa-p256'),
    hashAlgorithm: 'sha256',
    sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
    certificateChain: ['-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n'],
  };
  // A token is handed the digest (CKM_ECDSA); the prehash helper stands in for it here.
  const withDigest: Signer = {
    ...token,
    signDigest: async (digest) => {
      const { signDigest } = await import('../../../src/crypto/prehash.ts');
      return signDigest(privateKey, 'ecdsa-p256', 'sha256', digest);
    },
  };
  const signer = new KeyArtifactSigner(async () => withDigest, { env: testEnv() });

  test('sign returns its certificate chain', async () => {
    const raw = await signer.sign(Buffer.from('x'));
    assert.ok(verifies(publicKey, Buffer.from('x'), raw.signature));
    assert.deepEqual(raw.certificateChain, token.certificateChain);
  });

  test('signInput hashes the stream and has the token sign the digest', async () => {
    const signed = await signer.signInput({ stream: chunks('a', 'b', 'c') }, { bundle: true });
    assert.equal(signed.size, 3);
    assert.ok(verifies(publicKey, Buffer.from('abc'), signed.signature));
    assert.ok(signed.bundle);
  });

  test('dsseBundle', async () => {
    const b = JSON.parse(Buffer.from(await signer.dsseBundle(Buffer.from('{}'), INTOTO)).toString());
    assert.ok(verifies(publicKey, pae(INTOTO, Buffer.from('{}')), Buffer.from(b.dsseEnvelope.signatures[0].sig, 'base64')));
  });
});

test("close() ends the low-level signer's session once it was opened, and is harmless before", async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let closed = 0;
  const token: Signer = {
    publicKey: publicKeyInfo(publicKey, 'ecdsa-p256'),
    hashAlgorithm: 'sha256',
    sign: async (data) => new Uint8Array(nodeSign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
    close: async () => void closed++,
  };
  const unopened = new KeyArtifactSigner(async () => token, { env: testEnv() });
  await unopened.close();
  assert.equal(closed, 0);
  const used = new KeyArtifactSigner(async () => token, { env: testEnv() });
  await used.sign(Buffer.from('x'));
  await used.close();
  assert.equal(closed, 1);
});
