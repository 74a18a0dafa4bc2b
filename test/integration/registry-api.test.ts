// The distribution API against a real registry (distribution 2.8): manifest round trips of each
// media type, HEAD resolution, tag pagination, the missing referrers API, deletes, mounts, and
// copyImage cross-checked with skopeo as an independent client.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLog } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { sha256Digest } from '../../src/oci/digest.ts';
import { DOCKER_CONFIG, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, EMPTY_CONFIG_DIGEST, OCI_EMPTY, OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.ts';
import { parseReference, type LayoutReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore } from '../../src/oci/registry/store.ts';
import { openStore } from '../../src/oci/open-store.ts';
import {
  inspectWithSkopeo,
  makeIndexLayout,
  pushWithSkopeo,
  rawManifestWithSkopeo,
  registryInstalled,
  startRegistry,
  type RunningRegistry,
} from '../harness/index.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';
const enc = (s: string) => new TextEncoder().encode(s);
const json = (v: unknown) => enc(JSON.stringify(v));

let reg: RunningRegistry;
let dir: string;
const open = (repo: string) => RegistryStore.open(parseReference(`${reg.host}/${repo}`) as RegistryReference, { env: { HOME: dir }, log: silentLog });

describe('registry API round trips', { skip }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seal-reg-api-'));
    reg = await startRegistry('plain');
  });
  after(async () => {
    await reg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Pushes a config and a layer, returns descriptors of each in the given media types. */
  async function blobs(s: RegistryStore, configType: string, layerType: string) {
    const config = enc(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: Math.random() }));
    const layer = enc('layer ' + Math.random());
    const c = await s.putBlob(config);
    const l = await s.putBlob(layer);
    return { config: { mediaType: configType, ...c }, layer: { mediaType: layerType, ...l } };
  }

  const cases = [
    {
      name: 'OCI image manifest',
      type: OCI_MANIFEST,
      configType: 'application/vnd.oci.image.config.v1+json',
      layerType: 'application/vnd.oci.image.layer.v1.tar',
    },
    { name: 'Docker v2 schema 2 manifest', type: DOCKER_MANIFEST, configType: DOCKER_CONFIG, layerType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' },
  ];
  for (const c of cases) {
    it(`round-trips an ${c.name} and an index over it`, async () => {
      const s = await open('round/trip');
      const { config, layer } = await blobs(s, c.configType, c.layerType);
      const bytes = json({ schemaVersion: 2, mediaType: c.type, config, layers: [layer] });
      const put = await s.putManifest(bytes, c.type, { tag: `m-${c.type.length}` });
      assert.equal(put.digest, sha256Digest(bytes));
      assert.equal(put.subjectIndexed, undefined);
      for (const ref of [`m-${c.type.length}`, put.digest]) {
        const got = await s.getManifest(ref);
        assert.deepEqual(Buffer.from(got!.bytes), Buffer.from(bytes), 'exact bytes');
        assert.equal(got!.mediaType, c.type);
        assert.equal(got!.digest, put.digest);
      }
      assert.deepEqual(await s.resolve(`m-${c.type.length}`), { mediaType: c.type, digest: put.digest, size: bytes.length });

      const indexType = c.type === OCI_MANIFEST ? OCI_INDEX : DOCKER_MANIFEST_LIST;
      const index = json({
        schemaVersion: 2,
        mediaType: indexType,
        manifests: [{ mediaType: c.type, digest: put.digest, size: bytes.length, platform: { architecture: 'amd64', os: 'linux' } }],
      });
      const iput = await s.putManifest(index, indexType, { tag: `i-${c.type.length}` });
      const igot = await s.getManifest(`i-${c.type.length}`);
      assert.equal(igot!.mediaType, indexType);
      assert.equal(igot!.digest, iput.digest);
      assert.deepEqual(Buffer.from(igot!.bytes), Buffer.from(index));
    });
  }

  it('pushes an artifact manifest with a subject (no OCI-Subject from distribution 2.8)', async () => {
    const s = await open('round/trip');
    const subject = await s.resolve(`m-${OCI_MANIFEST.length}`);
    await s.putBlob(enc('{}'));
    const art = await s.putBlob(enc('artifact ' + Math.random()));
    const bytes = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example+json',
      config: { mediaType: OCI_EMPTY, digest: EMPTY_CONFIG_DIGEST, size: 2 },
      layers: [{ mediaType: 'application/vnd.example+json', ...art }],
      subject,
    });
    const put = await s.putManifest(bytes, OCI_MANIFEST);
    assert.equal(put.subjectIndexed, undefined);
    assert.equal((await s.getManifest(put.digest))?.digest, put.digest);
  });

  it('returns null for a missing tag, digest or repository', async () => {
    const s = await open('round/trip');
    assert.equal(await s.getManifest('no-such-tag'), null);
    assert.equal(await s.getManifest('sha256:' + '1'.repeat(64)), null);
    assert.equal(await (await open('no/such/repo')).getManifest('latest'), null);
    assert.equal(await s.resolve('no-such-tag'), null);
  });

  it('reports no referrers API on distribution 2.8 (null, for the tag-schema fallback)', async () => {
    const s = await open('round/trip');
    const d = await s.resolve(`m-${OCI_MANIFEST.length}`);
    assert.equal(await s.referrers(d!.digest), null);
    assert.equal(await s.referrers(d!.digest, { artifactType: 'application/vnd.example+json' }), null);
  });

  it('lists tags page by page (?n=2) through the Link header, and copes with a registry that ignores n', async () => {
    const s = await open('paged/tags');
    const bytes = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_EMPTY, digest: EMPTY_CONFIG_DIGEST, size: 2 }, layers: [] });
    await s.putBlob(enc('{}'));
    const tags = ['a1', 'b2', 'c3', 'd4', 'e5'];
    for (const tag of tags) await s.putManifest(bytes, OCI_MANIFEST, { tag });
    // distribution 2.8 ignores ?n= (tag pagination came with distribution 3): one page, no Link.
    assert.deepEqual((await s.listTags({ pageSize: 2 })).sort(), tags);
    assert.deepEqual((await s.listTags()).sort(), tags);

    // Through a front that paginates the real list as the distribution spec says (n, last, Link).
    const front = http.createServer(async (req, res) => {
      const u = new URL(req.url!, 'http://front');
      if (u.pathname === '/v2/') return void res.end('{}');
      const upstream = await fetch(`${reg.url}${u.pathname}`);
      const all = ((await upstream.json()) as { tags: string[] }).tags.sort();
      const n = Number(u.searchParams.get('n') ?? all.length);
      const last = u.searchParams.get('last');
      const rest = last ? all.filter((t) => t > last) : all;
      const page = rest.slice(0, n);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (rest.length > n) headers.link = `<${u.pathname}?n=${n}&last=${page.at(-1)}>; rel="next"`;
      res.writeHead(200, headers);
      res.end(JSON.stringify({ name: 'paged/tags', tags: page }));
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const lines: string[] = [];
      const paged = await RegistryStore.open(parseReference(`127.0.0.1:${(front.address() as AddressInfo).port}/paged/tags`) as RegistryReference, {
        env: { HOME: dir },
        log: { ...silentLog, debug: (m) => void lines.push(m) },
      });
      assert.deepEqual(await paged.listTags({ pageSize: 2 }), tags);
      const pages = lines.filter((l) => /^--> GET .*\/tags\/list/.test(l));
      assert.deepEqual(
        pages.map((l) => /\?(.*)$/.exec(l)![1]),
        ['n=2', 'n=2&last=b2', 'n=2&last=d4'],
      );
    } finally {
      front.close();
    }
    assert.deepEqual(await (await open('no/tags/here')).listTags(), []);
  });

  it('deletes a tag (by digest on distribution) and a manifest', async () => {
    const s = await open('deletes');
    await s.putBlob(enc('{}'));
    const one = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_EMPTY, digest: EMPTY_CONFIG_DIGEST, size: 2 },
      layers: [],
      annotations: { n: '1' },
    });
    const two = json({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_EMPTY, digest: EMPTY_CONFIG_DIGEST, size: 2 },
      layers: [],
      annotations: { n: '2' },
    });
    await s.putManifest(one, OCI_MANIFEST, { tag: 'one' });
    const d2 = (await s.putManifest(two, OCI_MANIFEST, { tag: 'two' })).digest;
    await s.deleteTag('one');
    assert.equal(await s.getManifest('one'), null);
    assert.ok(await s.getManifest('two'));
    await s.deleteManifest(d2);
    assert.equal(await s.getManifest(d2), null);
    await s.deleteTag('one'); // already gone: fine
    await s.deleteManifest(d2);
  });

  it('mounts a blob from another repository, and says no for one it does not have', async () => {
    const a = await open('mount/a');
    const b = await open('mount/b');
    const { digest } = await a.putBlob(enc('mount me ' + Math.random()));
    assert.equal(await b.hasBlob(digest), false);
    assert.equal(await b.mountBlob(digest, 'mount/a'), true);
    assert.equal(await b.hasBlob(digest), true);
    assert.equal(await b.mountBlob(sha256Digest(enc('nowhere')), 'mount/a'), false);
  });

  it('copies a multi-platform layout in with seal, which skopeo reads back byte for byte', async () => {
    const layout = await makeIndexLayout(join(dir, 'index-layout'));
    const src = await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log: silentLog });
    const dst = await open('copied/index');
    const r = await copyImage(src, dst, layout.tag);
    assert.equal(r.descriptor.digest, layout.digest);
    assert.equal(r.manifests, 3);
    const raw = await rawManifestWithSkopeo(reg, `copied/index:${layout.tag}`);
    assert.equal(raw.digest, layout.digest);
    const inspect = await inspectWithSkopeo(reg, `copied/index:${layout.tag}`);
    assert.equal(inspect.Architecture, 'amd64');

    // Copying again skips every blob the registry already has.
    const again = await copyImage(src, dst, layout.tag);
    assert.equal(again.blobsCopied, 0);
    assert.ok(again.blobsSkipped > 0);
  });

  it('reads an image skopeo pushed, and copies it registry to layout', async () => {
    const layout = await makeIndexLayout(join(dir, 'skopeo-src'));
    await pushWithSkopeo(layout.dir, layout.tag, reg, 'by/skopeo:v1');
    const s = await open('by/skopeo');
    const m = await s.getManifest('v1');
    assert.equal(m?.digest, layout.digest);
    const outDir = join(dir, 'pulled');
    const { LayoutStore } = await import('../../src/oci/layout.ts');
    const out = await LayoutStore.open(parseReference(`oci:${outDir}`) as LayoutReference, { env: {}, log: silentLog });
    await out.init();
    const r = await copyImage(s, out, 'v1');
    assert.equal(r.descriptor.digest, layout.digest);
    assert.equal((await out.getManifest('v1'))?.digest, layout.digest);
  });
});
