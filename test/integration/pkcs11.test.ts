// PKCS#11 keys end to end on a real token: SoftHSM 2 initialised for this run in a temporary
// directory (SOFTHSM2_CONF). seal makes the key on the token, signs a blob and an OCI layout image
// in both formats, attests, and everything verifies with the exported public key; openssl checks
// the blob signatures as an independent peer. Each bad input is one line, exit 1, and the PIN is
// never printed. The CLI runs in-process (main) except where a real process is the point.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPublicKey, verify } from 'node:crypto';
import { main } from '../../src/cli/main.ts';
import { openTokenSigner } from '../../src/crypto/pkcs11/token.ts';
import { makeImageLayout } from '../harness/index.ts';
import { runCli, SEAL_BIN, SEAL_RUN_ENV } from '../helpers/run-cli.ts';
import { startSoftHsm, type SoftHsm } from '../helpers/softhsm.ts';

// Letters and digits that appear nowhere else in any output (not in base64 of short signatures by chance:
// the check below also looks for the PIN in every output of the run).
const PIN = 'Qz7xKpin5W';
let hsm: SoftHsm;
let dir: string;
let n = 0;
const fresh = () => {
  const d = path.join(dir, `t${n++}`);
  mkdirSync(d);
  return d;
};
/** Every stdout and stderr of the run, to check the PIN never appears. */
const allOutput: string[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function seal(args: string[], env: Record<string, string | undefined> = {}, cwd = dir): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (b: Buffer) => o.push(b));
  err.on('data', (b: Buffer) => e.push(b));
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  const code = await main(args, {
    stdout: out,
    stderr: err,
    stdin,
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...hsm.env, COSIGN_PKCS11_PIN: PIN, ...env },
  });
  const r = { code, stdout: Buffer.concat(o).toString('utf8'), stderr: Buffer.concat(e).toString('utf8') };
  allOutput.push(r.stdout, r.stderr);
  return r;
}

function oneLineError(r: Run, re: RegExp, code = 1): void {
  assert.equal(r.code, code, `exit ${code}, got ${r.code}: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^Error: /);
  assert.match(lines[0]!, re);
  assert.ok(!r.stderr.includes(PIN), 'the PIN is not printed');
}

const uri = (attrs: string, query = '') => `pkcs11:token=seal%20test;${attrs}?module-path=${hsm.module}${query}`;
let key: string;
let pub: string;
let slot: number;

before(() => {
  hsm = startSoftHsm({ pin: PIN });
  dir = hsm.dir;
  key = uri('object=release');
  pub = path.join(dir, 'release.pub');
});
after(() => {
  hsm?.cleanup();
});

describe('seal with a key on a SoftHSM token', () => {
  test('pkcs11-tool list-tokens prints what cosign prints', async () => {
    const r = await seal(['pkcs11-tool', 'list-tokens', '--module-path', hsm.module]);
    assert.equal(r.code, 0, r.stderr);
    const m =
      /^\nListing tokens of PKCS11 module '(.+)'\nToken in slot (\d+)\n\tLabel: seal test\n\tManufacturer: SoftHSM project\n\tModel: SoftHSM v2\n\tS\/N: [0-9a-f]+\n\n/.exec(
        r.stdout,
      );
    assert.ok(m, r.stdout);
    assert.equal(m[1], hsm.module);
    slot = Number(m[2]);
  });

  test('generate-key-pair --kms makes a P-256 key on the token and writes only the .pub', async () => {
    const cwd = fresh();
    const r = await seal(['generate-key-pair', '--kms', key, '--output-key-prefix', 'release'], {}, cwd);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Created ECDSA P-256 key 'release' id [0-9a-f]{32} on PKCS#11 token 'seal test'\nPublic key written to release.pub\n$/);
    assert.equal(existsSync(path.join(cwd, 'release.key')), false);
    writeFileSync(pub, readFileSync(path.join(cwd, 'release.pub')));
    assert.match(readFileSync(pub, 'utf8'), /^-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/);
    // The second time the label is taken: refused, the first key untouched.
    const again = await seal(['generate-key-pair', '--kms', key, '--output-key-prefix', 'other'], {}, cwd);
    oneLineError(again, /token 'seal test' already holds a private key object=release id=[0-9a-f]+; no key was created/);
    assert.equal(existsSync(path.join(cwd, 'other.pub')), false);
  });

  test('public-key --key pkcs11: prints the same public key', async () => {
    const r = await seal(['public-key', '--key', key]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(pub, 'utf8'));
  });

  test('pkcs11-tool list-keys-uris lists the key with a URI that signs, and no PIN', async () => {
    const r = await seal(['pkcs11-tool', 'list-keys-uris', '--module-path', hsm.module, '--slot-id', String(slot), '--pin', PIN]);
    assert.equal(r.code, 0, r.stderr);
    const m = new RegExp(
      `^\\nListing URIs of keys in slot '${slot}' of PKCS11 module '${hsm.module}'\\nObject 0\\n\\tLabel: release\\n\\tID: ([0-9a-f]{32})\\n\\tURI: (\\S+)\\n$`,
    ).exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[2], `pkcs11:token=seal%20test;slot-id=${slot};id=${m[1]!.replace(/../g, '%$&')};object=release?module-path=${hsm.module}`);
    const blob = path.join(fresh(), 'b.txt');
    writeFileSync(blob, 'listed');
    const s = await seal(['sign-blob', '--key', m[2]!, blob]);
    assert.equal(s.code, 0, s.stderr);
  });

  test('sign-blob: the signature verifies with seal and with openssl dgst -verify; a bundle verifies too', async () => {
    const d = fresh();
    const blob = path.join(d, 'release.tar.gz');
    writeFileSync(blob, 'release bytes\n'.repeat(1000));
    const r = await seal(['sign-blob', '--key', key, '--output-signature', path.join(d, 'sig'), '--bundle', path.join(d, 'b.json'), blob]);
    assert.equal(r.code, 0, r.stderr);
    const v = await seal(['verify-blob', '--key', pub, '--signature', path.join(d, 'sig'), blob]);
    assert.equal(v.code, 0, v.stderr);
    const vb = await seal(['verify-blob', '--key', pub, '--bundle', path.join(d, 'b.json'), blob]);
    assert.equal(vb.code, 0, vb.stderr);
    writeFileSync(path.join(d, 'sig.der'), Buffer.from(readFileSync(path.join(d, 'sig'), 'utf8'), 'base64'));
    const ok = execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', path.join(d, 'sig.der'), blob], { encoding: 'utf8' });
    assert.match(ok, /Verified OK/);
    // The public key can also be read from the token, with or without a PIN (cosign's verify --key pkcs11:).
    for (const env of [{}, { COSIGN_PKCS11_PIN: undefined }]) {
      const vt = await seal(['verify-blob', '--key', key, '--signature', path.join(d, 'sig'), blob], env);
      assert.equal(vt.code, 0, vt.stderr);
    }
    // And a changed file does not verify.
    writeFileSync(blob, 'tampered');
    const bad = await seal(['verify-blob', '--key', pub, '--signature', path.join(d, 'sig'), blob]);
    assert.notEqual(bad.code, 0);
  });

  for (const format of ['legacy', 'bundle'] as const) {
    test(`sign and attest an image (${format} format), verify both with the public key`, async () => {
      const img = await makeImageLayout(path.join(fresh(), 'img'));
      const ref = `oci:${img.dir}:latest`;
      const s = await seal(['sign', '--key', key, '--format', format, ref]);
      assert.equal(s.code, 0, s.stderr);
      const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(JSON.parse(v.stdout)[0].verified, true);
      const vt = await seal(['verify', '--key', key, ref]);
      assert.equal(vt.code, 0, vt.stderr);
      const pred = path.join(img.dir, '..', 'pred.json');
      writeFileSync(pred, JSON.stringify({ scanned: true }));
      const a = await seal(['attest', '--key', key, '--format', format, '--predicate', pred, '--type', 'custom', ref]);
      assert.equal(a.code, 0, a.stderr);
      const va = await seal(['verify-attestation', '--key', pub, '--type', 'custom', ref]);
      assert.equal(va.code, 0, va.stderr);
    });
  }

  test('attest-blob, then verify-blob-attestation with the public key', async () => {
    const d = fresh();
    const blob = path.join(d, 'app.bin');
    writeFileSync(blob, 'app');
    const pred = path.join(d, 'pred.json');
    writeFileSync(pred, JSON.stringify({ built: 'ci' }));
    const a = await seal(['attest-blob', '--key', key, '--predicate', pred, '--type', 'custom', '--bundle', path.join(d, 'att.json'), blob]);
    assert.equal(a.code, 0, a.stderr);
    const v = await seal(['verify-blob-attestation', '--key', pub, '--bundle', path.join(d, 'att.json'), '--type', 'custom', blob]);
    assert.equal(v.code, 0, v.stderr);
  });

  for (const [name, keyType] of [
    ['ECDSA P-384', 'EC:secp384r1'],
    ['RSA 2048', 'rsa:2048'],
  ] as const) {
    test(`a ${name} key made by OpenSC pkcs11-tool signs; openssl verifies (SHA-256, as cosign)`, async () => {
      const label = name.replace(/\W/g, '');
      hsm.tool([
        '--token-label',
        'seal test',
        '--login',
        '--pin',
        PIN,
        '--keypairgen',
        '--key-type',
        keyType,
        '--label',
        label,
        '--id',
        label === 'ECDSAP384' ? '3840' : '2048',
      ]);
      const d = fresh();
      const k = uri(`object=${label}`);
      const p = await seal(['public-key', '--key', k, '--outfile', path.join(d, 'k.pub')]);
      assert.equal(p.code, 0, p.stderr);
      const blob = path.join(d, 'f');
      writeFileSync(blob, name);
      const s = await seal(['sign-blob', '--key', k, '--output-signature', path.join(d, 'sig'), blob]);
      assert.equal(s.code, 0, s.stderr);
      writeFileSync(path.join(d, 'sig.der'), Buffer.from(readFileSync(path.join(d, 'sig'), 'utf8'), 'base64'));
      const ok = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(d, 'k.pub'), '-signature', path.join(d, 'sig.der'), blob], {
        encoding: 'utf8',
      });
      assert.match(ok, /Verified OK/);
      const v = await seal(['verify-blob', '--key', path.join(d, 'k.pub'), '--signature', path.join(d, 'sig'), blob]);
      assert.equal(v.code, 0, v.stderr);
    });
  }

  test('signatures asked for at the same time are queued to the token, and all verify', async () => {
    const signer = await openTokenSigner(key, { env: { ...hsm.env, COSIGN_PKCS11_PIN: PIN } });
    try {
      const messages = Array.from({ length: 12 }, (_, i) => Buffer.from(`image ${i}`));
      const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
      const pubKey = createPublicKey(readFileSync(pub));
      signatures.forEach((sig, i) => assert.ok(verify('sha256', messages[i]!, pubKey, sig), `signature ${i}`));
    } finally {
      await signer.close();
    }
  });

  test('the PIN can come from pin-value or pin-source instead of COSIGN_PKCS11_PIN', async () => {
    const d = fresh();
    writeFileSync(path.join(d, 'pin'), PIN + '\n', { mode: 0o600 });
    for (const k of [uri('object=release', `&pin-value=${PIN}`), uri('object=release', `&pin-source=file:${path.join(d, 'pin')}`)]) {
      const r = await seal(['public-key', '--key', k], { COSIGN_PKCS11_PIN: undefined });
      assert.equal(r.code, 0, r.stderr);
    }
  });
});

describe('bad input with a token: one line, exit 1, no PIN', () => {
  test('a wrong PIN', async () => {
    oneLineError(
      await seal(['sign-blob', '--key', key, '/etc/hostname'], { COSIGN_PKCS11_PIN: 'wrong-1234' }),
      /^Error: wrong PIN for PKCS#11 token 'seal test'$/,
    );
  });

  test('no PIN and no terminal to ask on', async () => {
    oneLineError(
      await seal(['sign-blob', '--key', key, '/etc/hostname'], { COSIGN_PKCS11_PIN: undefined }),
      /token 'seal test' needs a PIN and there is no terminal to ask for it; set COSIGN_PKCS11_PIN/,
    );
  });

  test('a module path that does not exist, or is not a PKCS#11 module', async () => {
    oneLineError(
      await seal(['sign-blob', '--key', 'pkcs11:token=t;object=k?module-path=/nonexistent/lib.so', '/etc/hostname']),
      /PKCS#11 module \/nonexistent\/lib.so does not exist/,
    );
    oneLineError(
      await seal(['sign-blob', '--key', 'pkcs11:token=t;object=k?module-path=/etc/hostname', '/etc/hostname']),
      /cannot load PKCS#11 module \/etc\/hostname/,
    );
    oneLineError(await seal(['sign-blob', '--key', 'pkcs11:token=t;object=k', '/etc/hostname']), /module-path or COSIGN_PKCS11_MODULE_PATH must be set/);
  });

  test('a token that is not there names the ones that are', async () => {
    oneLineError(
      await seal(['sign-blob', '--key', uri('object=release').replace('seal%20test', 'nosuch'), '/etc/hostname']),
      /no PKCS#11 token 'nosuch' in module .*; tokens present: 'seal test' \(slot \d+\)/,
    );
  });

  test('a URI naming no key', async () => {
    oneLineError(
      await seal(['sign-blob', '--key', uri('object=missing'), '/etc/hostname']),
      /token 'seal test' has no private key 'missing'; list its keys with: seal pkcs11-tool list-keys-uris/,
    );
    oneLineError(
      await seal(['verify-blob', '--key', uri('object=missing'), '--signature', '/etc/hostname', '/etc/hostname']),
      /token 'seal test' shows no public key or certificate 'missing'/,
    );
  });

  test('a URI naming several keys', async () => {
    hsm.tool(['--token-label', 'seal test', '--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'twin', '--id', '0a01']);
    hsm.tool(['--token-label', 'seal test', '--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:prime256v1', '--label', 'twin', '--id', '0a02']);
    oneLineError(
      await seal(['sign-blob', '--key', uri('object=twin'), '/etc/hostname']),
      /URI names 2 private keys on token 'seal test': object=twin id=0a0[12]; object=twin id=0a0[12]; add id=/,
    );
    // id= picks one.
    const r = await seal(['sign-blob', '--key', uri('object=twin;id=%0a%02'), '/etc/hostname']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a key of a type seal does not sign with (secp256k1)', async () => {
    hsm.tool(['--token-label', 'seal test', '--login', '--pin', PIN, '--keypairgen', '--key-type', 'EC:secp256k1', '--label', 'k1', '--id', '0b01']);
    oneLineError(
      await seal(['sign-blob', '--key', uri('object=k1'), '/etc/hostname']),
      /'k1' on token 'seal test' is on an elliptic curve seal does not sign with/,
    );
  });

  test('a token without the mechanisms: no EC key generation, no ECDSA signing', async () => {
    // The same token through a SoftHSM configuration that withholds both mechanisms. (SoftHSM 2.6
    // skips the first name of a "-" list, hence the unknown one standing first.)
    const conf = path.join(dir, 'no-ec.conf');
    writeFileSync(conf, readFileSync(hsm.env.SOFTHSM2_CONF!, 'utf8') + 'slots.mechanisms = -CKM_VENDOR_DEFINED,CKM_EC_KEY_PAIR_GEN,CKM_ECDSA\n');
    const cwd = fresh();
    const g = await seal(['generate-key-pair', '--kms', uri('object=fresh'), '--output-key-prefix', 'fresh'], { SOFTHSM2_CONF: conf }, cwd);
    oneLineError(g, /PKCS#11 token 'seal test' cannot create ECDSA keys \(no CKM_EC_KEY_PAIR_GEN\)/);
    assert.equal(existsSync(path.join(cwd, 'fresh.pub')), false);
    const s = await seal(['sign-blob', '--key', key, '/etc/hostname'], { SOFTHSM2_CONF: conf });
    oneLineError(s, /PKCS#11 token 'seal test' cannot sign with CKM_ECDSA, which the key 'release' needs/);
  });

  const faulty = (mode: 'CRASH' | 'HANG') => {
    const out = path.join(dir, `faulty-${mode.toLowerCase()}.so`);
    const src = fileURLToPath(new URL('../fixtures/pkcs11/faulty-module.c', import.meta.url));
    execFileSync('cc', ['-shared', '-fPIC', `-DMODE_${mode}`, '-o', out, src]);
    return out;
  };

  test('a module that crashes costs only the agent', async () => {
    const mod = faulty('CRASH');
    oneLineError(
      await seal(['sign-blob', '--key', `pkcs11:token=t;object=k?module-path=${mod}`, '/etc/hostname']),
      /PKCS#11 module .*faulty-crash.so crashed \(SIGSEGV\) in C_Initialize/,
    );
    oneLineError(await seal(['pkcs11-tool', 'list-tokens', '--module-path', mod]), /crashed \(SIGSEGV\)/);
  });

  test('a module that hangs is stopped after SEAL_PKCS11_TIMEOUT', async () => {
    const mod = faulty('HANG');
    const started = Date.now();
    oneLineError(
      await seal(['sign-blob', '--key', `pkcs11:token=t;object=k?module-path=${mod}`, '/etc/hostname'], { SEAL_PKCS11_TIMEOUT: '1' }),
      /PKCS#11 module .*faulty-hang.so did not answer C_Initialize within 1 s; stopped it/,
    );
    assert.ok(Date.now() - started < 10_000);
  });

  /** Child pids of `pid`, from /proc (no procps needed). */
  const childrenOf = (pid: number): number[] =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return (
            readFileSync(`/proc/${d}/stat`, 'utf8')
              .replace(/^.*\) /, '')
              .split(' ')[1] === String(pid)
          );
        } catch {
          return false;
        }
      })
      .map(Number);

  test('Ctrl-C while a module hangs stops seal within 2 s (exit 130), the agent with it', async () => {
    const mod = faulty('HANG');
    const child = spawn(process.execPath, [SEAL_BIN, 'sign-blob', '--key', `pkcs11:token=t;object=k?module-path=${mod}`, '/etc/hostname'], {
      env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b));
    // Wait until the agent is inside C_Initialize: it is then a child of seal running the module.
    const agentUp = async () => {
      for (let i = 0; i < 200; i++) {
        const kids = childrenOf(child.pid!);
        if (kids.length) return kids;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the agent never started');
    };
    const agents = await agentUp();
    await new Promise((r) => setTimeout(r, 300));
    const sent = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.ok(Date.now() - sent < 2000, `stopped in ${Date.now() - sent} ms`);
    assert.equal(code, 130, stderr);
    await new Promise((r) => setTimeout(r, 200));
    // Gone, or a zombie waiting to be reaped (a container's PID 1 may never reap it): not running.
    const state = (pid: number) => (existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] : 'gone');
    for (const pid of agents) assert.match(state(pid)!, /^(gone|Z|X)$/, `agent ${pid} still runs`);
  });

  test('cloud KMS keys are refused naming the two-step flow', async () => {
    for (const k of [
      'awskms:///alias/release',
      'gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k',
      'azurekms://vault.example/key',
      'hashivault://release',
    ]) {
      const r = await seal(['sign-blob', '--key', k, '/etc/hostname']);
      oneLineError(r, /keys \(cloud KMS\) are not supported by seal; sign in two steps: seal generate IMAGE > payload.json, .*seal attach signature/, 2);
    }
    oneLineError(
      await seal(['generate-key-pair', '--kms', 'awskms:///alias/release']),
      /--kms awskms: seal creates keys on PKCS#11 tokens .*seal generate IMAGE.*seal attach signature/,
      2,
    );
  });

  test('the PIN never appears in any output, --verbose included, from a real process', async () => {
    const d = fresh();
    writeFileSync(path.join(d, 'f'), 'x');
    const env = { ...hsm.env, COSIGN_PKCS11_PIN: undefined };
    const runs = [
      await runCli(['sign-blob', '--verbose', '--key', uri('object=release', `&pin-value=${PIN}`), path.join(d, 'f')], { env }),
      await runCli(['sign-blob', '-d', '--key', uri('object=missing', `&pin-value=${PIN}`), path.join(d, 'f')], { env }),
      await runCli(['sign-blob', '-d', '--key', uri('object=release', `&pin-value=${PIN}x`), path.join(d, 'f')], { env }),
      await runCli(['pkcs11-tool', 'list-keys-uris', '-d', '--module-path', hsm.module, '--slot-id', String(slot), '--pin', PIN], { env }),
      await runCli(['sign-blob', '-d', '--key', uri('object=release', `&pin-valu=${PIN}`), path.join(d, 'f')], { env: { ...env, COSIGN_PKCS11_PIN: PIN } }),
    ];
    assert.deepEqual(
      runs.map((r) => r.code),
      [0, 1, 1, 0, 0],
      runs.map((r) => r.stderr).join('\n'),
    );
    assert.match(runs[0]!.stderr, /debug: pkcs11: using ecdsa-p256 key 'release'/);
    for (const out of [...runs.flatMap((r) => [r.stdout, r.stderr]), ...allOutput]) {
      assert.ok(!out.includes(PIN), `the PIN was printed:\n${out}`);
    }
  });
});

describe('the PIN prompt and a missing binding', () => {
  // Under a pseudo-terminal (python3's pty module): the PIN is typed when the prompt shows, and is
  // never echoed. Driver written for this test.
  const DRIVER = String.raw`
import os, pty, select, sys, time
argv, pin = sys.argv[1:-1], sys.argv[-1]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out, typed, end = b'', False, time.time() + 60
while time.time() < end:
    if not typed and b'Enter PIN' in out:
        os.write(fd, pin.encode() + b'\r')
        typed = True
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.WEXITSTATUS(status))
`;

  test('on a terminal the PIN is asked for, not echoed, and the key is used', () => {
    const env = { ...process.env, ...hsm.env, ...SEAL_RUN_ENV, NO_COLOR: '1', COSIGN_PKCS11_PIN: '', SEAL_PKCS11_PIN: '' };
    const r = spawnSync('python3', ['-c', DRIVER, process.execPath, SEAL_BIN, 'public-key', '--key', key, PIN], { env, encoding: 'utf8', timeout: 90_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Enter PIN for key 'release' in PKCS11 token 'seal test': /);
    assert.match(r.stdout, /-----BEGIN PUBLIC KEY-----/);
    assert.ok(!r.stdout.includes(PIN), `the PIN was echoed:\n${r.stdout}`);
    // A wrong PIN typed at the prompt: one line, and still not echoed.
    const w = spawnSync('python3', ['-c', DRIVER, process.execPath, SEAL_BIN, 'public-key', '--key', key, 'typed-wrong'], {
      env,
      encoding: 'utf8',
      timeout: 90_000,
    });
    assert.equal(w.status, 1, w.stdout);
    assert.match(w.stdout, /Error: wrong PIN for PKCS#11 token 'seal test'/);
    assert.ok(!w.stdout.includes('typed-wrong'));
  });

  test('without the pkcs11js binding a pkcs11: key fails with one line saying how to get it', async () => {
    // A copy of seal whose node_modules has everything but pkcs11js.
    const root = path.join(fresh(), 'seal');
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    for (const d of ['bin', 'src']) cpSync(path.join(repo, d), path.join(root, d), { recursive: true });
    cpSync(path.join(repo, 'package.json'), path.join(root, 'package.json'));
    mkdirSync(path.join(root, 'node_modules'));
    for (const name of readdirSync(path.join(repo, 'node_modules'))) {
      if (name !== 'pkcs11js' && name !== '.bin') symlinkSync(path.join(repo, 'node_modules', name), path.join(root, 'node_modules', name));
    }
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'seal.js'), 'sign-blob', '--key', key, '/etc/hostname'], {
      env: { ...process.env, ...hsm.env, ...SEAL_RUN_ENV, COSIGN_PKCS11_PIN: PIN },
      encoding: 'utf8',
      timeout: 60_000,
    });
    oneLineError(
      { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr },
      /PKCS#11 keys need the optional npm package pkcs11js, which is not installed or did not build; install a C\+\+ toolchain .* npm rebuild pkcs11js/,
    );
  });
});
