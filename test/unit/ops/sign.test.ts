// signImages and verifyImages (src/ops/sign.ts, verify.ts) on an in-memory store
// (test/helpers/memory-store.ts): what is written where in both formats, that nothing already
// there is lost, what --upload=false leaves alone, and that verify refuses another key, a changed
// payload and a missing annotation. The registry round trips stay in test/integration.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { signImages, type SignImagesOptions } from '../../../src/ops/sign.ts';
import { verifyImages, verificationError } from '../../../src/ops/verify.ts';
import type { TrustPolicy } from '../../../src/cosign/trust-policy.ts';
import { MemoryRegistry } from '../../helpers/memory-store.ts';
import { p256KeyPair, testOpEnv } from '../../helpers/op-env.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-op-sign-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const alice = p256KeyPair(dir, 'alice');
const bob = p256KeyPair(dir, 'bob');

const trust = (k = alice): TrustPolicy => ({ verifier: k.verifier, bundle: { publicKeyPem: k.publicKeyPem, tufCacheDir: '/nonexistent' } });
const sigTag = (digest: string) => `${digest.replace(':', '-')}.sig`;

function sign(reg: MemoryRegistry, images: string[], o: Partial<SignImagesOptions> = {}, key = alice, env = testOpEnv()) {
  return signImages({ images, annotations: {}, recursive: false, format: 'legacy', store: reg.storeOptions(), signing: { key: key.file }, ...o }, env);
}

function verify(reg: MemoryRegistry, images: string[], o: { key?: typeof alice; annotations?: Record<string, string> } = {}) {
  return verifyImages({ trust: trust(o.key), images, annotations: o.annotations ?? {}, store: reg.storeOptions() }, testOpEnv());
}

describe('legacy format', () => {
  test('one signature becomes one layer of the .sig image, and verifies with the key', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    const [signed] = await sign(reg, [ref]);
    assert.equal(signed!.digest, digest);
    assert.equal(signed!.location, `mem.test/app:${sigTag(digest)}`);
    const sig = reg.store(ref).manifestJson(sigTag(digest)) as { layers: { annotations: Record<string, string> }[] };
    assert.equal(sig.layers.length, 1);
    assert.ok(sig.layers[0]!.annotations['dev.cosignproject.cosign/signature']);
    const [report] = await verify(reg, [ref]);
    assert.equal(report!.verified, true);
    assert.equal(report!.signatures.filter((s) => s.verified).length, 1);
    assert.equal(verificationError([report!]), undefined);
  });

  test('a second signer adds a layer: the first signature stays and both verify', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref]);
    await sign(reg, [ref], {}, bob);
    assert.equal((reg.store(ref).manifestJson(sigTag(digest)) as { layers: unknown[] }).layers.length, 2);
    const [byAlice] = await verify(reg, [ref]);
    const [byBob] = await verify(reg, [ref], { key: bob });
    assert.equal(byAlice!.signatures.filter((s) => s.verified).length, 1);
    assert.equal(byBob!.signatures.filter((s) => s.verified).length, 1);
  });

  test('annotations are signed: verify requires them, and refuses a value that differs', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref], { annotations: { env: 'prod' } });
    assert.equal((await verify(reg, [ref], { annotations: { env: 'prod' } }))[0]!.verified, true);
    const [wrong] = await verify(reg, [ref], { annotations: { env: 'dev' } });
    assert.equal(wrong!.verified, false);
    assert.ok(verificationError([wrong!]));
  });

  test('a .sig image rewritten to carry another payload under the same signature fails verification', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    const other = reg.addImage('mem.test/app:v2').digest;
    await sign(reg, [ref]);
    const store = reg.store(ref);
    const sig = store.manifestJson(sigTag(digest)) as { layers: { digest: string; size: number }[] };
    // The payload names another image; a consistent blob (its own digest), the signature kept.
    const payload = Buffer.from(Buffer.from(store.blobs.get(sig.layers[0]!.digest)!).toString('utf8').replace(digest, other));
    const { digest: changed, size } = await store.putBlob(payload);
    sig.layers[0] = { ...sig.layers[0]!, digest: changed, size };
    await store.putManifest(Buffer.from(JSON.stringify(sig)), 'application/vnd.oci.image.manifest.v1+json', { tag: sigTag(digest) });
    const [report] = await verify(reg, [ref]);
    assert.equal(report!.verified, false);
    assert.equal(report!.signatures[0]!.checks.signature, false);
  });

  test('a payload verify can rebuild from the layer digest is not fetched: other bytes served under it change nothing', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref]);
    const store = reg.store(ref);
    const layer = (store.manifestJson(sigTag(digest)) as { layers: { digest: string }[] }).layers[0]!.digest;
    store.blobs.set(layer, Buffer.from('{"critical":{}}'));
    const [report] = await verify(reg, [ref]);
    assert.equal(report!.verified, true);
    assert.equal(store.count('getBlob'), 0);
  });

  test('a payload with claims verify does not foresee is fetched, and a store serving other bytes is refused', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref], { annotations: { build: '42' } });
    const store = reg.store(ref);
    assert.equal((await verify(reg, [ref]))[0]!.verified, true);
    assert.equal(store.count('getBlob'), 1);
    const layer = (store.manifestJson(sigTag(digest)) as { layers: { digest: string }[] }).layers[0]!.digest;
    store.blobs.set(layer, Buffer.from('{"critical":{}}'));
    assert.equal((await verify(reg, [ref]))[0]!.verified, false);
  });

  test('another key: no signature verifies', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref]);
    const [report] = await verify(reg, [ref], { key: bob });
    assert.equal(report!.verified, false);
    assert.equal(report!.signatures.length, 1);
    assert.equal(report!.signatures[0]!.verified, false);
  });

  test('an unsigned image: verify says so', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    const [report] = await verify(reg, [ref]);
    assert.equal(report!.verified, false);
    assert.equal(report!.signatures.length, 0);
    assert.ok(verificationError([report!]));
  });
});

describe('bundle format', () => {
  test('a referrer whose subject is the image, found through the referrers API', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    const [signed] = await sign(reg, [ref], { format: 'bundle' });
    const store = reg.store(ref);
    const referrers = (await store.referrers(digest))!;
    assert.equal(referrers.length, 1);
    assert.equal(signed!.location, `mem.test/app@${referrers[0]!.digest}`);
    assert.match(referrers[0]!.artifactType ?? '', /sigstore\.bundle/);
    assert.ok(![...store.tags.keys()].some((t) => t.startsWith('sha256-')), 'no fallback tag on a store with the referrers API');
    const [report] = await verify(reg, [ref]);
    assert.equal(report!.verified, true);
    assert.equal(report!.signatures[0]!.format, 'bundle');
  });

  test('without a referrers API: the sha256-<hex> fallback index, which verify reads', async () => {
    const reg = new MemoryRegistry({ referrersApi: false });
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref], { format: 'bundle' });
    const fallback = reg.store(ref).manifestJson(digest.replace(':', '-')) as { manifests: unknown[] };
    assert.equal(fallback.manifests.length, 1);
    assert.equal((await verify(reg, [ref]))[0]!.verified, true);
  });

  test('both formats on one image: verify counts both', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref], { format: 'bundle' });
    await sign(reg, [ref], { format: 'legacy' });
    const [report] = await verify(reg, [ref]);
    assert.deepEqual(
      report!.signatures
        .filter((s) => s.verified)
        .map((s) => s.format)
        .sort(),
      ['bundle', 'legacy'],
    );
  });
});

describe('what is signed and where', () => {
  test('--recursive signs the index and each platform manifest', async () => {
    const reg = new MemoryRegistry();
    const store = reg.store('mem.test/multi');
    const children = [store.addImage('a'), store.addImage('b')];
    const index = store.addIndex('v1', children);
    const signed = await sign(reg, ['mem.test/multi:v1'], { recursive: true });
    assert.deepEqual(signed.map((s) => s.digest).sort(), [index, ...children].sort());
    for (const d of [index, ...children]) assert.ok(store.tags.has(sigTag(d)), `no signature for ${d}`);
  });

  test('--upload=false writes nothing to the store, and --output-signature keeps the signature', async () => {
    const reg = new MemoryRegistry();
    const { ref } = reg.addImage('mem.test/app:v1');
    const out = path.join(dir, 'upload-false.sig');
    const env = testOpEnv();
    const [signed] = await sign(reg, [ref], { upload: false, outputs: { signature: out } }, alice, env);
    assert.equal(signed!.uploaded, false);
    const store = reg.store(ref);
    assert.equal(store.count('putManifest') + store.count('putBlob'), 0);
    assert.match(readFileSync(out, 'utf8'), /^[A-Za-z0-9+/]+=*$/);
  });

  test('SEAL_REPOSITORY: the signature goes to that repository, not beside the image', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref], { store: reg.storeOptions({ env: { SEAL_REPOSITORY: 'mem.test/signatures' } }) });
    assert.ok(reg.store('mem.test/signatures').tags.has(sigTag(digest)));
    assert.ok(!reg.store(ref).tags.has(sigTag(digest)));
  });

  test('an image that does not exist: a not-found error, and nothing is written', async () => {
    const reg = new MemoryRegistry();
    await assert.rejects(sign(reg, ['mem.test/app:nope']), (e) => isSealError(e, 'not-found'));
    assert.equal(reg.store('mem.test/app').count('putManifest'), 0);
  });

  test('a store that fails mid-way: the error reaches the caller and the image keeps its earlier signature', async () => {
    const reg = new MemoryRegistry();
    const { ref, digest } = reg.addImage('mem.test/app:v1');
    await sign(reg, [ref]);
    const store = reg.store(ref);
    const before = store.tags.get(sigTag(digest));
    store.beforeCall = (c) => {
      if (c.method === 'putManifest') throw new Error('registry went away');
    };
    await assert.rejects(sign(reg, [ref], {}, bob), /registry went away/);
    store.beforeCall = undefined;
    assert.equal(store.tags.get(sigTag(digest)), before);
    assert.equal((await verify(reg, [ref]))[0]!.verified, true);
  });
});
