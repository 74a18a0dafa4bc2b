import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SealError, type ErrorKind } from '../../../src/errors.ts';
import { verifyBundle, verifyDsseBundleForDigest } from '../../../src/sigstore/verify-bundle.ts';
import { dsseBundle, messageBundle, sha256Hex, testKey } from './key-bundles.ts';

const testDir = fileURLToPath(new URL('../../', import.meta.url));
const F = `${testDir}fixtures/cosign/`;

const failsWith = (kind: ErrorKind, re: RegExp) => (err: unknown) => {
  assert.ok(err instanceof SealError, `not a SealError: ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  assert.match(err.message, re);
  assert.ok(!err.message.includes('\n'));
  return true;
};

const tmp = mkdtempSync(join(tmpdir(), 'seal-verify-bundle-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const EMPTY_ROOT = join(tmp, 'empty-root.json');
writeFileSync(EMPTY_ROOT, JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }));

describe('verifyBundle: cosign keyless OCI attestation (real public-good bundle)', () => {
  const DIGEST = '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
  const ID = 'cody@soyland.com';
  const ISS = 'https://github.com/login/oauth';
  const load = () => readFileSync(`${F}bundles/oci-attestation.keyless.sigstore.json`, 'utf8');
  const policy = () => ({ certificateIdentity: ID, certificateOidcIssuer: ISS, trustedRootPath: `${F}trust/trusted_root_pgi.json` });

  it('verifies offline against the image digest and returns the exact payload', async () => {
    const r = await verifyDsseBundleForDigest(load(), DIGEST, policy());
    assert.equal(r.kind, 'dsseEnvelope');
    assert.equal(r.payloadType, 'application/vnd.in-toto+json');
    const envelopePayload = Buffer.from(JSON.parse(load()).dsseEnvelope.payload, 'base64');
    assert.deepEqual(Buffer.from(r.payload), envelopePayload);
    assert.deepEqual(r.signer, { identity: ID, issuer: ISS });
    assert.deepEqual(r.warnings, []);
    // The same through verifyBundle with a digest artifact, with and without the sha256: prefix.
    const r2 = await verifyBundle(load(), { digest: { algorithm: 'sha256', hex: DIGEST } }, policy());
    assert.deepEqual(r2.signer, r.signer);
    await verifyDsseBundleForDigest(load(), `sha256:${DIGEST}`, policy());
  });

  it('accepts an identity regexp `.*` and an issuer regexp', async () => {
    await verifyDsseBundleForDigest(load(), DIGEST, {
      certificateIdentityRegexp: '.*',
      certificateOidcIssuerRegexp: 'https://github\\.com/.*',
      trustedRootPath: policy().trustedRootPath,
    });
  });

  it('fails with another identity, an unanchored partial identity, or another issuer', async () => {
    for (const identity of ['someone@soyland.com', 'cody@soyland.co', 'soyland']) {
      await assert.rejects(
        verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), certificateIdentity: identity }),
        failsWith('verification', /certificate identity "cody@soyland.com" does not match/),
      );
    }
    await assert.rejects(
      verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), certificateIdentity: undefined, certificateIdentityRegexp: 'wrong' }),
      failsWith('verification', /does not match \/\^\(\?:wrong\)\$\//),
    );
    await assert.rejects(
      verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), certificateIdentity: undefined, certificateIdentityRegexp: 'cody@soyland' }),
      failsWith('verification', /does not match/),
    );
    await assert.rejects(
      verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), certificateOidcIssuer: 'https://accounts.google.com' }),
      failsWith('verification', /OIDC issuer "https:\/\/github.com\/login\/oauth" does not match/),
    );
  });

  it('fails for another digest', async () => {
    await assert.rejects(
      verifyDsseBundleForDigest(load(), 'a'.repeat(64), policy()),
      failsWith('verification', /artifact digest sha256:a{64} is not a subject of the attestation/),
    );
  });

  it('fails against a trusted root that does not hold its CA and log', async () => {
    await assert.rejects(
      verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /bundle verification failed/),
    );
  });

  it('fails when the DSSE payload, signature or tlog entry is tampered with', async () => {
    const payload = JSON.parse(load());
    const statement = JSON.parse(Buffer.from(payload.dsseEnvelope.payload, 'base64').toString());
    statement.predicate = { Data: 'changed' };
    payload.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    await assert.rejects(verifyDsseBundleForDigest(payload, DIGEST, policy()), failsWith('verification', /bundle verification failed/));

    const sig = JSON.parse(load());
    const bytes = Buffer.from(sig.dsseEnvelope.signatures[0].sig, 'base64');
    bytes[10] ^= 1;
    sig.dsseEnvelope.signatures[0].sig = bytes.toString('base64');
    await assert.rejects(verifyDsseBundleForDigest(sig, DIGEST, policy()), failsWith('verification', /bundle verification failed/));

    const tlog = JSON.parse(load());
    tlog.verificationMaterial.tlogEntries[0].integratedTime = String(Number(tlog.verificationMaterial.tlogEntries[0].integratedTime) + 1);
    await assert.rejects(verifyDsseBundleForDigest(tlog, DIGEST, policy()), failsWith('verification', /bundle verification failed/));
  });

  it('with ignoreTlog, a keyless bundle without an RFC 3161 timestamp fails (nothing proves when the short-lived cert signed)', async () => {
    await assert.rejects(verifyDsseBundleForDigest(load(), DIGEST, { ...policy(), ignoreTlog: true }), failsWith('verification', /TIMESTAMP_ERROR/));
  });

  it('refuses a public key for this certificate-signed bundle', async () => {
    await assert.rejects(
      verifyDsseBundleForDigest(load(), DIGEST, { publicKeyPem: testKey('p256').publicKeyPem }),
      failsWith('verification', /signed with a certificate/),
    );
  });
});

describe('verifyBundle: cosign key-signed DSSE bundles', () => {
  const key = () => readFileSync(`${F}keys/public/verify-blob-attestation-test.pub`, 'utf8');
  const blob = `${F}dsse/blob-some-payload.txt`;
  const good = () => readFileSync(`${F}bundles/blob-slsa-provenance.pubkey.sigstore.json`);
  const policy = () => ({ publicKeyPem: key(), trustedRootPath: `${F}trust/empty-trusted-root.json` });

  it('verifies with the key and the blob (path, bytes or digest), warning that there is no tlog proof', async () => {
    const r = await verifyBundle(good(), { path: blob }, policy());
    assert.equal(r.kind, 'dsseEnvelope');
    assert.deepEqual(r.signer, {});
    assert.match(r.warnings.join('\n'), /no transparency log entry and no timestamp/);
    assert.match(Buffer.from(r.payload!).toString(), /"predicateType":"https:\/\/slsa.dev\/provenance\/v0.2"/);
    await verifyBundle(good(), { bytes: readFileSync(blob) }, policy());
    await verifyBundle(good(), { digest: { algorithm: 'sha256', hex: sha256Hex(readFileSync(blob)) } }, policy());
    const ignoring = await verifyBundle(good(), { path: blob }, { ...policy(), ignoreTlog: true });
    assert.deepEqual(ignoring.warnings, []);
  });

  it('fails with the bad signature, another blob, another key, or an identity policy', async () => {
    await assert.rejects(
      verifyBundle(readFileSync(`${F}bundles/blob-slsa-provenance.badsig.sigstore.json`), { path: blob }, policy()),
      failsWith('verification', /signature verification failed \(SIGNATURE_ERROR\)/),
    );
    await assert.rejects(verifyBundle(good(), { path: `${F}dsse/blob-another-blob.txt` }, policy()), failsWith('verification', /not a subject/));
    await assert.rejects(
      verifyBundle(good(), { path: blob }, { ...policy(), publicKeyPem: testKey('p256').publicKeyPem }),
      failsWith('verification', /SIGNATURE_ERROR/),
    );
    await assert.rejects(
      verifyBundle(good(), { path: blob }, { certificateIdentity: 'x', certificateOidcIssuer: 'y', trustedRootPath: policy().trustedRootPath }),
      failsWith('verification', /signed with a public key/),
    );
  });

  it('returns a message-signature bundle only through verifyBundle, not verifyDsseBundleForDigest', async () => {
    const k = testKey('p256');
    const art = Buffer.from('x');
    await assert.rejects(
      verifyDsseBundleForDigest(messageBundle(k, art), sha256Hex(art), { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /holds a message signature, not a DSSE envelope/),
    );
  });
});

describe('verifyBundle: key-signed bundles with log entries and timestamps', () => {
  const R = `${testDir}fixtures/sigstore-conformance/test/assets/bundle-verify/managed-key-happy-path/`;
  const load = () => readFileSync(`${R}bundle.sigstore.json`, 'utf8');
  const key = () => readFileSync(`${R}key.pub`, 'utf8');
  const artifact = () => ({ path: `${R}../a.txt` });

  it('verifies the entries against the trusted root instead of skipping them', async () => {
    await verifyBundle(load(), artifact(), { publicKeyPem: key() }); // embedded production root holds the log and TSA
    await assert.rejects(
      verifyBundle(load(), artifact(), { publicKeyPem: key(), trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /bundle verification failed/),
    );
  });

  it('with ignoreTlog drops the log entries but still checks an RFC 3161 timestamp that is present', async () => {
    await verifyBundle(load(), artifact(), { publicKeyPem: key(), ignoreTlog: true });
    await assert.rejects(
      verifyBundle(load(), artifact(), { publicKeyPem: key(), ignoreTlog: true, trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /TIMESTAMP_ERROR/),
    );
  });
});

describe('verifyBundle: message signatures with a key, every artifact form', () => {
  const artifactBytes = Buffer.from('hello, seal\n');
  const artifactPath = join(tmp, 'artifact.txt');
  writeFileSync(artifactPath, artifactBytes);
  const forms = () => ({
    path: { path: artifactPath },
    bytes: { bytes: artifactBytes },
    digest: { digest: { algorithm: 'sha256' as const, hex: sha256Hex(artifactBytes) } },
  });

  for (const kind of ['p256', 'p384', 'p521', 'rsa'] as const) {
    it(`${kind}: verifies by path, bytes and digest; fails for other content`, async () => {
      const k = testKey(kind);
      const bundle = messageBundle(k, artifactBytes);
      const policy = { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT };
      for (const [name, artifact] of Object.entries(forms())) {
        const r = await verifyBundle(bundle, artifact, policy);
        assert.equal(r.kind, 'messageSignature', name);
        assert.equal(r.payload, undefined);
      }
      await assert.rejects(
        verifyBundle(bundle, { bytes: Buffer.from('hello, seal!\n') }, policy),
        failsWith('verification', /sha256 digest does not match the bundle's messageDigest/),
      );
      await assert.rejects(
        verifyBundle(bundle, { digest: { algorithm: 'sha256', hex: 'b'.repeat(64) } }, policy),
        failsWith('verification', /does not match the bundle's messageDigest/),
      );
    });
  }

  it('rejects a bundle whose messageDigest was changed to match another artifact (signature no longer verifies)', async () => {
    const k = testKey('p256');
    const bundle = messageBundle(k, artifactBytes) as any;
    const other = Buffer.from('other');
    bundle.messageSignature.messageDigest.digest = Buffer.from(sha256Hex(other), 'hex').toString('base64');
    for (const artifact of [{ bytes: other }, { digest: { algorithm: 'sha256' as const, hex: sha256Hex(other) } }]) {
      await assert.rejects(
        verifyBundle(bundle, artifact, { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT }),
        failsWith('verification', /SIGNATURE_ERROR/),
      );
    }
  });

  it('ed25519: verifies from a path or bytes, and explains that a digest is not enough', async () => {
    const k = testKey('ed25519');
    const bundle = messageBundle(k, artifactBytes);
    const policy = { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT };
    await verifyBundle(bundle, forms().path, policy);
    await verifyBundle(bundle, forms().bytes, policy);
    await assert.rejects(verifyBundle(bundle, forms().digest, policy), failsWith('verification', /cannot be checked from its digest/));
  });

  it('hashes a large file as a stream (memory stays flat)', async () => {
    const big = join(tmp, 'big.bin');
    const size = 256 * 1024 * 1024;
    const { openSync, ftruncateSync, closeSync } = await import('node:fs');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, size); // sparse zeros: cheap to create, still 256 MiB to hash
    closeSync(fd);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256');
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < size / chunk.length; i++) digest.update(chunk);
    const d = digest.digest();
    const k = testKey('p256');
    const { bundleToJSON, toMessageSignatureBundle } = await import('@sigstore/bundle');
    // Signed over the digest (prehashed), so the test itself never holds the 256 MiB.
    const { p256 } = await import('@noble/curves/nist.js');
    const jwk = k.privateKey.export({ format: 'jwk' });
    const sig = p256.sign(d, Buffer.from(jwk.d!, 'base64url'), { prehash: false, format: 'der' });
    const bundle = bundleToJSON(toMessageSignatureBundle({ digest: d, signature: Buffer.from(sig), keyHint: '' }));
    const before = process.memoryUsage().rss;
    const start = performance.now();
    await verifyBundle(bundle, { path: big }, { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT });
    const ms = performance.now() - start;
    const grown = process.memoryUsage().rss - before;
    console.log(`stream-hash 256 MiB: ${ms.toFixed(0)} ms, rss +${(grown / 1048576).toFixed(1)} MiB`);
    assert.ok(grown < 96 * 1024 * 1024, `rss grew by ${grown} bytes`);
  });
});

describe('verifyBundle: DSSE with a key', () => {
  it('checks the subject against path, bytes and digest artifacts', async () => {
    const art = Buffer.from('attested file');
    const k = testKey('p256');
    const bundle = dsseBundle(k, ['c'.repeat(64), sha256Hex(art)]);
    const policy = { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT };
    const p = join(tmp, 'attested.txt');
    writeFileSync(p, art);
    for (const artifact of [{ path: p }, { bytes: art }, { digest: { algorithm: 'sha256' as const, hex: sha256Hex(art).toUpperCase() } }]) {
      const r = await verifyBundle(bundle, artifact, policy);
      assert.equal(r.kind, 'dsseEnvelope');
      assert.equal(JSON.parse(Buffer.from(r.payload!).toString())._type, 'https://in-toto.io/Statement/v1');
    }
    await assert.rejects(verifyBundle(bundle, { bytes: Buffer.from('x') }, policy), failsWith('verification', /not a subject/));
  });

  it('refuses a signed payload that is not an in-toto statement (nothing binds it to the artifact)', async () => {
    const k = testKey('p256');
    const bundle = dsseBundle(k, [sha256Hex(Buffer.from('a'))], 'application/vnd.example+json');
    await assert.rejects(
      verifyBundle(bundle, { bytes: Buffer.from('a') }, { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /is not an in-toto statement/),
    );
  });
});

describe('verifyBundle: bad input and contradictory requests', () => {
  const k = testKey('p256');
  const art = Buffer.from('a');
  const bundle = messageBundle(k, art);
  const policy = { publicKeyPem: k.publicKeyPem, trustedRootPath: EMPTY_ROOT };

  it('accepts the bundle as an object, JSON text or JSON bytes', async () => {
    await verifyBundle(bundle, { bytes: art }, policy);
    await verifyBundle(JSON.stringify(bundle), { bytes: art }, policy);
    await verifyBundle(Buffer.from(JSON.stringify(bundle)), { bytes: art }, policy);
  });

  it('input errors: not JSON, not a bundle, unknown version, unreadable key, artifact or root', async () => {
    await assert.rejects(verifyBundle('{"mediaType"', { bytes: art }, policy), failsWith('input', /not valid JSON/));
    await assert.rejects(verifyBundle({ hello: 1 }, { bytes: art }, policy), failsWith('input', /not a Sigstore bundle/));
    await assert.rejects(verifyBundle(null, { bytes: art }, policy), failsWith('input', /not a Sigstore bundle/));
    await assert.rejects(
      verifyBundle({ ...bundle, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=99.9' }, { bytes: art }, policy),
      failsWith('input', /unsupported bundle media type/),
    );
    await assert.rejects(verifyBundle(bundle, { bytes: art }, { ...policy, publicKeyPem: 'garbage' }), failsWith('input', /cannot parse the public key/));
    await assert.rejects(verifyBundle(bundle, { path: join(tmp, 'missing') }, policy), failsWith('input', /cannot read artifact .*missing: no such file/));
    await assert.rejects(
      verifyBundle(bundle, { bytes: art }, { ...policy, trustedRootPath: join(tmp, 'no-root.json') }),
      failsWith('input', /cannot read trusted root/),
    );
  });

  it('verification error: a structurally broken bundle of a known version', async () => {
    const broken = structuredClone(bundle) as any;
    delete broken.messageSignature.signature;
    broken.verificationMaterial = { x509CertificateChain: { certificates: [] } };
    await assert.rejects(
      verifyBundle(broken, { bytes: art }, { certificateIdentity: 'a', certificateOidcIssuer: 'b', trustedRootPath: EMPTY_ROOT }),
      failsWith('verification', /invalid bundle/),
    );
  });

  it('usage errors: no policy, no artifact, several artifacts, bad digest', async () => {
    await assert.rejects(verifyBundle(bundle, { bytes: art }, {}), failsWith('usage', /no verification policy/));
    await assert.rejects(verifyBundle(bundle, { bytes: art }, { certificateIdentity: 'a' }), failsWith('usage', /OIDC issuer/));
    await assert.rejects(verifyBundle(bundle, {}, policy), failsWith('usage', /no artifact/));
    await assert.rejects(verifyBundle(bundle, { bytes: art, path: 'x' }, policy), failsWith('usage', /not several/));
    await assert.rejects(verifyBundle(bundle, { digest: { algorithm: 'sha256', hex: 'abc' } }, policy), failsWith('usage', /64 hex/));
    await assert.rejects(
      verifyBundle(bundle, { digest: { algorithm: 'sha512', hex: 'a'.repeat(64) } }, policy),
      failsWith('usage', /128 hex characters \(sha512\)/),
    );
    await assert.rejects(
      verifyBundle(bundle, { digest: { algorithm: 'md5' as 'sha256', hex: 'a'.repeat(32) } }, policy),
      failsWith('usage', /unsupported digest algorithm md5/),
    );
  });

  it('warns when falling back to the embedded production root', async () => {
    const load = () => readFileSync(`${F}bundles/oci-attestation.keyless.sigstore.json`, 'utf8');
    const r = await verifyDsseBundleForDigest(load(), '732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4', {
      certificateIdentity: 'cody@soyland.com',
      certificateOidcIssuer: 'https://github.com/login/oauth',
    });
    assert.ok(r.warnings.some((w) => /embedded in @sigstore\/tuf/.test(w)));
  });

  it('does not consult (or warn about) the root for a key-signed bundle with no log entry or timestamp', async () => {
    const r = await verifyBundle(bundle, { bytes: art }, { publicKeyPem: k.publicKeyPem });
    assert.ok(!r.warnings.some((w) => /embedded in @sigstore\/tuf/.test(w)), r.warnings.join('; '));
    assert.ok(r.warnings.some((w) => /no transparency log entry and no timestamp/.test(w)));
    // The same bundle changed or signed by another key still fails without the root.
    await assert.rejects(
      verifyBundle(bundle, { bytes: Buffer.from('b') }, { publicKeyPem: k.publicKeyPem }),
      failsWith('verification', /digest does not match/),
    );
    await assert.rejects(verifyBundle(bundle, { bytes: art }, { publicKeyPem: testKey('p256').publicKeyPem }), failsWith('verification', /verif/));
  });
});
