// generate-key-pair, import-key-pair and public-key through the CLI (run in this process).
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decryptPrivateKey, parseEncryptedKey, SIGSTORE_KEY_LABEL } from '../../src/crypto/encrypted-key.ts';
import { loadPrivateKey } from '../../src/crypto/keys.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const FIX = `${TEST_DIR}fixtures/cosign/keys/`;
const root = mkdtempSync(path.join(tmpdir(), 'seal-cli-keys-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => {
  const d = path.join(root, `t${n++}`);
  mkdirSync(d);
  return d;
};
const pw = (s: string) => new TextEncoder().encode(s);
const NO_PW = { SEAL_PASSWORD: undefined, COSIGN_PASSWORD: undefined, SEAL_IMPORT_PASSWORD: undefined };
const mode = (p: string) => statSync(p).mode & 0o777;

function assertOneLineError(stderr: string, re: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, re);
  assert.ok(!stderr.includes('    at '), 'no stack trace');
}

describe('seal generate-key-pair', () => {
  test('writes cosign.key (0600, cosign v3 format) and cosign.pub (0644) that belong together', async () => {
    const cwd = freshDir();
    const r = await runCli(['generate-key-pair'], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'correct horse' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Private key written to cosign.key\nPublic key written to cosign.pub\n');
    const keyPath = path.join(cwd, 'cosign.key');
    const pubPath = path.join(cwd, 'cosign.pub');
    assert.equal(mode(keyPath), 0o600);
    assert.equal(mode(pubPath), 0o644);
    const pem = readFileSync(keyPath, 'utf8');
    const enc = parseEncryptedKey(pem, keyPath);
    assert.equal(enc.label, SIGSTORE_KEY_LABEL);
    assert.deepEqual(enc.scrypt, { N: 65536, r: 8, p: 1 });
    assert.equal(enc.salt.length, 32);
    decryptPrivateKey(pem, pw('correct horse')); // round trip
    const signer = await loadPrivateKey(keyPath, async () => pw('correct horse'));
    assert.equal(signer.publicKey.algorithm, 'ecdsa-p256');
    assert.equal(readFileSync(pubPath, 'utf8'), signer.publicKey.pem);
    assert.match(readFileSync(pubPath, 'utf8'), /^-----BEGIN PUBLIC KEY-----\n(.{64}\n)+.{1,64}\n-----END PUBLIC KEY-----\n$/);
    assert.deepEqual(readdirSync(cwd).sort(), ['cosign.key', 'cosign.pub'], 'no temporary files left');
  });

  test('refuses to overwrite either file without --force and leaves the old pair intact', async () => {
    const cwd = freshDir();
    const env = { ...NO_PW, SEAL_PASSWORD: 'pw' };
    assert.equal((await runCli(['generate-key-pair', '--output-key-prefix', 'rel'], { cwd, env })).code, 0);
    const oldKey = readFileSync(path.join(cwd, 'rel.key'));
    const oldPub = readFileSync(path.join(cwd, 'rel.pub'));
    const again = await runCli(['generate-key-pair', '--output-key-prefix', 'rel'], { cwd, env });
    assert.equal(again.code, 1);
    assertOneLineError(again.stderr, /rel\.key already exists; nothing was written; pass --force/);
    assert.deepEqual(readFileSync(path.join(cwd, 'rel.key')), oldKey);
    assert.deepEqual(readFileSync(path.join(cwd, 'rel.pub')), oldPub);

    // Only the .pub exists: still refused, and no .key appears.
    rmSync(path.join(cwd, 'rel.key'));
    const pubOnly = await runCli(['generate-key-pair', '--output-key-prefix', 'rel'], { cwd, env });
    assert.equal(pubOnly.code, 1);
    assert.match(pubOnly.stderr, /rel\.pub already exists/);
    assert.ok(!existsSync(path.join(cwd, 'rel.key')));
    assert.deepEqual(readFileSync(path.join(cwd, 'rel.pub')), oldPub);

    const forced = await runCli(['generate-key-pair', '--output-key-prefix', 'rel', '--force'], { cwd, env });
    assert.equal(forced.code, 0, forced.stderr);
    assert.notDeepEqual(readFileSync(path.join(cwd, 'rel.pub')), oldPub);
    assert.equal(mode(path.join(cwd, 'rel.key')), 0o600);
  });

  test('takes the password from stdin without its trailing newline; COSIGN_PASSWORD="" means empty', async () => {
    const cwd = freshDir();
    const r = await runCli(['generate-key-pair', '--output-key-prefix', 'piped'], { cwd, env: NO_PW, input: 'from-stdin\n' });
    assert.equal(r.code, 0, r.stderr);
    decryptPrivateKey(readFileSync(path.join(cwd, 'piped.key'), 'utf8'), pw('from-stdin'));
    const e = await runCli(['generate-key-pair', '--output-key-prefix', 'empty'], { cwd, env: { ...NO_PW, COSIGN_PASSWORD: '' }, input: 'ignored\n' });
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stderr, /WARNING: empty\.key is encrypted with an empty password/);
    decryptPrivateKey(readFileSync(path.join(cwd, 'empty.key'), 'utf8'), new Uint8Array());
  });

  test('a prefix in a directory that does not exist is a one-line error', async () => {
    const cwd = freshDir();
    const r = await runCli(['generate-key-pair', '--output-key-prefix', 'no/such/dir/k'], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'x' } });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /directory .* does not exist/);
  });
});

const IMPORT_OK = ['validrsa', 'validrsapkcs1', 'validrsapkcs8', 'validecp256', 'validecp384', 'validecp521', 'validecpkcs8', 'ed25519key'];
const IMPORT_BAD: Record<string, RegExp> = {
  invalidrsawithpubkey: /unsupported private key: .* holds a public key/,
  invalidrsasmallkey: /error validating rsa key: key size not supported: 1024/,
  invalidrsalargekey: /error validating rsa key: key size not supported: 5120/,
  invalidecp224: /error validating ecdsa key: ECDSA curve P-224 not allowed/,
  invalidecunsupported: /error parsing ecdsa private key: .*secp256k1/,
  invalidkey: /invalid pem block: .*"PGP PRIVATE KEY BLOCK"/,
};

describe('seal import-key-pair (keys/import fixtures)', () => {
  for (const name of IMPORT_OK) {
    test(`${name}.pem imports; the new key re-loads with the password and gives ${name}.expected.pub`, async () => {
      const cwd = freshDir();
      const r = await runCli(['import-key-pair', '--key', `${FIX}import/${name}.pem`], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'hello' } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, 'Private key written to import-cosign.key\nPublic key written to import-cosign.pub\n');
      const expected = readFileSync(`${FIX}import/${name}.expected.pub`, 'utf8');
      assert.equal(readFileSync(path.join(cwd, 'import-cosign.pub'), 'utf8'), expected);
      assert.equal(mode(path.join(cwd, 'import-cosign.key')), 0o600);
      assert.equal(parseEncryptedKey(readFileSync(path.join(cwd, 'import-cosign.key'), 'utf8'), 'k').label, SIGSTORE_KEY_LABEL);
      const signer = await loadPrivateKey(path.join(cwd, 'import-cosign.key'), async () => pw('hello'));
      assert.equal(signer.publicKey.pem, expected);
    });
  }
  for (const [name, re] of Object.entries(IMPORT_BAD)) {
    test(`${name}.pem is refused (exit 1, one line) and nothing is written`, async () => {
      const cwd = freshDir();
      const r = await runCli(['import-key-pair', '--key', `${FIX}import/${name}.pem`], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'hello' } });
      assert.equal(r.code, 1);
      assertOneLineError(r.stderr, re);
      assert.deepEqual(readdirSync(cwd), []);
    });
  }

  test('an encrypted PKCS#8 key imports with SEAL_IMPORT_PASSWORD (cosign refuses these)', async () => {
    const cwd = freshDir();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const src = path.join(cwd, 'enc.pem');
    writeFileSync(src, privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'old' }));
    const wrong = await runCli(['import-key-pair', '--key', src, '-o', 'new'], { cwd, env: { ...NO_PW, SEAL_IMPORT_PASSWORD: 'nope', SEAL_PASSWORD: 'new' } });
    assert.equal(wrong.code, 1);
    assertOneLineError(wrong.stderr, /wrong password for .*enc\.pem/);
    const missing = await runCli(['import-key-pair', '--key', src, '-o', 'new'], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'new' } });
    assert.equal(missing.code, 1);
    assertOneLineError(missing.stderr, /SEAL_IMPORT_PASSWORD is not set/);
    const ok = await runCli(['import-key-pair', '--key', src, '-o', 'new'], { cwd, env: { ...NO_PW, SEAL_IMPORT_PASSWORD: 'old', SEAL_PASSWORD: 'new' } });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(readFileSync(path.join(cwd, 'new.pub'), 'utf8'), publicKey.export({ format: 'pem', type: 'spki' }));
    await loadPrivateKey(path.join(cwd, 'new.key'), async () => pw('new'));
  });

  test('a missing --key file: exit 1, one line', async () => {
    const cwd = freshDir();
    const r = await runCli(['import-key-pair', '--key', 'absent.pem'], { cwd, env: { ...NO_PW, SEAL_PASSWORD: 'x' } });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /key file absent\.pem not found/);
  });
});

describe('seal public-key', () => {
  test('prints the PKIX PEM of a cosign key (fixture, password "hello")', async () => {
    const r = await runCli(['public-key', '--key', `${FIX}encrypted/sigstore-label.key`], { env: { ...NO_PW, COSIGN_PASSWORD: 'hello' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(`${FIX}encrypted/sigstore-label.derived.pub`, 'utf8'));
  });

  test('--outfile writes the file and says so; an unencrypted PEM needs no password', async () => {
    const cwd = freshDir();
    const r = await runCli(['public-key', '--key', `${FIX}import/validecp384.pem`, '--outfile', 'p.pub'], { cwd, env: NO_PW });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Public key written to p.pub\n');
    assert.equal(readFileSync(path.join(cwd, 'p.pub'), 'utf8'), readFileSync(`${FIX}import/validecp384.expected.pub`, 'utf8'));
    // Replaced on a re-run, as cosign does.
    writeFileSync(path.join(cwd, 'p.pub'), 'stale');
    const again = await runCli(['public-key', '--key', `${FIX}import/validecp384.pem`, '--outfile', 'p.pub'], { cwd, env: NO_PW });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(path.join(cwd, 'p.pub'), 'utf8'), readFileSync(`${FIX}import/validecp384.expected.pub`, 'utf8'));
  });

  test('--outfile naming the private key itself is refused (exit 2) and the key stays (qa)', async () => {
    const cwd = freshDir();
    const key = path.join(cwd, 'release.pem');
    writeFileSync(key, readFileSync(`${FIX}import/validecp384.pem`));
    for (const out of ['release.pem', './release.pem', key]) {
      const r = await runCli(['public-key', '--key', 'release.pem', '--outfile', out], { cwd, env: NO_PW });
      assert.equal(r.code, 2, r.stderr);
      assertOneLineError(r.stderr, /is the private key itself; it would be replaced by the public key/);
      assert.deepEqual(readFileSync(key), readFileSync(`${FIX}import/validecp384.pem`));
    }
  });

  test('a wrong password is one line, exit 1, no stack trace', async () => {
    const key = `${FIX}encrypted/cosign-ci-unknown-password.key`;
    const r = await runCli(['public-key', '--key', key], { env: { ...NO_PW, SEAL_PASSWORD: 'hello' } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error: wrong password for ${key}\n`);
    assert.equal(r.stdout, '');
  });

  test('the SEC1-inside cosign key is rejected as cosign rejects it', async () => {
    const r = await runCli(['public-key', '--key', `${FIX}encrypted/cosign-label-ec-sec1-inner.key`], { env: { ...NO_PW, SEAL_PASSWORD: 'hello' } });
    assert.equal(r.code, 1);
    assertOneLineError(r.stderr, /not PKCS#8; cosign rejects it too/);
  });
});
