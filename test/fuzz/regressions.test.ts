// One test per crash the fuzzers found, with the input that found it (shrunk by hand).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadPolicy } from '../../src/scan/policy.ts';
import { parseEncryptedKey } from '../../src/crypto/encrypted-key.ts';
import { parsePrivateKey, parsePublicKey } from '../../src/crypto/keys.ts';
import { SealError } from '../../src/errors.ts';
import { silentLog } from '../../src/log.ts';
import { sha256Digest } from '../../src/oci/digest.ts';
import { LayoutStore } from '../../src/oci/layout.ts';
import { parseReference, type LayoutReference } from '../../src/oci/reference.ts';
import { fallbackEntries } from '../../src/oci/referrers.ts';
import { errorFor, parseErrorBody } from '../../src/oci/registry/errors.ts';
import { fetchToken } from '../../src/oci/registry/token.ts';
import { layersOf, parseImageManifest } from '../../src/oci/manifest.ts';
import { fakeTransport } from '../unit/oci/registry/fake.ts';
import { badError } from './fuzz.ts';

/** Throws a SealError the fuzz suite accepts (one line, no undefined/[object Object]); returns it. */
async function clean(fn: () => unknown, re?: RegExp): Promise<SealError> {
  try {
    await fn();
  } catch (err) {
    assert.equal(badError(err), undefined, String((err as Error).stack));
    if (re) assert.match((err as Error).message, re);
    return err as SealError;
  }
  assert.fail('did not throw');
}

describe('fuzz regressions: references and registry answers', () => {
  it('a reference with a line break is quoted with escapes, on one line', async () => {
    const e = await clean(() => parseReference('d\r\ni'), /image reference "d\\r\\ni" contains white space/);
    assert.equal(e.kind, 'usage');
  });
  it('registry error bodies with CR or newlines in codes, messages or status text stay one line (first line of a text body)', async () => {
    const ctx = { action: 'reading manifest latest', name: 'r/app', credentialsUsed: false };
    const text = '{"erro\r\r\r"code":"MANIFEST';
    await clean(() => {
      throw errorFor(412, 'Status', parseErrorBody(text), text, ctx);
    }, /412 Status: \{"erro$/);
    const json = '{"errors":[{"code":"DENIED\\n","message":"line one\\nline two"}]}';
    await clean(() => {
      throw errorFor(403, 'Forbidden\r\n', parseErrorBody(json), json, ctx);
    }, /403 Forbidden: DENIED: line one line two$/);
  });
  it('token answers: null, a non-string token, an endless lifetime, a CR in a refusal', async () => {
    const req = { realm: 'https://auth.test/token', scopes: ['repository:a:pull'], registry: 'r.test' };
    const answer = (status: number, body: string) =>
      fetchToken(
        fakeTransport(() => ({ status, body })),
        req,
        () => 0,
      );
    await clean(() => answer(200, 'null'), /answered with JSON that is not an object/);
    await clean(() => answer(200, '{"token":{},"access_token":["x"]}'), /answered without a token/);
    const t = await answer(200, '{"access_token":"xyz","expires_in":1e308}');
    assert.equal(t.token, 'xyz');
    assert.equal(t.expiresAt, 24 * 3600 * 1000);
    await clean(() => answer(500, 'broken\rproxy\nmore'), /answered 500: broken$/);
    // More than 1 MiB: refused by the token code itself, whatever the transport's default error.
    await clean(() => answer(200, JSON.stringify({ token: 'x'.repeat(2 * 1024 * 1024) })), /answered with more than 1048576 bytes/);
  });
});

describe('fuzz regressions: policies', () => {
  it('a JSON policy whose parse error quotes a CR stays one line', async () => {
    const e = await clean(() => loadPolicy('# m\r\r\r\rt', 'policy.json'), /^policy\.json: not valid JSON: Unexpected token '#', "# m t" is not valid JSON$/);
    assert.equal(e.code, 'POLICY_INVALID');
  });
});

describe('fuzz regressions: keys', () => {
  const noPassword = () => Promise.reject(new SealError('input', 'no password'));
  it('a BEGIN line with text after the dashes is malformed PEM, not a TypeError', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\u0000\u0000\u00004CAQAw\n-----END PRIVATE KEY-----\n';
    await clean(() => parsePrivateKey(Buffer.from(pem), 'k.pem', noPassword), /malformed PEM in k\.pem: the BEGIN PRIVATE KEY line has other text on it/);
    await clean(() => parsePublicKey(Buffer.from(pem.replace(/PRIVATE/g, 'PUBLIC')), 'k.pub'), /malformed PEM in k\.pub/);
  });
  it('PEM labels that are Object.prototype names are not key types', async () => {
    for (const label of ['constructor', 'toString', '__proto__']) {
      const pem = `-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`;
      await clean(() => parsePrivateKey(Buffer.from(pem), 'k.pem', noPassword), /not a private key/);
      await clean(() => parsePublicKey(Buffer.from(pem), 'k.pub'), /not a public key/);
    }
  });
  it('scrypt parameters of the wrong types are shown as JSON', async () => {
    const wrap = (doc: unknown) =>
      `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${Buffer.from(JSON.stringify(doc)).toString('base64')}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
    const base = { kdf: { name: 'scrypt', salt: 'AAAA' }, cipher: { name: 'nacl/secretbox', nonce: 'AAAA' }, ciphertext: 'AAAA' };
    await clean(() => parseEncryptedKey(wrap({ ...base, kdf: { ...base.kdf, params: { N: { kdf: 1 }, r: 8 } } }), 'k'), /N=\{"kdf":1\} r=8 p=null$/);
    await clean(() => parseEncryptedKey(wrap({ ...base, kdf: { ...base.kdf, params: [] } }), 'k'), /N=null r=null p=null$/);
    await clean(
      () => parseEncryptedKey(wrap({ ...base, kdf: { ...base.kdf, params: { N: 32768, r: '\n', p: 2 ** 31 } } }), 'k'),
      /N=32768 r="\\n" p=2147483648$/,
    );
    await clean(() => parseEncryptedKey(wrap({ ...base, kdf: { ...base.kdf, name: 'x'.repeat(100) } }), 'k'), /unknown kdf name "x{39}…$/);
  });
});

describe('fuzz regressions: stored manifests and layouts', () => {
  const doc = (json: unknown, mediaType = 'application/vnd.oci.image.index.v1+json') => {
    const bytes = new Uint8Array(Buffer.from(JSON.stringify(json)));
    return { digest: sha256Digest(bytes), mediaType, bytes };
  };
  const good = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + 'a'.repeat(64), size: 1 };

  it('fallback-index entries that are not descriptors are skipped (artifactType -1e308 crashed readBundles)', () => {
    const entries = fallbackEntries(doc({ manifests: [{ ...good, artifactType: -1e308 }, null, 5, { ...good, annotations: { a: 1 } }, good] }));
    assert.deepEqual(entries, [good]);
    assert.deepEqual(fallbackEntries(doc(null)), []);
  });
  it('layers that are not descriptors are skipped by layersOf and refused by parseImageManifest', async () => {
    const m = doc({ schemaVersion: 2, layers: [null, good, { mediaType: 5 }] }, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(layersOf(m), [good]);
    const e = await clean(() => parseImageManifest(m), /is not an image manifest: layers\[0\] is not a descriptor/);
    assert.equal(e.code, 'BAD_MANIFEST');
    await clean(() => parseImageManifest(doc({ layers: [good], subject: 'sha256:x' })), /subject is not a descriptor/);
    await clean(() => parseImageManifest({ ...m, bytes: new Uint8Array([0x7b]) }), /not JSON/);
  });

  describe('index.json entries of any type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seal-fuzz-regress-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const store = () => LayoutStore.open(parseReference(`oci:${dir}`) as LayoutReference, { env: {}, log: silentLog });

    it('null, numbers and null annotations are ignored; a tag whose digest is not a string is one line', async () => {
      const s = await store();
      await s.init();
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: good.mediaType, config: good, layers: [] }));
      const { digest } = await s.putManifest(manifest, good.mediaType, { tag: 'latest' });
      const tagged = { mediaType: good.mediaType, digest, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } };
      const broken = { mediaType: good.mediaType, digest: {}, size: 1, annotations: { 'org.opencontainers.image.ref.name': 'bad' } };
      writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [null, 5, { annotations: null }, tagged, broken] }));
      assert.deepEqual(await s.listTags(), ['latest', 'bad']);
      assert.equal((await s.getManifest('latest'))?.digest, digest);
      assert.equal((await s.getManifest(digest))?.digest, digest);
      await clean(() => s.getManifest('bad'), /index\.json is damaged: the entry for bad has no digest string/);
      // Writers keep what they do not understand and still work.
      await s.deleteTag('bad');
      assert.deepEqual(await s.listTags(), ['latest']);
    });
    it('index.json that is JSON null, and a manifest whose mediaType is not a string', async () => {
      const s = await store();
      writeFileSync(join(dir, 'index.json'), 'null');
      await clean(() => s.listTags(), /is not a valid OCI index: no manifests array$/);
      writeFileSync(join(dir, 'index.json'), '{"":\n\n\nencontaine');
      await clean(() => s.listTags(), /is not a valid OCI index: Unexpected token .e., "\{"": encontaine" is not valid JSON$/);
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 5, layers: [] }));
      const { digest } = await s.putBlob(bytes);
      writeFileSync(
        join(dir, 'index.json'),
        JSON.stringify({ manifests: [{ mediaType: good.mediaType, digest, size: bytes.length, annotations: { 'org.opencontainers.image.ref.name': 't' } }] }),
      );
      assert.equal((await s.getManifest('t'))?.mediaType, good.mediaType);
      await clean(() => s.getManifest('sha256:' + 'b'.repeat(63) + '\n'), /unsupported digest "sha256:b{63}\\n"/);
    });
  });
});

describe('fuzz: policies, seed 1587671074 case 8 (issue 9 item 5)', () => {
  it('evaluatePolicy with a statement that is not one (what the fuzzer fed without fixtures) judges, never throws a TypeError', async () => {
    const { evaluatePolicy } = await import('../../src/scan/policy.ts');
    const policy = loadPolicy('rules:\n  - name: r\n    predicateType: vuln\n', 'policy.yaml');
    const result = evaluatePolicy(policy, [undefined, null, {}, { predicateType: 5 }] as never, { now: new Date('2026-06-01T00:00:00Z') });
    assert.equal(result.ok, false);
    assert.match(result.results[0]!.message, /no verified attestation of type/);
  });

  it('the reproduce command the fuzz report prints runs on Node 22 and runs exactly that case', async () => {
    const { spawnSync } = await import('node:child_process');
    const { REPO } = await import('./seeds.ts');
    const { reproduceCommand } = await import('./fuzz.ts');
    const cmd = reproduceCommand('policy', 8, 'test/fuzz/documents.test.ts');
    assert.match(cmd, /^SEAL_FUZZ_SEED=\d+ SEAL_FUZZ_TARGET=policy SEAL_FUZZ_CASE=8 node --test --test-concurrency=1 test\/fuzz\/documents\.test\.ts$/);
    const [assignments, command] = [cmd.split(' node ')[0]!, cmd.slice(cmd.indexOf(' node ') + 6)];
    const env = Object.fromEntries(assignments.split(' ').map((a) => a.split('=') as [string, string]));
    const r = spawnSync(process.execPath, command.split(' '), {
      cwd: REPO,
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, ...env, SEAL_FUZZ_SEED: '1587671074' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass [1-9]/);
    assert.match(r.stdout, /# fail 0/);
  });
});
