// The real CLI on garbage: a documented exit code, exactly one `Error:` line (the last one), no
// stack trace. Garbage comes from the fuzz PRNG (SEAL_FUZZ_SEED picks other garbage); the image
// cases corrupt a signed OCI layout's index.json, manifests and .sig layers (stored under their
// real digests, so it is the parsers behind the digest checks that are exercised).
import assert from 'node:assert/strict';
import { createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { sha256Digest } from '../../src/oci/digest.ts';
import { makeImageLayout } from '../harness/index.ts';
import { workspace } from '../helpers/workspace.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';
import { BASE_SEED, Rng, caseSeed, mutateBytes, mutateDocument } from './fuzz.ts';

/** docs/exit-codes.md, without 0 (garbage never verifies) and 130. */
const DOCUMENTED = new Set([1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14]);
const REF_NAME = 'org.opencontainers.image.ref.name';

function assertCleanFailure(r: CliResult, what: string): void {
  const context = `${what} (SEAL_FUZZ_SEED=${BASE_SEED}): exit ${r.code}\n${r.stderr}`;
  assert.ok(DOCUMENTED.has(r.code), `undocumented exit code: ${context}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('Error:')).length, 1, `not one Error: line: ${context}`);
  assert.ok(lines.at(-1)!.startsWith('Error:'), `the error is not the last line: ${context}`);
  assert.doesNotMatch(
    r.stderr,
    /\n\s+at |TypeError|ReferenceError|SyntaxError|Cannot read properties|is not a function|is not iterable|\[object Object\]|\bundefined\b/,
    `a crash: ${context}`,
  );
}

const { dir: work, key, pub } = await workspace('seal-fuzz-cli-', ['k']);
let blob: string;
let sig: string;
let layout: string;
let signedTag: string;
const rng = (name: string) => new Rng(caseSeed(BASE_SEED, `cli:${name}`, 0));

before(async () => {
  blob = path.join(work, 'blob.txt');
  await writeFile(blob, 'fuzz me\n');
  sig = path.join(work, 'blob.sig');
  // What sign-blob writes (base64 of the DER ECDSA signature), made here to save a process.
  await writeFile(sig, cryptoSign('sha256', Buffer.from('fuzz me\n'), createPrivateKey(await readFile(key))).toString('base64'));
  layout = (await makeImageLayout(path.join(work, 'img'))).dir;
  const signed = await runCli(['sign', '--key', key, `oci:${layout}:latest`]);
  assert.equal(signed.code, 0, signed.stderr);
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  signedTag = index.manifests.map((m) => m.annotations?.[REF_NAME]).find((t) => t?.endsWith('.sig'))!;
  assert.ok(signedTag, 'sign wrote a .sig tag');
});

const file = async (name: string, content: string | Uint8Array) => {
  const p = path.join(work, name);
  await writeFile(p, content);
  return p;
};

describe('fuzz: the CLI on garbage files', () => {
  it('verify-blob: garbage signature file, garbage key', async () => {
    const r = rng('verify-blob');
    const sigBytes = await readFile(sig);
    const badSig = await file('bad.sig', mutateBytes(r, sigBytes));
    const keyText = await readFile(pub);
    const badKey = await file('bad.pub', mutateBytes(r, keyText));
    const results = await Promise.all([
      runCli(['verify-blob', '--key', pub, '--signature', badSig, blob]),
      runCli(['verify-blob', '--key', badKey, '--signature', sig, blob]),
    ]);
    results.forEach((x, i) => assertCleanFailure(x, `verify-blob case ${i}`));
  });

  it('verify-blob-attestation: a mutated bundle', async () => {
    const r = rng('verify-blob-attestation');
    const bundleLike = JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', payload: 'e30=', signatures: [{ sig: 'MEUCIQ==' }] },
      verificationMaterial: { publicKey: { hint: 'x' } },
    });
    const b = await file('b.json', mutateDocument(r, bundleLike, []));
    assertCleanFailure(await runCli(['verify-blob-attestation', '--key', pub, '--bundle', b, blob]), 'verify-blob-attestation');
  });

  it('import-key-pair and public-key: garbage PEM', async () => {
    const r = rng('keys');
    const pem = await readFile(key);
    const bad = await file('bad.pem', mutateBytes(r, pem));
    const env = { COSIGN_PASSWORD: '', SEAL_PASSWORD: undefined };
    const results = await Promise.all([
      runCli(['import-key-pair', '--key', bad, '--output-key-prefix', path.join(work, 'imported')], { env }),
      runCli(['public-key', '--key', bad], { env }),
    ]);
    results.forEach((x, i) => assertCleanFailure(x, `keys case ${i}`));
  });
});

describe('fuzz: verify on a corrupted OCI layout', () => {
  /** A copy of the signed layout, changed by `corrupt`, verified. */
  async function verifyCorrupted(name: string, corrupt: (dir: string, index: Index) => Promise<void>): Promise<CliResult> {
    const dir = path.join(work, `corrupt-${name}`);
    await cp(layout, dir, { recursive: true });
    const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as Index;
    await corrupt(dir, index);
    return runCli(['verify', '--key', pub, `oci:${dir}:latest`]);
  }
  type Index = { manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[] };
  const putBlob = async (dir: string, bytes: string | Uint8Array) => {
    const b = Buffer.from(bytes);
    const digest = sha256Digest(b);
    await writeFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const blobOf = (dir: string, digest: string) => readFile(path.join(dir, 'blobs', 'sha256', digest.slice(7)), 'utf8');
  /** Replaces the manifest behind `tag` with `text` (under its real digest). */
  const retag = async (dir: string, index: Index, tag: string, text: string) => {
    const entry = index.manifests.find((m) => m.annotations?.[REF_NAME] === tag)!;
    Object.assign(entry, await putBlob(dir, text));
    await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
  };
  const sigManifest = async (dir: string, index: Index) => blobOf(dir, index.manifests.find((m) => m.annotations?.[REF_NAME] === signedTag)!.digest);

  it('index.json: garbage bytes, and entries of the wrong types', async () => {
    const r = rng('index.json');
    const results = await Promise.all([
      verifyCorrupted('index-bytes', async (dir, index) => writeFile(path.join(dir, 'index.json'), mutateBytes(r, Buffer.from(JSON.stringify(index))))),
      verifyCorrupted('index-types', async (dir, index) => {
        const manifests = [
          null,
          5,
          'x',
          { digest: {} },
          { annotations: null },
          ...index.manifests.map((m) => (m.annotations?.[REF_NAME] === signedTag ? { ...m, digest: ['sha256:x'] } : m)),
        ];
        await writeFile(path.join(dir, 'index.json'), JSON.stringify({ ...index, manifests }));
      }),
    ]);
    results.forEach((x, i) => assertCleanFailure(x, `index.json case ${i}`));
  });

  it('.sig manifest with layers of the wrong types; .sig layer with a mutated payload', async () => {
    const r = rng('sig-layer');
    const results = await Promise.all([
      verifyCorrupted('sig-layers', async (dir, index) => {
        const m = JSON.parse(await sigManifest(dir, index)) as { layers: unknown[] };
        m.layers = [null, 7, { mediaType: 5, digest: {}, size: 'x' }, { ...(m.layers[0] as object), annotations: { 'dev.cosignproject.cosign/signature': 5 } }];
        await retag(dir, index, signedTag, JSON.stringify(m));
      }),
      verifyCorrupted('sig-payload', async (dir, index) => {
        const m = JSON.parse(await sigManifest(dir, index)) as { layers: { digest: string; size: number }[] };
        const payload = await blobOf(dir, m.layers[0]!.digest);
        Object.assign(m.layers[0]!, await putBlob(dir, mutateDocument(r, payload, [])));
        await retag(dir, index, signedTag, JSON.stringify(m));
      }),
    ]);
    results.forEach((x, i) => assertCleanFailure(x, `.sig case ${i}`));
  });
});
