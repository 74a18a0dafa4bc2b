// Keyless signing end to end: the real CLI signs against a local Sigstore stack (Fulcio, Rekor v1,
// TSA, OIDC tokens; test/harness/sigstore-stack.ts) and verifies offline with the stack's
// trusted_root.json.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { noStack } from '../helpers/stderr.ts';

const EMAIL = 'alice@example.com';
let stack: SigstoreStack;
let file: string;
let other: string;
let token: string;
const timings: number[] = [];

// No token may leak in from the environment running the tests.
const seal = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(args, { env: { SIGSTORE_ID_TOKEN: undefined, SEAL_PASSWORD: undefined, ...env }, timeoutMs: 60_000 });

const services = () => ['--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl];
const verifyBlob = (bundle: string, artifact: string, identity = EMAIL, issuer = stack.issuer) =>
  seal([
    'verify-blob',
    '--bundle',
    bundle,
    '--certificate-identity',
    identity,
    '--certificate-oidc-issuer',
    issuer,
    '--trusted-root',
    stack.trustedRootPath,
    artifact,
  ]);
const noLeak = (r: { stdout: string; stderr: string }, secret: string) => {
  assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'the identity token was printed');
};

before(async () => {
  stack = await startSigstoreStack();
  file = path.join(stack.dir, 'release.tar.gz');
  other = path.join(stack.dir, 'other.txt');
  await writeFile(file, 'release bytes\n'.repeat(1000));
  await writeFile(other, 'something else\n');
  token = stack.mintToken(EMAIL);
});
after(async (t) => {
  if (timings.length) {
    const sorted = [...timings].sort((a, b) => a - b);
    if ('diagnostic' in t) t.diagnostic(`keyless sign (whole CLI process): median ${sorted[sorted.length >> 1]} ms over ${sorted.length} runs`);
  }
  await stack?.stop();
});

async function timed<T>(f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await f();
  timings.push(Date.now() - t0);
  return r;
}

describe('seal sign-blob, keyless', () => {
  let bundlePath: string;
  before(async () => {
    bundlePath = path.join(stack.dir, 'blob.sigstore.json');
    const r = await timed(() =>
      seal(['sign-blob', '--identity-token', token, ...services(), '--timestamp-server-url', stack.tsaUrl, '--bundle', bundlePath, file]),
    );
    assert.equal(r.code, 0, r.stderr);
    noLeak(r, token);
    // A custom Rekor is not the public log: no consent notice.
    assert.doesNotMatch(r.stderr, /public Rekor/);
  });

  test('the bundle holds a certificate, a tlog entry with an inclusion promise, and a timestamp', async () => {
    const b = JSON.parse(await readFile(bundlePath, 'utf8'));
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.ok(b.verificationMaterial.certificate?.rawBytes, 'no certificate');
    assert.equal(b.verificationMaterial.publicKey, undefined);
    assert.equal(b.verificationMaterial.x509CertificateChain, undefined);
    const [entry] = b.verificationMaterial.tlogEntries;
    assert.equal(entry.kindVersion.kind, 'hashedrekord');
    assert.ok(entry.inclusionPromise?.signedEntryTimestamp, 'no inclusion promise');
    assert.ok(entry.inclusionProof?.checkpoint, 'no inclusion proof');
    assert.equal(b.verificationMaterial.timestampVerificationData.rfc3161Timestamps.length, 1);
    assert.ok(b.messageSignature.signature);
    assert.ok(!JSON.stringify(b).includes(token), 'the token is in the bundle');
  });

  test('verify-blob with the signer identity and issuer exits 0', async () => {
    const r = await verifyBlob(bundlePath, file);
    assert.equal(r.code, 0, r.stderr);
  });

  test('another identity exits 3', async () => {
    const r = await verifyBlob(bundlePath, file, 'mallory@example.com');
    assert.equal(r.code, 3, r.stderr);
  });

  test('another issuer exits 3', async () => {
    const r = await verifyBlob(bundlePath, file, EMAIL, 'https://accounts.google.com');
    assert.equal(r.code, 3, r.stderr);
  });

  test('another file exits 3', async () => {
    const r = await verifyBlob(bundlePath, other);
    assert.equal(r.code, 3, r.stderr);
  });

  test('a tampered tlog entry body exits 3', async () => {
    const b = JSON.parse(await readFile(bundlePath, 'utf8'));
    const body = JSON.parse(Buffer.from(b.verificationMaterial.tlogEntries[0].canonicalizedBody, 'base64').toString());
    body.spec.data.hash.value = '0'.repeat(64);
    b.verificationMaterial.tlogEntries[0].canonicalizedBody = Buffer.from(JSON.stringify(body)).toString('base64');
    const tampered = path.join(stack.dir, 'tampered.sigstore.json');
    await writeFile(tampered, JSON.stringify(b));
    const r = await verifyBlob(tampered, file);
    assert.equal(r.code, 3, r.stderr);
  });

  test('the token from SIGSTORE_ID_TOKEN, no TSA: verifies (the Rekor entry is the timestamp)', async () => {
    const out = path.join(stack.dir, 'env.sigstore.json');
    const r = await timed(() => seal(['sign-blob', ...services(), '--bundle', out, file], { SIGSTORE_ID_TOKEN: token }));
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0, 0);
    assert.equal((await verifyBlob(out, file)).code, 0);
  });

  test('stdin (-) is signed keylessly too', async () => {
    const out = path.join(stack.dir, 'stdin.sigstore.json');
    const r = await runCli(['sign-blob', '--identity-token', token, ...services(), '--bundle', out, '-'], {
      env: { SIGSTORE_ID_TOKEN: undefined },
      input: await readFile(file),
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await verifyBlob(out, file)).code, 0);
  });

  test('a missing file fails (exit 1) before Fulcio is asked', async () => {
    const before = stack.requests['/api/v2/signingCert'] ?? 0;
    const r = await seal(['sign-blob', '--identity-token', token, ...services(), '--bundle', path.join(stack.dir, 'm.json'), path.join(stack.dir, 'nope')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /not found/);
    assert.equal(stack.requests['/api/v2/signingCert'] ?? 0, before);
  });

  test('--identity-token naming a file, and --output-signature', async () => {
    const tokenFile = path.join(stack.dir, 'token.jwt');
    await writeFile(tokenFile, `${stack.mintToken('bob@example.com')}\n`);
    const out = path.join(stack.dir, 'file.sigstore.json');
    const sig = path.join(stack.dir, 'file.sig');
    const r = await seal(['sign-blob', '--identity-token', tokenFile, ...services(), '--bundle', out, '--output-signature', sig, file]);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(await readFile(sig, 'utf8'), b.messageSignature.signature);
    assert.equal((await verifyBlob(out, file, 'bob@example.com')).code, 0);
    assert.equal((await verifyBlob(out, file)).code, 3);
  });
});

describe('seal sign, keyless, on an OCI layout', () => {
  let ref: string;
  before(async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'img'));
    ref = `oci:${img.dir}:latest`;
  });

  const verify = (identity: string) =>
    seal(['verify', '--certificate-identity', identity, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath, ref]);

  test('--format bundle signs; verify with the identity exits 0, another identity 12', async () => {
    const s = await timed(() => seal(['sign', '--identity-token', token, ...services(), '--timestamp-server-url', stack.tsaUrl, '--format', 'bundle', ref]));
    assert.equal(s.code, 0, s.stderr);
    noLeak(s, token);
    const v = await verify(EMAIL);
    assert.equal(v.code, 0, v.stderr);
    const w = await verify('mallory@example.com');
    assert.equal(w.code, 12, w.stderr);
  });

  test('no key and no token: exit 2', async () => {
    const r = await seal(['sign', '--format', 'bundle', ref]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /needs --key, or an identity token/);
  });
});

describe('seal attest, keyless, on an OCI layout', () => {
  test('a vuln attestation in bundle format verifies by identity and passes the gate; another identity is ignored', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'attest-image'));
    const ref = `oci:${img.dir}:latest`;
    const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
    const a = await seal(['attest', '--identity-token', token, ...services(), '--format', 'bundle', '--type', 'vuln', '--predicate', scan, ref]);
    assert.equal(a.code, 0, a.stderr);
    noLeak(a, token);
    const trust = ['--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath];
    const ok = await seal(['verify-attestation', '--certificate-identity', EMAIL, ...trust, '--type', 'vuln', '--max-severity', 'high', ref]);
    assert.equal(ok.code, 0, ok.stderr);
    const envelope = JSON.parse(ok.stdout.trim().split('\n')[0]!) as { payload: string };
    assert.equal(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')).predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    const other = await seal(['verify-attestation', '--certificate-identity', 'mallory@example.com', ...trust, ref]);
    assert.equal(other.code, 12, other.stderr);
    // The legacy format, keyless: test/integration/keyless-legacy.test.ts.
  });

  test('verify-attestation --verbose lists the RFC 3161 timestamps and log times used, as verify and verify-blob do (qa)', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'attest-image-tsa'));
    const ref = `oci:${img.dir}:latest`;
    const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
    const a = await seal([
      'attest',
      '--identity-token',
      token,
      ...services(),
      '--timestamp-server-url',
      stack.tsaUrl,
      '--format',
      'bundle',
      '--type',
      'vuln',
      '--predicate',
      scan,
      ref,
    ]);
    assert.equal(a.code, 0, a.stderr);
    const trust = ['--certificate-identity', EMAIL, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath];
    const v = await seal(['verify-attestation', '--verbose', ...trust, '--type', 'vuln', ref]);
    assert.equal(v.code, 0, v.stderr);
    const at = `${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sha256:[0-9a-f]{64}: `;
    assert.match(v.stderr, new RegExp(`${at}RFC 3161 timestamp 0 \\S+Z: used`));
    assert.match(v.stderr, new RegExp(`${at}tlog entry 0 integrated time \\S+Z: used`));
    // Without --verbose, none of it.
    const quiet = await seal(['verify-attestation', ...trust, '--type', 'vuln', ref]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stderr, /RFC 3161 timestamp/);
  });
});

describe('keyless errors', () => {
  test('sign-blob with no key and no token: exit 2 with a clear message', async () => {
    const r = await seal(['sign-blob', '--bundle', path.join(stack.dir, 'x.json'), file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sign-blob needs --key, or an identity token/);
    noStack(r.stderr);
  });

  test('keyless sign-blob without --bundle: exit 2', async () => {
    const r = await seal(['sign-blob', '--identity-token', token, ...services(), file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /needs --bundle/);
    noLeak(r, token);
  });

  test('a garbage token: exit 1, a clear message, no stack trace, token not echoed', async () => {
    const garbage = 'garbage.token.value-Zq9x';
    const r = await seal(['sign-blob', '--identity-token', garbage, ...services(), '--bundle', path.join(stack.dir, 'g.json'), file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /identity token is not a valid JWT/);
    noStack(r.stderr);
    noLeak(r, garbage);
    noLeak(r, 'Zq9x');
  });

  test('--verbose prints the cause chain but still not the token', async () => {
    const garbage = 'garbage.token.value-Zq9x';
    const r = await seal(['sign-blob', '--verbose', '--identity-token', garbage, ...services(), '--bundle', path.join(stack.dir, 'gv.json'), file]);
    assert.equal(r.code, 1, r.stderr);
    noLeak(r, 'Zq9x');
    const good = stack.mintToken(EMAIL);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 9).toString('base64url')}`;
    const f = await seal(['sign-blob', '--verbose', '--identity-token', forged, ...services(), '--bundle', path.join(stack.dir, 'fv.json'), file]);
    assert.equal(f.code, 1, f.stderr);
    assert.match(f.stderr, /caused by/);
    noLeak(f, forged);
  });

  test('the public-good Rekor gets a one-line notice on stderr; --yes hides it', async () => {
    // Fulcio (local) refuses the forged token, so nothing ever reaches the public Rekor.
    const good = stack.mintToken(EMAIL);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 8).toString('base64url')}`;
    const args = ['sign-blob', '--identity-token', forged, '--fulcio-url', stack.fulcioUrl, '--bundle', path.join(stack.dir, 'p.json'), file];
    const r = await seal(args);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => /public Rekor transparency log/.test(l)).length, 1, r.stderr);
    const y = await seal([...args, '--yes']);
    assert.equal(y.code, 1, y.stderr);
    assert.doesNotMatch(y.stderr, /public Rekor/);
  });

  test('a token neither JWT nor file: exit 1, not echoed', async () => {
    const r = await seal(['sign-blob', '--identity-token', 'not a token Zq9x', ...services(), '--bundle', path.join(stack.dir, 'g2.json'), file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /neither a JWT nor a readable file/);
    noLeak(r, 'Zq9x');
  });

  test('a forged token (bad signature): Fulcio refuses it, exit 1, nothing logged, token not echoed', async () => {
    const good = stack.mintToken(EMAIL);
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${Buffer.alloc(64, 7).toString('base64url')}`;
    const rekorBefore = stack.requests['/api/v1/log/entries'] ?? 0;
    const out = path.join(stack.dir, 'forged.json');
    const r = await seal(['sign-blob', '--identity-token', forged, ...services(), '--bundle', out, file]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Fulcio at http:\/\/127\.0\.0\.1:\d+ refused the request: \(401\)/);
    noStack(r.stderr);
    noLeak(r, forged);
    assert.equal(stack.requests['/api/v1/log/entries'] ?? 0, rekorBefore);
    await assert.rejects(readFile(out), 'a bundle was written');
  });

  test('an unreachable Fulcio: exit 4', async () => {
    const r = await seal([
      'sign-blob',
      '--identity-token',
      token,
      '--fulcio-url',
      'http://127.0.0.1:9',
      '--rekor-url',
      stack.rekorUrl,
      '--bundle',
      path.join(stack.dir, 'u.json'),
      file,
    ]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /could not reach Fulcio at http:\/\/127\.0\.0\.1:9/);
    noLeak(r, token);
  });
});
