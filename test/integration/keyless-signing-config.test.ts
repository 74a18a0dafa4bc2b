// Keyless signing with its services taken from a signing config, on the local Sigstore stack:
// v1 only, v2 only (blobs, images in the bundle format, attestations; the v2 entry is a
// hashedrekord 0.0.2 with a TSA timestamp, and seal's verifier accepts it), both with validity
// windows, a v2 log without a TSA (refused, nothing written), the legacy format with only v2
// (refused), explicit URLs overriding the config, the config that `seal trusted-root update`
// cached (used by default), and `seal signing-config show`.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeImageLayout } from '../harness/index.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { startTufRepo, type TufRepo } from '../harness/tuf-repo.ts';
import { runInProcess } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';

const EMAIL = 'config@example.com';
const MEDIA = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
let stack: SigstoreStack;
let token: string;
let blob: string;
let predicate: string;
let noCache: string;
const repos: TufRepo[] = [];

const env = (cache = noCache) => ({ SEAL_TUF_CACHE: cache, SEAL_OIDC_TOKEN_FILE: '/nonexistent', SPIFFE_ENDPOINT_SOCKET: '/nonexistent', HOME: stack.dir });
// Everything runs in this process (no Node start-up per command).
const seal = (args: string[], cache?: string) => runInProcess(args, { env: env(cache) });
// Verification runs in this process (no Node start-up each time); signing runs as real processes.
const verify = (args: string[]) => runInProcess(args, { env: { SEAL_TUF_CACHE: noCache } });
const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
const trust = () => ['--certificate-identity', EMAIL, '--certificate-oidc-issuer', stack.issuer, '--trusted-root', stack.trustedRootPath];

interface Svc {
  url: string;
  v?: number;
  start?: string;
  end?: string;
}
const svc = ({ url, v = 1, start = '2020-01-01T00:00:00Z', end }: Svc) => ({
  url,
  majorApiVersion: v,
  validFor: end ? { start, end } : { start },
  operator: 'seal-test',
});
const PAST = '2021-01-01T00:00:00Z';
const FUTURE = '2099-01-01T00:00:00Z';

async function config(name: string, parts: { ca?: Svc[]; tlog?: Svc[]; tsa?: Svc[] }): Promise<string> {
  const file = path.join(stack.dir, `${name}.signing_config.json`);
  await writeFile(
    file,
    JSON.stringify({
      mediaType: MEDIA,
      caUrls: (parts.ca ?? [{ url: stack.fulcioUrl }]).map(svc),
      oidcUrls: [svc({ url: stack.issuer })],
      rekorTlogUrls: (parts.tlog ?? []).map(svc),
      tsaUrls: (parts.tsa ?? []).map(svc),
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
    }),
  );
  return file;
}

type Entry = { kindVersion: { kind: string; version: string } };
async function bundleOf(file: string): Promise<{ tlog: Entry[]; timestamps: number }> {
  const b = JSON.parse(await readFile(file, 'utf8')) as {
    verificationMaterial: { tlogEntries: Entry[]; timestampVerificationData?: { rfc3161Timestamps?: unknown[] } };
  };
  return { tlog: b.verificationMaterial.tlogEntries, timestamps: b.verificationMaterial.timestampVerificationData?.rfc3161Timestamps?.length ?? 0 };
}
const kinds = (tlog: Entry[]) => tlog.map((e) => `${e.kindVersion.kind} ${e.kindVersion.version}`);

let n = 0;
async function signBlob(args: string[], cache?: string): Promise<{ r: CliResult; bundle: string }> {
  const bundle = path.join(stack.dir, `blob-${n++}.sigstore.json`);
  const r = await seal(['sign-blob', '--identity-token', token, '--bundle', bundle, ...args, blob], cache);
  return { r, bundle };
}

before(async () => {
  stack = await startSigstoreStack();
  token = stack.mintToken(EMAIL);
  blob = path.join(stack.dir, 'artifact.bin');
  predicate = path.join(stack.dir, 'predicate.json');
  await writeFile(blob, 'signed with services from a signing config\n');
  await writeFile(predicate, '{"ok":true}');
  noCache = await mkdtemp(path.join(stack.dir, 'no-tuf-cache-'));
});
after(async () => {
  for (const r of repos) await r.stop();
  await stack?.stop();
});

describe('Rekor v1 only', () => {
  test('sign-blob writes a hashedrekord 0.0.1 entry with its promise; verify-blob accepts it', async () => {
    const sc = await config('v1', { tlog: [{ url: stack.rekorUrl }] });
    const { r, bundle } = await signBlob(['--signing-config', sc]);
    ok(r, 'sign-blob');
    const b = await bundleOf(bundle);
    assert.deepEqual(kinds(b.tlog), ['hashedrekord 0.0.1']);
    assert.equal(b.timestamps, 0);
    ok(await verify(['verify-blob', '--bundle', bundle, ...trust(), blob]), 'verify-blob');
  });
});

describe('Rekor v2 only, with a TSA', () => {
  let sc: string;
  before(async () => {
    sc = await config('v2', { tlog: [{ url: stack.rekorV2Url, v: 2 }], tsa: [{ url: `${stack.tsaUrl}/api/v1/timestamp` }] });
  });

  test('sign-blob: a hashedrekord 0.0.2 entry and a TSA timestamp; verified, and refused for another identity', async () => {
    const before = stack.requests['/rekor-v2/api/v2/log/entries'] ?? 0;
    const { r, bundle } = await signBlob(['--signing-config', sc]);
    ok(r, 'sign-blob');
    assert.equal(stack.requests['/rekor-v2/api/v2/log/entries'], before + 1);
    const b = await bundleOf(bundle);
    assert.deepEqual(kinds(b.tlog), ['hashedrekord 0.0.2']);
    assert.equal(b.timestamps, 1);
    ok(await verify(['verify-blob', '--bundle', bundle, ...trust(), blob]), 'verify-blob');
    const other = await verify([
      'verify-blob',
      '--bundle',
      bundle,
      '--certificate-identity',
      'x@example.com',
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
      blob,
    ]);
    assert.equal(other.code, 3, other.stderr);
  });

  test('attest-blob: the DSSE envelope is logged as a hashedrekord 0.0.2 over its PAE and verifies', async () => {
    const bundle = path.join(stack.dir, 'v2-attest-blob.json');
    ok(
      await seal(['attest-blob', '--identity-token', token, '--signing-config', sc, '--predicate', predicate, '--type', 'custom', '--bundle', bundle, blob]),
      'attest-blob',
    );
    assert.deepEqual(kinds((await bundleOf(bundle)).tlog), ['hashedrekord 0.0.2']);
    ok(await verify(['verify-blob-attestation', '--bundle', bundle, '--type', 'custom', ...trust(), blob]), 'verify-blob-attestation');
  });

  test('an image signed and attested in the bundle format verifies; the legacy format is refused with what to do', async () => {
    const img = await makeImageLayout(path.join(stack.dir, 'v2-image'));
    const ref = `oci:${img.dir}:latest`;
    ok(await seal(['sign', '--identity-token', token, '--signing-config', sc, '--format', 'bundle', ref]), 'sign --format bundle');
    ok(
      await seal(['attest', '--identity-token', token, '--signing-config', sc, '--format', 'bundle', '--type', 'custom', '--predicate', predicate, ref]),
      'attest',
    );
    ok(await verify(['verify', ...trust(), ref]), 'verify');
    ok(await verify(['verify-attestation', ...trust(), '--type', 'custom', ref]), 'verify-attestation');
    const legacy = await seal(['sign', '--identity-token', token, '--signing-config', sc, '--format', 'legacy', ref]);
    assert.equal(legacy.code, 1, legacy.stderr);
    assert.match(legacy.stderr, /names only Rekor v2 logs, and the legacy signature format needs a Rekor v1 entry/);
    assert.match(legacy.stderr, /--format bundle/);
  });
});

describe('validity windows', () => {
  test('an expired v2 log and one not yet started leave the v1 log; an expired Fulcio is passed over', async () => {
    const sc = await config('windows', {
      ca: [
        { url: 'http://127.0.0.1:9/expired-fulcio', start: PAST, end: '2022-01-01T00:00:00Z' },
        { url: stack.fulcioUrl, start: '2022-01-01T00:00:00Z' },
      ],
      tlog: [
        { url: 'http://127.0.0.1:9/old-v2', v: 2, start: PAST, end: '2022-01-01T00:00:00Z' },
        { url: 'http://127.0.0.1:9/next-v2', v: 2, start: FUTURE },
        { url: stack.rekorUrl, v: 1, start: PAST },
      ],
      tsa: [{ url: stack.tsaUrl, start: FUTURE }],
    });
    const { r, bundle } = await signBlob(['--signing-config', sc]);
    ok(r, 'sign-blob');
    const b = await bundleOf(bundle);
    assert.deepEqual(kinds(b.tlog), ['hashedrekord 0.0.1']);
    assert.equal(b.timestamps, 0, 'the TSA is not valid yet');
  });

  test('a v2 log valid now wins over the v1 log', async () => {
    const sc = await config('mixed', {
      tlog: [
        { url: stack.rekorUrl, v: 1 },
        { url: stack.rekorV2Url, v: 2, start: PAST },
      ],
      tsa: [{ url: stack.tsaUrl }],
    });
    const { r, bundle } = await signBlob(['--signing-config', sc]);
    ok(r, 'sign-blob');
    assert.deepEqual(kinds((await bundleOf(bundle)).tlog), ['hashedrekord 0.0.2']);
  });
});

describe('refusals and overrides', () => {
  test('Rekor v2 without a TSA valid now: exit 1, the reason and the fix, nothing written', async () => {
    const sc = await config('v2-no-tsa', { tlog: [{ url: stack.rekorV2Url, v: 2 }], tsa: [{ url: stack.tsaUrl, end: '2022-01-01T00:00:00Z', start: PAST }] });
    const fulcioBefore = stack.requests['/api/v2/signingCert'] ?? 0;
    const { r, bundle } = await signBlob(['--signing-config', sc]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /Rekor v2 \(http:\/\/127\.0\.0\.1:\d+\/rekor-v2\) gives no signed timestamp, and .*v2-no-tsa\.signing_config\.json names no timestamp authority valid now/,
    );
    assert.match(r.stderr, /--timestamp-server-url/);
    assert.equal(existsSync(bundle), false);
    assert.equal(stack.requests['/api/v2/signingCert'] ?? 0, fulcioBefore, 'Fulcio was asked before the refusal');
  });

  test('--timestamp-server-url supplies the missing TSA; --rekor-url replaces the v2 log by a v1 log', async () => {
    const sc = await config('v2-no-tsa-2', { tlog: [{ url: stack.rekorV2Url, v: 2 }] });
    const withTsa = await signBlob(['--signing-config', sc, '--timestamp-server-url', stack.tsaUrl]);
    ok(withTsa.r, 'sign-blob --timestamp-server-url');
    assert.equal((await bundleOf(withTsa.bundle)).timestamps, 1);
    const withRekor = await signBlob(['--signing-config', sc, '--rekor-url', stack.rekorUrl]);
    ok(withRekor.r, 'sign-blob --rekor-url');
    assert.deepEqual(kinds((await bundleOf(withRekor.bundle)).tlog), ['hashedrekord 0.0.1']);
  });

  test("--fulcio-url replaces the config's Fulcio", async () => {
    const sc = await config('dead-fulcio', { ca: [{ url: 'http://127.0.0.1:9' }], tlog: [{ url: stack.rekorUrl }] });
    const dead = await signBlob(['--signing-config', sc]);
    assert.equal(dead.r.code, 4, dead.r.stderr);
    assert.match(dead.r.stderr, /could not reach Fulcio at http:\/\/127\.0\.0\.1:9/);
    ok((await signBlob(['--signing-config', sc, '--fulcio-url', stack.fulcioUrl])).r, 'sign-blob --fulcio-url');
  });

  test('a malformed signing config and a missing file are one clear line, exit 1', async () => {
    const bad = path.join(stack.dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ mediaType: MEDIA, rekorTlogConfig: { selector: 'SOME' } }));
    const r = (await signBlob(['--signing-config', bad])).r;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bad\.json is not a usable signing config: rekorTlogConfig\.selector "SOME" is not ALL, ANY or EXACT/);
    const missing = (await signBlob(['--signing-config', path.join(stack.dir, 'nope.json')])).r;
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the signing config .*nope\.json: ENOENT/);
  });
});

describe('the signing config of the TUF cache (--use-signing-config, on by default)', () => {
  let cache: string;
  before(async () => {
    const sc = await config('tuf', { tlog: [{ url: stack.rekorV2Url, v: 2 }], tsa: [{ url: stack.tsaUrl }] });
    const mirror = await startTufRepo({
      targets: { 'trusted_root.json': await readFile(stack.trustedRootPath), 'signing_config.v0.2.json': await readFile(sc) },
    });
    repos.push(mirror);
    cache = await mkdtemp(path.join(stack.dir, 'tuf-cache-'));
    const rootFile = path.join(stack.dir, 'tuf-1.root.json');
    await writeFile(rootFile, mirror.root);
    ok(await seal(['trusted-root', 'update', '--mirror', mirror.url, '--root', rootFile], cache), 'trusted-root update');
  });

  test('signing without service flags uses it; signing-config show says so', async () => {
    const { r, bundle } = await signBlob([], cache);
    ok(r, 'sign-blob');
    assert.deepEqual(kinds((await bundleOf(bundle)).tlog), ['hashedrekord 0.0.2']);
    const show = await seal(['signing-config', 'show'], cache);
    ok(show, 'signing-config show');
    assert.match(show.stdout, /^source  the TUF cache of http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(show.stdout, new RegExp(`^rekor   ${stack.rekorV2Url} \\(v2\\)$`, 'm'));
    assert.match(show.stdout, new RegExp(`^oidc    ${stack.issuer}$`, 'm'));
    const root = await seal(['trusted-root', 'show'], cache);
    ok(root, 'trusted-root show');
    assert.match(root.stdout, new RegExp(`^signing    Fulcio ${stack.fulcioUrl}; Rekor v2 ${stack.rekorV2Url}; TSA ${stack.tsaUrl}$`, 'm'));
  });

  test('--use-signing-config=false, or service URLs, leave it aside', async () => {
    const off = await signBlob(['--use-signing-config=false', '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl], cache);
    ok(off.r, 'sign-blob --use-signing-config=false');
    assert.deepEqual(kinds((await bundleOf(off.bundle)).tlog), ['hashedrekord 0.0.1']);
    const show = await seal(['signing-config', 'show', '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl, '-o', 'json'], cache);
    ok(show, 'show');
    const j = JSON.parse(show.stdout) as { source: string; rekor: { url: string; apiVersion: number; from: string }[]; tsa: unknown[] };
    assert.equal(j.source, "seal's defaults (no signing config)");
    assert.deepEqual(j.rekor, [{ url: stack.rekorUrl, apiVersion: 1, from: '--rekor-url' }]);
    assert.deepEqual(j.tsa, []);
  });

  test('a cached signing config edited on disk is refused, not used', async () => {
    const copy = await mkdtemp(path.join(stack.dir, 'tuf-cache-tampered-'));
    await cp(cache, copy, { recursive: true });
    const [file] = (await readdir(copy, { recursive: true })).filter((f) => f.endsWith(path.join('targets', 'signing_config.v0.2.json')));
    assert.ok(file, 'no cached signing config');
    const doc = JSON.parse(await readFile(path.join(copy, file), 'utf8')) as { caUrls: { url: string }[] };
    doc.caUrls[0]!.url = 'https://fulcio.attacker.example';
    await writeFile(path.join(copy, file), JSON.stringify(doc));
    const fulcioBefore = stack.requests['/api/v2/signingCert'] ?? 0;
    const { r, bundle } = await signBlob([], copy);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /the cached TUF trust in .* does not verify/);
    assert.equal(existsSync(bundle), false);
    assert.equal(stack.requests['/api/v2/signingCert'] ?? 0, fulcioBefore);
  });

  test('--use-signing-config with an empty cache is refused with what to run', async () => {
    const r = await seal(['signing-config', 'show', '--use-signing-config']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /holds no signing config/);
    assert.match(r.stderr, /seal trusted-root update/);
  });
});
