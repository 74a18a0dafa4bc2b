// seal's legacy signature images are byte-identical to cosign's, and cosign's signature layer
// verifies through seal's checks (test/fixtures/cosign/generated).
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkSimpleSigningClaims } from '../../../src/cosign/simple-signing.ts';
import { buildSignatureImage, signatureConfig } from '../../../src/cosign/signature-image.ts';
import type { ImageStore } from '../../../src/oci/store.ts';
import { sha256Digest } from '../../../src/oci/digest.ts';

const F = new URL('../../fixtures/cosign/', import.meta.url).pathname;
const DIGEST = 'sha256:89333bc71f02c647533ab52e592ad22c609728f12eabff6fda0920109db40401';

/** Just enough of a store for buildSignatureImage: it uploads the config blob. */
const blobSink = { putBlob: async (b: Uint8Array) => ({ digest: sha256Digest(b), size: b.length }) } as unknown as ImageStore;

for (const kind of ['sig', 'att'] as const) {
  test(`${kind}-image config and manifest are byte-identical to cosign's`, async () => {
    const manifest = readFileSync(`${F}generated/${kind}-image.manifest.json`, 'utf8').trimEnd();
    const config = readFileSync(`${F}generated/${kind}-image.config.json`, 'utf8').trimEnd();
    const layers = JSON.parse(manifest).layers;
    assert.equal(Buffer.from(signatureConfig(layers)).toString(), config);
    const built = await buildSignatureImage(blobSink, layers, null);
    assert.equal(Buffer.from(built.bytes).toString(), manifest);
  });
}

test("cosign's signature layer verifies over the payload bytes and names the image digest", () => {
  const payload = readFileSync(`${F}generated/simplesigning-payload-no-annotations.json`);
  const sig = Buffer.from(readFileSync(`${F}generated/simplesigning-payload-no-annotations.sig.b64`, 'utf8').trim(), 'base64');
  const key = createPublicKey(readFileSync(`${F}keys/import/validecp256.expected.pub`));
  assert.equal(verify('sha256', payload, key, sig), true);
  assert.equal(checkSimpleSigningClaims(payload, DIGEST).ok, true);
  assert.equal(checkSimpleSigningClaims(payload, `sha256:${'0'.repeat(64)}`).ok, false);
  const changed = Buffer.from(payload.toString().replace('team/app', 'team/ap2'));
  assert.equal(verify('sha256', changed, key, sig), false);
});
