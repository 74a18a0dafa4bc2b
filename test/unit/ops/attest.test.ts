// attestImage and verifyAttestations (src/ops/attest.ts, verify-attestation.ts) on an in-memory
// store: a statement about this image's digest in both formats, --replace removing only the
// same predicate type, --no-upload writing nothing, and the gate judging a real grype report
// (test/fixtures/grype) by severity and age. The registry round trips stay in test/integration.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { attestImage, type AttestOptions } from '../../../src/ops/attest.ts';
import { attestationFailure, verifyAttestations, type VerifyAttestationOptions } from '../../../src/ops/verify-attestation.ts';
import type { TrustPolicy } from '../../../src/cosign/trust-policy.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-op-attest-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const alice = p256KeyPair(dir, 'alice');
const bob = p256KeyPair(dir, 'bob');
const trust = (k = alice): TrustPolicy => ({ verifier: k.verifier, bundle: { publicKeyPem: k.publicKeyPem, tufCacheDir: '/nonexistent' } });
const GRYPE_ONE_HIGH = fileURLToPath(new URL('../../fixtures/grype/alpine-one-high.json', import.meta.url));
const custom = path.join(dir, 'custom.json');
writeFileSync(custom, JSON.stringify({ builder: 'ci', run: 7 }));
const attTag = (digest: string) => `${digest.replace(':', '-')}.att`;

function attest(reg: MemoryRegistry, image: string, o: Partial<AttestOptions> = {}, key = alice) {
  return attestImage(
    { image, predicate: custom, type: 'custom', replace: false, format: 'legacy', store: reg.storeOptions(), signing: { key: key.file }, ...o },
    testOpEnv(),
  );
}

function verify(reg: MemoryRegistry, images: string[], o: Partial<VerifyAttestationOptions> = {}) {
  return verifyAttestations({ trust: trust(), images, store: reg.storeOptions(), ...o }, testOpEnv());
}

for (const format of ['legacy', 'bundle'] as const) {
  describe(`${format} format`, () => {
    test('the statement names the image digest and verifies with the key; another key finds nothing it trusts', async () => {
      const reg = new MemoryRegistry();
      const { ref, digest } = reg.addImage('mem.test/app:v1');
      const result = await attest(reg, ref, { format, now: new Date('2025-03-04T05:06:07Z') });
      assert.equal(result.digest, digest);
      const [report] = await verify(reg, [ref], { type: 'custom' });
      assert.equal(report!.ok, true, report!.failure?.message);
      assert.equal(report!.statements.length, 1);
      const statement = report!.statements[0]! as unknown as { subject: { digest: { sha256: string } }[]; predicate: unknown };
      assert.equal(statement.subject[0]!.digest.sha256, digest.slice('sha256:'.length));
      // As cosign: a custom predicate is the file's text under Data, with the time of attesting.
      assert.deepEqual(statement.predicate, { Data: '{"builder":"ci","run":7}', Timestamp: '2025-03-04T05:06:07Z' });
      const [other] = await verify(reg, [ref], { trust: trust(bob) });
      assert.equal(other!.ok, false);
      assert.equal(other!.failure?.kind, 'no-matching');
    });

    test('--replace removes earlier attestations of the same type only', async () => {
      const reg = new MemoryRegistry();
      const { ref } = reg.addImage('mem.test/app:v1');
      await attest(reg, ref, { format });
      await attest(reg, ref, { format, predicate: GRYPE_ONE_HIGH, type: 'vuln' });
      const again = await attest(reg, ref, { format, replace: true });
      assert.equal(again.replaced, 1);
      const [report] = await verify(reg, [ref]);
      const types = report!.attestations
        .filter((a) => a.verified)
        .map((a) => a.predicateType)
        .sort();
      assert.deepEqual(types, ['https://cosign.sigstore.dev/attestation/v1', 'https://cosign.sigstore.dev/attestation/vuln/v1'].sort());
    });

    test('--no-upload: the signed document comes back and the store is not written', async () => {
      const reg = new MemoryRegistry();
      const { ref } = reg.addImage('mem.test/app:v1');
      const result = await attest(reg, ref, { format, upload: false });
      assert.ok(result.document && JSON.parse(result.document));
      const store = reg.store(ref);
      assert.equal(store.count('putManifest') + store.count('putBlob'), 0);
      assert.equal((await verify(reg, [ref]))[0]!.failure?.kind, 'no-signatures');
    });
  });
}

describe('the vulnerability gate', () => {
  test('a scan with one high finding: passes --max-severity high, fails medium, naming the finding', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    // The scan's time comes from the grype report itself (2025-06-08).
    const now = new Date('2025-06-09T00:00:00Z');
    await attest(reg, ref, { predicate: GRYPE_ONE_HIGH, type: 'vuln', now });
    const [high] = await verify(reg, [ref], { maxSeverity: 'high', now, vex: { off: true } });
    assert.equal(high!.ok, true, high!.failure?.message);
    const [medium] = await verify(reg, [ref], { maxSeverity: 'medium', now, vex: { off: true } });
    assert.equal(medium!.ok, false);
    assert.equal(medium!.failure?.kind, 'policy');
    assert.match(medium!.failure!.message, /CVE-\d+-\d+/);
    assert.ok(attestationFailure([medium!]));
  });

  test('a scan older than --max-age fails; the same scan within it passes', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    const scanned = new Date('2025-06-08T08:02:11Z'); // the report's timestamp
    await attest(reg, ref, { predicate: GRYPE_ONE_HIGH, type: 'vuln', now: scanned });
    const day = 24 * 3600_000;
    const fresh = await verify(reg, [ref], { maxAgeMs: 14 * day, now: new Date(scanned.getTime() + 13 * day), vex: { off: true } });
    assert.equal(fresh[0]!.ok, true, fresh[0]!.failure?.message);
    const stale = await verify(reg, [ref], { maxAgeMs: 14 * day, now: new Date(scanned.getTime() + 15 * day), vex: { off: true } });
    assert.equal(stale[0]!.ok, false);
    assert.equal(stale[0]!.failure?.kind, 'policy');
  });

  test('a gate on an image with no scan attached fails, saying so', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    await attest(reg, ref);
    const [report] = await verify(reg, [ref], { maxSeverity: 'critical', vex: { off: true } });
    assert.equal(report!.ok, false);
    assert.match(report!.failure!.message, /no verified vulnerability scan/);
  });
});

test('attestations of one image are not found on another', async () => {
  const reg = new MemoryRegistry();
  const a = reg.addImage('mem.test/app:a');
  const b = reg.addImage('mem.test/app:b');
  await attest(reg, a.ref);
  assert.ok(reg.store(a.ref).tags.has(attTag(a.digest)));
  const [report] = await verify(reg, [b.ref]);
  assert.equal(report!.failure?.kind, 'no-signatures');
});
