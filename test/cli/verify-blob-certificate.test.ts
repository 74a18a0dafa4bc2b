// goreleaser's default verification: `cosign verify-blob --certificate X.pem --signature X.sig
// --certificate-identity … --certificate-oidc-issuer … FILE`, the signature made keylessly by
// `sign-blob --output-certificate --output-signature`. seal looks the Rekor entry up by the file's
// digest (Rekor v1 API: index/retrieve, log/entries), as cosign does, and verifies the whole.
// The Rekor search endpoint here answers with the entry the local Sigstore stack logged.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runInProcess } from '../helpers/in-process.ts';

const EMAIL = 'release@example.com';
let stack: SigstoreStack;
let search: http.Server;
let searchUrl: string;
const entries = new Map<string, unknown>(); // uuid → Rekor v1 entry answer
const byHash = new Map<string, string[]>();

before(async () => {
  stack = await startSigstoreStack();
  search = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v1/index/retrieve') {
        const { hash } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { hash: string };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(byHash.get(hash) ?? []));
        return;
      }
      const m = /^\/api\/v1\/log\/entries\/([0-9a-f]+)$/.exec(req.url ?? '');
      const entry = m ? entries.get(m[1]!) : undefined;
      if (!entry) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(entry));
    });
  });
  await new Promise<void>((r) => search.listen(0, '127.0.0.1', r));
  searchUrl = `http://127.0.0.1:${(search.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((r) => search.close(r));
  await stack?.stop();
});

/** What Rekor v1 answers for the entry in a bundle (the reverse of what seal builds). */
function publish(bundle: { verificationMaterial: { tlogEntries: Record<string, any>[] } }, sha256: string): void {
  const e = bundle.verificationMaterial.tlogEntries[0]!;
  const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
  const uuid = 'a'.repeat(16) + hex(e.canonicalizedBody).slice(0, 64).padEnd(64, '0');
  const p = e.inclusionProof;
  entries.set(uuid, {
    [uuid]: {
      body: e.canonicalizedBody,
      integratedTime: Number(e.integratedTime),
      logID: hex(e.logId.keyId),
      logIndex: Number(e.logIndex),
      verification: {
        signedEntryTimestamp: e.inclusionPromise?.signedEntryTimestamp,
        ...(p
          ? {
              inclusionProof: {
                logIndex: Number(p.logIndex ?? 0),
                rootHash: hex(p.rootHash),
                treeSize: Number(p.treeSize),
                hashes: (p.hashes ?? []).map(hex),
                checkpoint: p.checkpoint?.envelope,
              },
            }
          : {}),
      },
    },
  });
  byHash.set(`sha256:${sha256}`, [uuid]);
}

test('verify-blob --certificate --signature (goreleaser): the Rekor entry is found by digest and the whole is verified', async () => {
  const file = path.join(stack.dir, 'checksums.txt');
  await writeFile(file, 'abc  release.tar.gz\n');
  const [bundle, cert, sig] = ['checksums.txt.sigstore.json', 'checksums.txt.pem', 'checksums.txt.sig'].map((f) => path.join(stack.dir, f));
  const s = await runInProcess([
    'sign-blob',
    '--identity-token',
    stack.mintToken(EMAIL),
    '--fulcio-url',
    stack.fulcioUrl,
    '--rekor-url',
    stack.rekorUrl,
    '--yes',
    '--bundle',
    bundle,
    '--output-certificate',
    cert,
    '--output-signature',
    sig,
    file,
  ]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(await readFile(cert, 'utf8'), /^-----BEGIN CERTIFICATE-----\n/);
  const json = JSON.parse(await readFile(bundle, 'utf8'));
  const { createHash } = await import('node:crypto');
  publish(
    json,
    createHash('sha256')
      .update(await readFile(file))
      .digest('hex'),
  );
  // goreleaser writes the certificate base64-encoded; cosign and seal read both.
  const b64cert = path.join(stack.dir, 'checksums.txt.pem.b64');
  await writeFile(b64cert, Buffer.from(await readFile(cert)).toString('base64'));
  const trust = ['--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath, '--rekor-url', searchUrl];
  for (const c of [cert, b64cert]) {
    const v = await runInProcess(['verify-blob', '--certificate', c, '--signature', sig, '--certificate-identity', EMAIL, ...trust, file]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /Verified OK/);
  }
  const wrongId = await runInProcess([
    'verify-blob',
    '--certificate',
    cert,
    '--signature',
    sig,
    '--certificate-identity',
    'mallory@example.com',
    ...trust,
    file,
  ]);
  assert.notEqual(wrongId.code, 0);
  await writeFile(path.join(stack.dir, 'other.txt'), 'other');
  const other = await runInProcess([
    'verify-blob',
    '--certificate',
    cert,
    '--signature',
    sig,
    '--certificate-identity',
    EMAIL,
    ...trust,
    path.join(stack.dir, 'other.txt'),
  ]);
  assert.equal(other.code, 3, other.stderr);
  assert.match(other.stderr, /no entry for this signature and certificate/);
  // No network: one line saying so, exit 4 (cosign also fails there).
  const offline = await runInProcess([
    'verify-blob',
    '--certificate',
    cert,
    '--signature',
    sig,
    '--certificate-identity',
    EMAIL,
    '--certificate-oidc-issuer',
    stack.issuer,
    '--trusted-root',
    stack.trustedRootPath,
    '--rekor-url',
    'http://127.0.0.1:1',
    file,
  ]);
  assert.equal(offline.code, 4, offline.stderr);
  assert.match(offline.stderr, /cannot reach Rekor/);
});
