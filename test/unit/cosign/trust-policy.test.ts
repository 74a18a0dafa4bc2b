// withKeyObject (src/cosign/trust-policy.ts): a command verifying many bundles under one key
// parses the key once, not per bundle; verify and verify-attestation on an in-memory store show
// it by counting reads of the policy's PEM (test/helpers/memory-store.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { withKeyObject, type TrustPolicy } from '../../../src/cosign/trust-policy.ts';
import { isSealError } from '../../../src/errors.ts';
import { attestImage } from '../../../src/ops/attest.ts';
import { signImages } from '../../../src/ops/sign.ts';
import { verifyAttestations } from '../../../src/ops/verify-attestation.ts';
import { verifyImages } from '../../../src/ops/verify.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-trust-policy-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const alice = p256KeyPair(dir, 'alice');
const bob = p256KeyPair(dir, 'bob');
const predicate = path.join(dir, 'predicate.json');
writeFileSync(predicate, JSON.stringify({ builder: 'ci' }));

/** A key policy whose PEM counts its reads, as src/cli/options/trust.ts's getter would export. */
function countingTrust(k = alice, withVerifier = true): { trust: TrustPolicy; reads: () => number } {
  let reads = 0;
  const trust: TrustPolicy = {
    ...(withVerifier ? { verifier: k.verifier } : {}),
    bundle: {
      get publicKeyPem() {
        reads++;
        return k.publicKeyPem;
      },
      tufCacheDir: '/nonexistent',
    },
  };
  return { trust, reads: () => reads };
}

describe('withKeyObject', () => {
  test("uses the verifier's KeyObject without reading the PEM", () => {
    const { trust, reads } = countingTrust();
    const out = withKeyObject(trust);
    assert.equal(out.bundle.publicKey, alice.verifier.keyObject);
    assert.equal(Object.hasOwn(out.bundle, 'publicKeyPem'), false);
    assert.equal(out.bundle.tufCacheDir, '/nonexistent');
    assert.equal(out.verifier, alice.verifier);
    assert.equal(reads(), 0);
  });

  test('parses the PEM once when there is no verifier', () => {
    const { trust, reads } = countingTrust(alice, false);
    const out = withKeyObject(trust);
    assert.equal(reads(), 1);
    assert.ok(out.bundle.publicKey!.equals(alice.publicKey));
  });

  test('a bad PEM is one input error line; an empty one a usage error', () => {
    for (const [pem, kind, message] of [
      ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n', 'input', /^cannot parse the public key: [^\n]+$/],
      ['garbage', 'input', /^cannot parse the public key: [^\n]+$/],
      [' \n', 'usage', /^the public key is empty$/],
    ] as const) {
      assert.throws(
        () => withKeyObject({ bundle: { publicKeyPem: pem } }),
        (err: unknown) => isSealError(err, kind) && message.test(err.message),
      );
    }
  });

  test('a keyless policy, or one already holding a KeyObject, is returned as it is', () => {
    const keyless: TrustPolicy = { bundle: { certificateIdentity: 'a@example.com', certificateOidcIssuer: 'https://issuer.example' } };
    assert.equal(withKeyObject(keyless), keyless);
    const parsed: TrustPolicy = { bundle: { publicKey: alice.publicKey } };
    assert.equal(withKeyObject(parsed), parsed);
  });
});

describe('verify and verify-attestation on several bundles', () => {
  const images = ['mem.test/a:v1', 'mem.test/b:v1', 'mem.test/c:v1'];

  async function signedRegistry(): Promise<{ reg: MemoryRegistry; refs: string[] }> {
    const reg = new MemoryRegistry();
    const refs = images.map((i) => reg.addImage(i).ref);
    // Two bundles by alice on each image, and one by bob (which must still fail to verify).
    for (const key of [alice, alice, bob]) {
      await signImages(
        { images: refs, annotations: {}, recursive: false, format: 'bundle', store: reg.storeOptions(), signing: { key: key.file } },
        testOpEnv(),
      );
      for (const image of refs) {
        await attestImage(
          { image, predicate, type: 'custom', replace: false, format: 'bundle', store: reg.storeOptions(), signing: { key: key.file } },
          testOpEnv(),
        );
      }
    }
    return { reg, refs };
  }

  for (const withVerifier of [true, false]) {
    test(`${withVerifier ? 'the verifier key: the PEM is never read' : 'a PEM only: it is read once'} for 9 signature and 9 attestation bundles`, async () => {
      const { reg, refs } = await signedRegistry();
      const sigs = countingTrust(alice, withVerifier);
      const reports = await verifyImages({ trust: sigs.trust, images: refs, annotations: {}, store: reg.storeOptions() }, testOpEnv());
      assert.deepEqual(
        reports.map((r) => r.signatures.map((s) => s.verified).sort()),
        refs.map(() => [false, true, true]),
      );
      assert.equal(sigs.reads(), withVerifier ? 0 : 1);

      const atts = countingTrust(alice, withVerifier);
      const attReports = await verifyAttestations({ trust: atts.trust, images: refs, store: reg.storeOptions() }, testOpEnv());
      assert.deepEqual(
        attReports.map((r) => [r.ok, r.statements.length, r.attestations.filter((a) => !a.verified).length]),
        refs.map(() => [true, 2, 1]),
      );
      assert.equal(atts.reads(), withVerifier ? 0 : 1);
    });
  }
});
