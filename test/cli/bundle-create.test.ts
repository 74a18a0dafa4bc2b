// seal bundle create: legacy signing material into a Sigstore bundle that seal's verifiers (and any
// Sigstore client) accept. The keyless case is cosign's real public-good attestation (fixtures:
// its envelope, Fulcio leaf and Rekor bundle) repackaged as a cosign v2 --bundle file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runInProcess } from '../helpers/in-process.ts';

const F = new URL('../fixtures/cosign/', import.meta.url).pathname;
const work = mkdtempSync(path.join(tmpdir(), 'seal-bundle-create-'));
after(() => rmSync(work, { recursive: true, force: true }));
const p = (name: string) => path.join(work, name);
const IDENTITY = ['--certificate-identity', 'cody@soyland.com', '--certificate-oidc-issuer', 'https://github.com/login/oauth'];
const SUBJECT = '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';

function legacyBundle(overrides: Record<string, unknown> = {}): string {
  const envelope = readFileSync(`${F}oci-annotations/att-layer-from-bundle.v2shape.json`);
  const cert = readFileSync(`${F}certs/oci-attestation-fulcio-leaf.crt.pem`);
  const rekorBundle = JSON.parse(readFileSync(`${F}oci-annotations/rekor-bundle-annotation-real.json`, 'utf8'));
  const file = p(`legacy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ base64Signature: envelope.toString('base64'), cert: cert.toString('base64'), rekorBundle, ...overrides }));
  return file;
}

describe('seal bundle create', () => {
  test('a cosign v2 bundle of a keyless attestation becomes a v0.1 bundle that verifies offline by identity', async () => {
    const out = p('att.sigstore.json');
    const r = await runInProcess(['bundle', 'create', '--bundle', legacyBundle(), '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const b = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle+json;version=0.1');
    assert.equal(b.verificationMaterial.tlogEntries[0].kindVersion.kind, 'dsse');
    const v = await runInProcess([
      'verify-blob-attestation',
      '--bundle',
      out,
      ...IDENTITY,
      '--trusted-root',
      `${F}trust/trusted_root_pgi.json`,
      '--digest',
      SUBJECT,
    ]);
    assert.equal(v.code, 0, v.stderr);
    const wrong = await runInProcess([
      'verify-blob-attestation',
      '--bundle',
      out,
      '--certificate-identity',
      'mallory@example.com',
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      '--trusted-root',
      `${F}trust/trusted_root_pgi.json`,
      '--digest',
      SUBJECT,
    ]);
    assert.notEqual(wrong.code, 0);
  });

  test('a tampered signed entry timestamp in the cosign v2 bundle gives a bundle that does not verify', async () => {
    const rb = JSON.parse(readFileSync(`${F}oci-annotations/rekor-bundle-annotation-real.json`, 'utf8'));
    rb.Payload.integratedTime += 1;
    const out = p('forged.sigstore.json');
    assert.equal((await runInProcess(['bundle', 'create', '--bundle', legacyBundle({ rekorBundle: rb }), '--out', out])).code, 0);
    const v = await runInProcess([
      'verify-blob-attestation',
      '--bundle',
      out,
      ...IDENTITY,
      '--trusted-root',
      `${F}trust/trusted_root_pgi.json`,
      '--digest',
      SUBJECT,
    ]);
    assert.equal(v.code, 3, v.stderr);
  });

  test('a key signature made elsewhere (openssl) with --ignore-tlog: a v0.3 bundle that verify-blob --key accepts', async () => {
    const { key, pub } = makeOpensslKeyPair(work, 'k');
    const artifact = p('app.tar');
    writeFileSync(artifact, 'release bytes\n');
    const sig = execFileSync('openssl', ['dgst', '-sha256', '-sign', key, artifact]);
    writeFileSync(p('app.sig'), sig.toString('base64'));
    const r = await runInProcess(['bundle', 'create', '--signature', p('app.sig'), '--key', pub, '--artifact', artifact, '--ignore-tlog']);
    assert.equal(r.code, 0, r.stderr);
    const b = JSON.parse(r.stdout);
    assert.equal(b.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.deepEqual(b.verificationMaterial.tlogEntries, []);
    writeFileSync(p('app.sigstore.json'), r.stdout);
    assert.equal((await runInProcess(['verify-blob', '--key', pub, '--bundle', p('app.sigstore.json'), artifact])).code, 0);
    writeFileSync(p('other.tar'), 'other bytes\n');
    assert.equal((await runInProcess(['verify-blob', '--key', pub, '--bundle', p('app.sigstore.json'), p('other.tar')])).code, 3);
    // re-running overwrites the output, as cosign does
    assert.equal(
      (
        await runInProcess([
          'bundle',
          'create',
          '--signature',
          p('app.sig'),
          '--key',
          pub,
          '--artifact',
          artifact,
          '--ignore-tlog',
          '--out',
          p('app.sigstore.json'),
        ])
      ).code,
      0,
    );
    assert.equal(
      (
        await runInProcess([
          'bundle',
          'create',
          '--signature',
          p('app.sig'),
          '--key',
          pub,
          '--artifact',
          artifact,
          '--ignore-tlog',
          '--out',
          p('app.sigstore.json'),
        ])
      ).code,
      0,
    );
  });

  test('refusals: no log entry without --ignore-tlog, --ignore-tlog dropping one, --sk, no signer, a non-certificate', async () => {
    writeFileSync(p('s.sig'), Buffer.from('x').toString('base64'));
    writeFileSync(p('a.txt'), 'a');
    writeFileSync(p('bad.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const cases: [string[], number, RegExp][] = [
      [
        ['--signature', p('s.sig'), '--certificate', `${F}certs/oci-attestation-fulcio-leaf.crt.pem`, '--artifact', p('a.txt')],
        2,
        /no transparency-log entry.*--ignore-tlog/,
      ],
      [['--bundle', legacyBundle(), '--ignore-tlog'], 2, /carries a transparency-log entry/],
      [['--bundle', legacyBundle(), '--sk'], 2, /PIV/],
      [['--signature', p('s.sig'), '--artifact', p('a.txt'), '--ignore-tlog'], 2, /needs the signer/],
      [['--signature', p('s.sig'), '--certificate', p('bad.pem'), '--artifact', p('a.txt'), '--ignore-tlog'], 1, /not an X\.509 certificate/],
      [['--bundle', p('a.txt')], 1, /a\.txt is not JSON/],
    ];
    for (const [args, code, re] of cases) {
      const r = await runInProcess(['bundle', 'create', ...args]);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });
});
