// verifyBlob (options, env) on a key-signed message-signature bundle: a small file is checked from
// its bytes (node:crypto), a file over 1 MiB from its streamed digest (@noble/curves for ECDSA),
// stdin from the env's stream; both ways refuse a changed file and a signature another key made.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { OpEnv } from '../../../src/ops/op-env.ts';
import { verifyBlob } from '../../../src/ops/verify-blob.ts';
import { SealError } from '../../../src/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-verify-blob-op-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function testEnv(stdin: Uint8Array[] = []): OpEnv & { infos: string[]; progressed: string[] } {
  const infos: string[] = [];
  const progressed: string[] = [];
  return {
    infos,
    progressed,
    log: { info: (m) => void infos.push(m), debug() {}, warn() {} },
    signal: new AbortController().signal,
    vars: { SEAL_TUF_CACHE: path.join(dir, 'no-tuf-cache') },
    interactive: false,
    cwd: dir,
    stdin: (async function* () {
      yield* stdin;
    })(),
    writeStdout: async () => {},
    progress: (label) => {
      progressed.push(label);
      return () => {};
    },
    password: async () => {
      throw new Error('no password expected');
    },
  };
}

const keys = (() => {
  const made = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(dir, 'key.pub'), made.publicKey.export({ type: 'spki', format: 'pem' }));
  return made;
})();
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function bundleFor(data: Uint8Array, privateKey: KeyObject = keys.privateKey): string {
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test' } },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(data).digest('base64') },
      signature: sign('sha256', data, privateKey).toString('base64'),
    },
  });
}

const cases = [
  { name: 'a small file (checked from its bytes)', size: 1000 },
  { name: 'a file over 1 MiB (checked from its digest)', size: (1 << 20) + 1 },
];

for (const c of cases) {
  describe(`verifyBlob --bundle, ${c.name}`, () => {
    const data = Buffer.alloc(c.size, 'x');
    const file = `f${c.size}.bin`;
    writeFileSync(path.join(dir, file), data);
    writeFileSync(path.join(dir, `${file}.bundle`), bundleFor(data));
    writeFileSync(path.join(dir, `${file}.other.bundle`), bundleFor(data, other.privateKey));

    test('verifies, relative paths resolved against env.cwd', async () => {
      const env = testEnv();
      const r = await verifyBlob({ key: 'key.pub', bundle: `${file}.bundle`, target: file }, env);
      assert.equal(r.via, 'bundle');
      assert.deepEqual(env.infos, ['Verified OK']);
      assert.deepEqual(env.progressed, [`Verifying ${file}`]);
    });

    test('refuses the file once changed', async () => {
      const changed = `${file}.changed`;
      const bytes = Buffer.from(data);
      bytes[bytes.length - 1] = 0x79;
      writeFileSync(path.join(dir, changed), bytes);
      await assert.rejects(verifyBlob({ key: 'key.pub', bundle: `${file}.bundle`, target: changed }, testEnv()), (err: SealError) => {
        assert.equal(err.code, 'DIGEST_MISMATCH');
        return true;
      });
    });

    test('refuses a signature made by another key', async () => {
      await assert.rejects(verifyBlob({ key: 'key.pub', bundle: `${file}.other.bundle`, target: file }, testEnv()), (err: SealError) => {
        assert.equal(err.kind, 'verification');
        return true;
      });
    });
  });
}

describe('verifyBlob --bundle, stdin', () => {
  const data = Buffer.from('from stdin\n');
  writeFileSync(path.join(dir, 'stdin.bundle'), bundleFor(data));

  test('reads env.stdin', async () => {
    const r = await verifyBlob({ key: 'key.pub', bundle: 'stdin.bundle', target: '-' }, testEnv([data.subarray(0, 4), data.subarray(4)]));
    assert.equal(r.via, 'bundle');
  });

  test('refuses other content', async () => {
    await assert.rejects(verifyBlob({ key: 'key.pub', bundle: 'stdin.bundle', target: '-' }, testEnv([Buffer.from('other\n')])), /digest does not match/);
  });
});
