// Issue 9 item 8: bundle referrers are capped in number (1000, as the .sig layer cap) and in
// bytes each (16 MiB), and verified one at a time: 400 referrers sharing one 16 MiB bundle layer
// keep `seal verify` and `seal verify-attestation` to a few hundred MB and one download of the
// layer. Real CLI in a child process (old-space heap capped at 512 MiB) against the hostile
// registry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHostileRegistry, type HostileRegistry, type StoredManifest } from '../harness/hostile-registry.ts';
import { runSeal } from '../harness/seal-process.ts';
import { workspace } from '../helpers/workspace.ts';

const BUNDLE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const SIGN = 'https://sigstore.dev/cosign/sign/v1';

let reg: HostileRegistry;
const { dir, pub } = await workspace('seal-hostile-refs-', ['k']);

before(async () => {
  reg = await startHostileRegistry();
});
after(async () => {
  await reg?.stop();
});

/** A bundle-shaped JSON document of exactly `size` bytes (it does not verify). */
function bigBundle(size: number): Buffer {
  const head = `{"mediaType":"${BUNDLE}","verificationMaterial":{},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":""},"signature":""},"padding":"`;
  return Buffer.concat([Buffer.from(head), Buffer.alloc(size - head.length - 2, 0x61), Buffer.from('"}')]);
}

/** `count` bundle referrers of `img`, each its own manifest, all pointing at one layer. */
function attach(repo: string, img: StoredManifest, layer: { digest: string; size: number }, count: number, predicateType: string): void {
  const config = reg.putBlob('{}');
  for (let i = 0; i < count; i++) {
    reg.putManifest(repo, {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: BUNDLE,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...config },
      layers: [{ mediaType: BUNDLE, ...layer }],
      annotations: {
        'dev.sigstore.bundle.predicateType': predicateType,
        'org.opencontainers.image.created': `2026-01-01T00:00:${String(i).padStart(4, '0')}Z`,
      },
      subject: { mediaType: img.mediaType, digest: img.digest, size: img.bytes.length },
    });
  }
}

describe('bundle referrers (item 8)', () => {
  it('verify: 400 referrers sharing a 16 MiB bundle', async () => {
    reg.reset();
    const img = reg.addImage('app/many-refs');
    const layer = reg.putBlob(bigBundle(16 * 1024 * 1024 - 1024));
    attach('app/many-refs', img, layer, 400, SIGN);
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/many-refs@${img.digest}`], { env: { HOME: dir } });
    const downloads = reg.count({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`) });
    console.log(
      `verify, 400 x 16 MiB: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, ${downloads} layer download(s), ${reg.count({ path: /\/manifests\// })} manifest requests`,
    );
    assert.equal(r.code, 12, r.stderr); // 400 signatures, none verifies
    assert.ok(r.peakRssMiB < 400, `${r.peakRssMiB} MiB`);
    assert.equal(downloads, 1);
  });

  it('verify-attestation: the same as attestations', async () => {
    reg.reset();
    const img = reg.addImage('app/many-atts');
    const layer = reg.putBlob(bigBundle(16 * 1024 * 1024 - 2048));
    attach('app/many-atts', img, layer, 400, 'https://example.com/predicate/v1');
    const r = await runSeal(['verify-attestation', '--key', pub, `${reg.host}/app/many-atts@${img.digest}`], { env: { HOME: dir } });
    const downloads = reg.count({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`) });
    console.log(
      `verify-attestation, 400 x 16 MiB: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, ${downloads} layer download(s)`,
    );
    assert.equal(r.code, 12, r.stderr);
    assert.ok(r.peakRssMiB < 400, `${r.peakRssMiB} MiB`);
    assert.equal(downloads, 1);
  });

  it('more than 1000 referrers: a registry error, no bundle read', async () => {
    reg.reset();
    const img = reg.addImage('app/too-many');
    const layer = reg.putBlob(bigBundle(4096));
    attach('app/too-many', img, layer, 1001, SIGN);
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/too-many@${img.digest}`], { env: { HOME: dir } });
    console.log(`verify, 1001 referrers: exit ${r.code} in ${r.ms.toFixed(0)} ms; ${r.stderr.trim().split('\n').pop()}`);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /more than 1000 referrers/);
    assert.equal(reg.count({ path: /\/blobs\// }), 0);
  });

  it('a bundle layer larger than 16 MiB is not read', async () => {
    reg.reset();
    const img = reg.addImage('app/huge-bundle');
    const layer = reg.putBlob(bigBundle(16 * 1024 * 1024 + 1));
    attach('app/huge-bundle', img, layer, 3, SIGN);
    const r = await runSeal(['verify', '--key', pub, `${reg.host}/app/huge-bundle@${img.digest}`], { env: { HOME: dir } });
    console.log(`verify, 17 MiB bundle: exit ${r.code} in ${r.ms.toFixed(0)} ms, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
    assert.equal(r.code, 10, r.stderr); // skipped as unreadable: no signatures
    assert.ok(r.peakRssMiB < 200, `${r.peakRssMiB} MiB`);
  });
});
