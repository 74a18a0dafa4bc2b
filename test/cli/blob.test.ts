// sign-blob and verify-blob through the CLI (run in this process), cross-checked with openssl in both directions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';

const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const FIX = `${TEST_DIR}fixtures/cosign/keys/`;
const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

const dir = mkdtempSync(path.join(tmpdir(), 'seal-cli-blob-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const p = (name: string) => path.join(dir, name);
const ENV = { SEAL_PASSWORD: 'blob-pw', COSIGN_PASSWORD: undefined };
const run = (args: string[], opts: { input?: string | Buffer; env?: Record<string, string | undefined> } = {}) =>
  runCli(args, { cwd: dir, env: { ...ENV, ...opts.env }, input: opts.input });
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

function expectFailure(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, re);
  assert.ok(!r.stderr.includes('    at '), 'no stack trace');
}

const content = Buffer.from('release artefact\n'.repeat(1000));

before(async () => {
  const r = await run(['generate-key-pair']);
  assert.equal(r.code, 0, r.stderr);
  const other = await run(['generate-key-pair', '--output-key-prefix', 'other']);
  assert.equal(other.code, 0, other.stderr);
  writeFileSync(p('blob.bin'), content);
  mkdirSync(p('a-directory'));
});

describe('seal sign-blob / verify-blob with a seal key', () => {
  test('signature on stdout (base64 + newline) verifies; stderr "Verified OK", stdout empty', async () => {
    const s = await run(['sign-blob', '--key', 'cosign.key', 'blob.bin']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^[A-Za-z0-9+/]+=*\n$/);
    writeFileSync(p('blob.sig'), s.stdout);
    const v = await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', 'blob.bin']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stderr, 'Verified OK\n');
    assert.equal(v.stdout, '');
  });

  test('--output-signature: base64 without newline, mode 0644; replaced on a re-run, as cosign does', async () => {
    const s = await run(['sign-blob', '--key', 'cosign.key', '--output-signature', 'out.sig', 'blob.bin']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '');
    assert.equal(s.stderr, 'Wrote signature to out.sig\n');
    const sig = readFileSync(p('out.sig'), 'utf8');
    assert.match(sig, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(statSync(p('out.sig')).mode & 0o777, 0o644);
    writeFileSync(p('out.sig'), 'stale');
    const again = await run(['sign-blob', '--key', 'cosign.key', '--output-signature', 'out.sig', 'blob.bin']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(readFileSync(p('out.sig'), 'utf8'), /^[A-Za-z0-9+/]+=*$/, 'the stale file is replaced');
    const forced = await run(['sign-blob', '--key', 'cosign.key', '--output-signature', 'out.sig', '--force', 'blob.bin']);
    assert.equal(forced.code, 0, forced.stderr);
  });

  test('an output file naming the file being signed is refused before signing; the artifact stays intact (qa)', async () => {
    for (const flag of ['--output-signature', '--bundle']) {
      for (const out of ['blob.bin', './blob.bin', p('blob.bin')]) {
        const r = await run(['sign-blob', '--key', 'cosign.key', flag, out, 'blob.bin']);
        expectFailure(r, 2, new RegExp(`^Error: ${flag} .*blob\\.bin is the file being signed; it would be replaced`));
        assert.deepEqual(readFileSync(p('blob.bin')), content);
      }
    }
  });

  test('a bundle with a number where base64 belongs: one line naming the problem, no Node TypeError text (qa)', async () => {
    writeFileSync(
      p('typed.sigstore.json'),
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { publicKey: { hint: 5 } },
        messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: 7 }, signature: null },
      }),
    );
    const r = await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'typed.sigstore.json', 'blob.bin']);
    expectFailure(r, 3, /^Error: invalid bundle: a field has the wrong JSON type/);
    assert.doesNotMatch(r.stderr, /first argument|Received type/);
  });

  test('the signature as a literal base64 argument, and a sha256:HEX digest instead of the file', async () => {
    const sig = (await run(['sign-blob', '--key', 'cosign.key', 'blob.bin'])).stdout.trim();
    const v = await run(['verify-blob', '--key', 'cosign.pub', '--signature', sig, 'blob.bin']);
    assert.equal(v.code, 0, v.stderr);
    const d = await run(['verify-blob', '--key', 'cosign.pub', '--signature', sig, `sha256:${sha256(content)}`]);
    assert.equal(d.code, 0, d.stderr);
    const wrong = await run(['verify-blob', '--key', 'cosign.pub', '--signature', sig, `sha256:${sha256('other')}`]);
    expectFailure(wrong, 3, /does not verify for sha256:/);
  });

  test('stdin in both directions; a piped password is refused when stdin is the file', async () => {
    const s = await run(['sign-blob', '--key', 'cosign.key', '-'], { input: content });
    assert.equal(s.code, 0, s.stderr);
    const v = await run(['verify-blob', '--key', 'cosign.pub', '--signature', s.stdout.trim(), '-'], { input: content });
    assert.equal(v.code, 0, v.stderr);
    const noEnv = await run(['sign-blob', '--key', 'cosign.key', '-'], { input: content, env: { SEAL_PASSWORD: undefined } });
    expectFailure(noEnv, 2, /password cannot come from stdin, which carries the file to sign; set SEAL_PASSWORD/);
  });

  test('--no-b64 writes raw DER, which verify-blob reads as well', async () => {
    const s = await run(['sign-blob', '--key', 'cosign.key', '--no-b64', '--output-signature', 'raw.sig', 'blob.bin']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(readFileSync(p('raw.sig'))[0], 0x30, 'DER SEQUENCE');
    const v = await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'raw.sig', 'blob.bin']);
    assert.equal(v.code, 0, v.stderr);
  });

  test('an empty file is a file like any other', async () => {
    writeFileSync(p('empty.bin'), '');
    const s = await run(['sign-blob', '--key', 'cosign.key', '--output-signature', 'empty.sig', 'empty.bin']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal((await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'empty.sig', 'empty.bin'])).code, 0);
  });
});

describe('seal verify-blob failures: each says which, with its exit code', () => {
  test('a changed file: exit 3', async () => {
    writeFileSync(p('changed.bin'), Buffer.concat([content, Buffer.from('!')]));
    const r = await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', 'changed.bin']);
    expectFailure(
      r,
      3,
      /^Error: the signature does not verify for changed\.bin with cosign\.pub: the content changed since it was signed, or another key signed it$/,
    );
  });

  test('another key: exit 3', async () => {
    const r = await run(['verify-blob', '--key', 'other.pub', '--signature', 'blob.sig', 'blob.bin']);
    expectFailure(r, 3, /does not verify for blob\.bin with other\.pub/);
  });

  test('a malformed signature (not DER, not base64): exit 3, "malformed"', async () => {
    writeFileSync(p('junk.sig'), Buffer.from('bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==')); // base64 of text
    expectFailure(
      await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'junk.sig', 'blob.bin']),
      3,
      /malformed signature \(junk\.sig\): it is not an ASN\.1 DER ECDSA signature/,
    );
    writeFileSync(p('garbage.sig'), 'MEUCIQ#$%^&*garbage');
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'garbage.sig', 'blob.bin']), 3, /malformed signature \(garbage\.sig\)/);
    writeFileSync(p('badb64.sig'), 'MEUCIQA');
    expectFailure(
      await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'badb64.sig', 'blob.bin']),
      3,
      /malformed signature \(badb64\.sig\): it is not valid base64/,
    );
  });

  test('an empty signature file: exit 1', async () => {
    writeFileSync(p('empty.sig.txt'), '\n');
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'empty.sig.txt', 'blob.bin']), 1, /signature file empty\.sig\.txt is empty/);
  });

  test('a missing file, a directory, a missing signature file or key: exit 1', async () => {
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', 'nope.bin']), 1, /file nope\.bin not found/);
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', 'a-directory']), 1, /a-directory is a directory, not a file/);
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'nope.sig', 'blob.bin']), 1, /signature file nope\.sig not found/);
    expectFailure(await run(['verify-blob', '--key', 'nope.pub', '--signature', 'blob.sig', 'blob.bin']), 1, /nope\.pub not found/);
    expectFailure(await run(['verify-blob', '--key', 'cosign.key', '--signature', 'blob.sig', 'blob.bin']), 1, /cosign\.key is a private key/);
  });

  test('sign-blob refuses a missing file or a directory before asking for a password', async () => {
    const env = { SEAL_PASSWORD: undefined };
    expectFailure(await run(['sign-blob', '--key', 'cosign.key', 'nope.bin'], { env }), 1, /file nope\.bin not found/);
    expectFailure(await run(['sign-blob', '--key', 'cosign.key', 'a-directory'], { env }), 1, /a-directory is a directory/);
  });

  test('a wrong password when signing: one line, exit 1', async () => {
    expectFailure(
      await run(['sign-blob', '--key', 'cosign.key', 'blob.bin'], { env: { SEAL_PASSWORD: 'nope' } }),
      1,
      /^Error: wrong password for cosign\.key$/,
    );
  });

  test('--signature and --bundle together, or neither: usage, exit 2', async () => {
    expectFailure(
      await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', '--bundle', 'b.json', 'blob.bin']),
      2,
      /mutually exclusive|exactly one/,
    );
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', 'blob.bin']), 2, /exactly one of --signature and --bundle/);
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--signature', 'blob.sig', 'sha256:abc']), 2, /not a sha256 digest/);
  });
});

describe('seal sign-blob --bundle / verify-blob --bundle', () => {
  test('round trip for the file, stdin and the digest; stdout empty', async () => {
    const s = await run(['sign-blob', '--key', 'cosign.key', '--bundle', 'blob.sigstore.json', 'blob.bin']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, '');
    assert.equal(s.stderr, 'Wrote bundle to blob.sigstore.json\n');
    const b = JSON.parse(readFileSync(p('blob.sigstore.json'), 'utf8'));
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(Buffer.from(b.messageSignature.messageDigest.digest, 'base64').toString('hex'), sha256(content));
    for (const [target, input] of [['blob.bin'], ['-', content], [`sha256:${sha256(content)}`]] as const) {
      const v = await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'blob.sigstore.json', target], { input });
      assert.equal(v.code, 0, `${target}: ${v.stderr}`);
      assert.match(v.stderr, /Verified OK\n$/);
      assert.ok(!v.stderr.includes('trusted root'), 'no trusted-root warning for a key bundle without a log entry');
      assert.equal(v.stdout, '');
    }
  });

  test('another file, another key, a tampered digest or signature: exit 3', async () => {
    writeFileSync(p('other.bin'), 'other');
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'blob.sigstore.json', 'other.bin']), 3, /digest does not match/);
    const other = await run(['verify-blob', '--key', 'other.pub', '--bundle', 'blob.sigstore.json', 'blob.bin']);
    assert.equal(other.code, 3, other.stderr);
    const b = JSON.parse(readFileSync(p('blob.sigstore.json'), 'utf8'));
    writeFileSync(
      p('tampered-digest.json'),
      JSON.stringify({
        ...b,
        messageSignature: { ...b.messageSignature, messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update('x').digest('base64') } },
      }),
    );
    assert.equal((await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'tampered-digest.json', 'blob.bin'])).code, 3);
    const sig = Buffer.from(b.messageSignature.signature, 'base64');
    sig[sig.length - 1]! ^= 1;
    writeFileSync(p('tampered-sig.json'), JSON.stringify({ ...b, messageSignature: { ...b.messageSignature, signature: sig.toString('base64') } }));
    assert.equal((await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'tampered-sig.json', 'blob.bin'])).code, 3);
  });

  test('a bundle that is not JSON or is missing: exit 1', async () => {
    writeFileSync(p('notjson.json'), 'hello');
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'notjson.json', 'blob.bin']), 1, /notjson\.json is not JSON/);
    expectFailure(await run(['verify-blob', '--key', 'cosign.pub', '--bundle', 'absent.json', 'blob.bin']), 1, /bundle file absent\.json not found/);
  });
});

describe('interoperability with openssl', () => {
  test("seal's signatures verify with `openssl dgst -sha256 -verify`", async (t) => {
    if (!haveOpenssl) return t.skip('openssl not installed: skipped');
    const s = await run(['sign-blob', '--key', 'cosign.key', '--no-b64', '--output-signature', 'for-openssl.der', 'blob.bin']);
    assert.equal(s.code, 0, s.stderr);
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', p('cosign.pub'), '-signature', p('for-openssl.der'), p('blob.bin')]);
    assert.equal(out.toString().trim(), 'Verified OK');
  });

  test("openssl's EC and RSA signatures verify with seal; seal signs with openssl's unencrypted keys", async (t) => {
    if (!haveOpenssl) return t.skip('openssl not installed: skipped');
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    ossl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ossl-ec.pem'); // SEC1
    ossl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ossl-rsa.pem'); // PKCS#8
    for (const k of ['ec', 'rsa']) {
      ossl('pkey', '-in', `ossl-${k}.pem`, '-pubout', '-out', `ossl-${k}.pub`);
      ossl('dgst', '-sha256', '-sign', `ossl-${k}.pem`, '-out', `ossl-${k}.sig`, 'blob.bin');
      const v = await run(['verify-blob', '--key', `ossl-${k}.pub`, '--signature', `ossl-${k}.sig`, 'blob.bin']);
      assert.equal(v.code, 0, `${k}: ${v.stderr}`);
      const d = await run(['verify-blob', '--key', `ossl-${k}.pub`, '--signature', `ossl-${k}.sig`, `sha256:${sha256(content)}`]);
      assert.equal(d.code, 0, `${k} digest: ${d.stderr}`);
      const s = await run(['sign-blob', '--key', `ossl-${k}.pem`, '--no-b64', '--output-signature', `seal-${k}.der`, 'blob.bin'], {
        env: { SEAL_PASSWORD: undefined },
      });
      assert.equal(s.code, 0, `${k} sign: ${s.stderr}`);
      const out = ossl('dgst', '-sha256', '-verify', `ossl-${k}.pub`, '-signature', `seal-${k}.der`, 'blob.bin');
      assert.equal(out.toString().trim(), 'Verified OK');
    }
  });

  test('Ed25519 (pure, as cosign sign-blob): seal and openssl pkeyutl agree', async (t) => {
    if (!haveOpenssl) return t.skip('openssl not installed: skipped');
    const key = `${FIX}import/ed25519key.pem`;
    const s = await run(['sign-blob', '--key', key, '--no-b64', '--output-signature', 'ed.sig', 'blob.bin'], { env: { SEAL_PASSWORD: undefined } });
    assert.equal(s.code, 0, s.stderr);
    const out = execFileSync('openssl', [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      `${FIX}import/ed25519key.expected.pub`,
      '-rawin',
      '-in',
      p('blob.bin'),
      '-sigfile',
      p('ed.sig'),
    ]);
    assert.match(out.toString(), /Signature Verified Successfully/);
    const v = await run(['verify-blob', '--key', `${FIX}import/ed25519key.expected.pub`, '--signature', 'ed.sig', 'blob.bin']);
    assert.equal(v.code, 0, v.stderr);
    expectFailure(
      await run(['verify-blob', '--key', `${FIX}import/ed25519key.expected.pub`, '--signature', 'ed.sig', `sha256:${sha256(content)}`]),
      2,
      /Ed25519 signature covers the whole file/,
    );
  });
});
