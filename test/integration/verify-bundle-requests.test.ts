// Issue 12: a bundle-format image verifies with as many requests and round trips as a legacy one
// on a registry without the referrers API. seal embeds (image-spec descriptor `data`) the referrer
// manifest in the fallback index and the bundle in the manifest, so the index read brings both;
// every embedded copy is used only when it hashes to the digest that names it, and the whole
// bundle is verified as before. Counted at the fault proxy in front of a real distribution 2.8.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, startRegistry, type FaultProxy, type ProxiedRequest, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { pushImage, type PushedImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub, keys } = await workspace('seal-verify-bundle-requests-', ['key', 'other']);
const ACCEPT = 'application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface Report {
  verified: boolean;
  signatures: { format: string; verified: boolean; id: string }[];
}
interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  data?: string;
  annotations?: Record<string, string>;
  artifactType?: string;
}

/** What a request is, by path: the kinds a verify makes. */
function kindOf(q: ProxiedRequest): string {
  if (q.path === '/v2/') return 'ping';
  if (q.path.includes('/referrers/')) return 'referrers';
  if (q.path.includes('/blobs/')) return 'blob';
  if (/\/manifests\/sha256-[a-f0-9]{64}\.sig$/.test(q.path)) return 'sig';
  if (/\/manifests\/sha256-[a-f0-9]{64}$/.test(q.path)) return 'fallback';
  if (/\/manifests\/sha256:[a-f0-9]{64}$/.test(q.path)) return 'manifest by digest';
  return 'image';
}

const kinds = (reqs: ProxiedRequest[]) => reqs.map(kindOf).sort();

/**
 * Round trips: the longest chain of requests each sent after the previous one's answer (the
 * proxy delays every answer, so overlapping requests are told apart from chained ones).
 */
function roundTrips(reqs: ProxiedRequest[]): number {
  const depth: number[] = [];
  for (const [i, r] of reqs.entries()) {
    let d = 1;
    for (let j = 0; j < i; j++) if (reqs[j]!.at + reqs[j]!.ms <= r.at) d = Math.max(d, depth[j]! + 1);
    depth.push(d);
  }
  return Math.max(0, ...depth);
}

describe('bundle-format verify: requests and round trips', () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  let bundleImg: PushedImage;
  let legacyImg: PushedImage;

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    bundleImg = await pushImage(reg, work, 'req-bundle');
    legacyImg = await pushImage(reg, work, 'req-legacy');
    for (const [img, format] of [
      [bundleImg, 'bundle'],
      [legacyImg, 'legacy'],
    ] as const) {
      // Through the proxy: a legacy payload names the repository as signed, and verify foresees
      // the payload seal writes for the name it is given (ops/verify.ts).
      const s = await runCli(['sign', '--key', key, '--format', format, `${proxy.host}/${img.name}`]);
      assert.equal(s.code, 0, s.stderr);
    }
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  const verify = async (img: PushedImage, k = pub) => {
    proxy.reset();
    proxy.setFaults([{ action: { delayMs: 40 } }]);
    try {
      const v = await runCli(['verify', '--key', k, '-o', 'json', `${proxy.host}/${img.name}`]);
      return { ...v, reqs: proxy.requests.filter((q) => q.path !== '/v2/'), reports: v.code === 0 ? (JSON.parse(v.stdout) as Report[]) : [] };
    } finally {
      proxy.setFaults([]);
    }
  };

  test('the index seal writes embeds the referrer manifest, which embeds the bundle', async () => {
    const index = await getJson(`${reg.url}/v2/req-bundle/manifests/sha256-${bundleImg.digest.slice(7)}`);
    assert.equal(index.manifests.length, 1);
    const entry = index.manifests[0]!;
    assert.ok(entry.data, 'the entry carries its manifest');
    const stored = Buffer.from(await (await fetch(`${reg.url}/v2/req-bundle/manifests/${entry.digest}`, { headers: { accept: MANIFEST } })).arrayBuffer());
    assert.deepEqual(Buffer.from(entry.data, 'base64'), stored, 'byte for byte the stored manifest');
    const layer = (JSON.parse(stored.toString()) as { layers: Desc[] }).layers[0]!;
    const blob = Buffer.from(await (await fetch(`${reg.url}/v2/req-bundle/blobs/${layer.digest}`)).arrayBuffer());
    assert.deepEqual(Buffer.from(layer.data!, 'base64'), blob, 'byte for byte the stored bundle blob');
  });

  test('bundle: 3 requests in 2 round trips per image, as legacy (the referrers probe aside)', async () => {
    const b = await verify(bundleImg);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(
      b.reports[0]!.signatures.map((s) => [s.format, s.verified]),
      [['bundle', true]],
    );
    assert.deepEqual(kinds(b.reqs), ['fallback', 'image', 'referrers', 'sig'], b.reqs.map((q) => q.path).join('\n'));
    const l = await verify(legacyImg);
    assert.equal(l.code, 0, l.stderr);
    assert.deepEqual(kinds(l.reqs), ['fallback', 'image', 'referrers', 'sig'], l.reqs.map((q) => q.path).join('\n'));
    assert.equal(roundTrips(b.reqs), 2, b.reqs.map((q) => `${q.at} +${q.ms} ${q.path}`).join('\n'));
    assert.equal(roundTrips(l.reqs), 2);
  });

  test('a digest reference: the manifest, the .sig tag and the fallback index are read at once, one round trip, both formats', async () => {
    for (const img of [bundleImg, legacyImg]) {
      const v = await verify({ ...img, name: `${img.name.split(':')[0]}@${img.digest}` });
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.reports[0]!.verified, true);
      assert.deepEqual(kinds(v.reqs), ['fallback', 'manifest by digest', 'referrers', 'sig'], v.reqs.map((q) => q.path).join('\n'));
      assert.equal(roundTrips(v.reqs), 1, v.reqs.map((q) => `${q.at} +${q.ms} ${q.path}`).join('\n'));
    }
  });

  test('a digest reference whose manifest read fails is not verified, though its signatures were read alongside', async () => {
    const name = `${bundleImg.name.split(':')[0]}@${bundleImg.digest}`;
    proxy.reset();
    // The manifest arrives altered: it does not hash to the digest asked for.
    proxy.setFaults([{ method: 'GET', path: /\/manifests\/sha256:/, action: { corrupt: true } }]);
    try {
      const v = await runCli(['verify', '--key', pub, '--registry-retries', '0', `${proxy.host}/${name}`]);
      assert.notEqual(v.code, 0, v.stdout);
      assert.match(v.stderr, /digest/);
      assert.ok(
        proxy.requests.some((q) => kindOf(q) === 'fallback'),
        'the signatures were looked up alongside',
      );
    } finally {
      proxy.reset();
    }
    const missing = await runCli(['verify', '--key', pub, `${proxy.host}/req-bundle@sha256:${'0'.repeat(64)}`]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /not found/);
  });

  test('a foreign key still fails with the embedded bundle (the whole bundle is verified)', async () => {
    const v = await verify(bundleImg, keys.other!.pub);
    assert.equal(v.code, 12, v.stderr);
  });

  test('an index without embedded content (cosign, older seal) is read as before: manifest and blob by digest', async () => {
    const img = await pushImage(reg, work, 'req-plain');
    const s = await runCli(['sign', '--key', key, '--format', 'bundle', img.ref]);
    assert.equal(s.code, 0, s.stderr);
    const tag = `sha256-${img.digest.slice(7)}`;
    const index = await getJson(`${reg.url}/v2/req-plain/manifests/${tag}`);
    index.manifests = index.manifests.map(({ data: _data, ...d }) => d);
    await put(`${reg.url}/v2/req-plain/manifests/${tag}`, INDEX, Buffer.from(JSON.stringify(index)));
    const v = await verify(img);
    assert.equal(v.code, 0, v.stderr);
    assert.deepEqual(kinds(v.reqs), ['fallback', 'image', 'manifest by digest', 'referrers', 'sig'], v.reqs.map((q) => q.path).join('\n'));
    assert.equal(roundTrips(v.reqs), 3, 'the manifest embeds the bundle: no blob read');
  });

  test('an index keeps at most 128 KiB of embedded manifests; entries with bogus copies are read by digest or skipped', async () => {
    const img = await pushImage(reg, work, 'req-cap');
    const tag = `sha256-${img.digest.slice(7)}`;
    const s1 = await runCli(['sign', '--key', key, '--format', 'bundle', img.ref]);
    assert.equal(s1.code, 0, s1.stderr);
    const index = await getJson(`${reg.url}/v2/req-cap/manifests/${tag}`);
    const real = JSON.parse(Buffer.from(index.manifests[0]!.data!, 'base64').toString()) as { annotations: Record<string, string> };
    // 40 more referrers (copies of the first with another creation time), each listed with 4 KiB
    // of "embedded" bytes that are not the manifest.
    for (let i = 0; i < 40; i++) {
      const copy = Buffer.from(
        JSON.stringify({
          ...real,
          annotations: { ...real.annotations, 'org.opencontainers.image.created': `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` },
        }),
      );
      const digest = await put(`${reg.url}/v2/req-cap/manifests/sha256:${sha256(copy)}`, MANIFEST, copy);
      index.manifests.push({ ...index.manifests[0]!, digest, size: copy.length, data: Buffer.alloc(3072, i).toString('base64') });
    }
    await put(`${reg.url}/v2/req-cap/manifests/${tag}`, INDEX, Buffer.from(JSON.stringify(index)));
    const s2 = await runCli(['sign', '--key', key, '--format', 'bundle', img.ref]);
    assert.equal(s2.code, 0, s2.stderr);
    const after = await getJson(`${reg.url}/v2/req-cap/manifests/${tag}`);
    assert.equal(after.manifests.length, 42, 'every entry kept');
    const embedded = after.manifests.reduce((n, d) => n + (d.data?.length ?? 0), 0);
    assert.ok(embedded <= 128 * 1024, `${embedded} characters embedded`);
    assert.ok(
      after.manifests.some((d) => d.data === undefined),
      'entries beyond the budget are listed without their copy',
    );
    const v = await runCli(['verify', '--key', pub, '-o', 'json', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    const reports = JSON.parse(v.stdout) as Report[];
    assert.equal(reports[0]!.signatures.length, 42, 'the copies are read by digest and count (their bundle is the first one)');
    assert.ok(reports[0]!.signatures.every((x) => x.format === 'bundle' && x.verified));
  });

  test('embedded copies that are not the content their digest names are not used: the real ones are read and decide', async () => {
    // The only real referrer is signed by another key; the index entry, then the manifest, embed
    // a good bundle by the trusted key (taken from an earlier signature of this image) under
    // digests that do not name it.
    const img = await pushImage(reg, work, 'req-forged');
    const tag = `sha256-${img.digest.slice(7)}`;
    // A genuine signature by the trusted key, to take the embedded copies from.
    const good = await runCli(['sign', '--key', key, '--format', 'bundle', img.ref]);
    assert.equal(good.code, 0, good.stderr);
    const goodEntry = (await getJson(`${reg.url}/v2/req-forged/manifests/${tag}`)).manifests[0]!;
    const goodManifest = JSON.parse(Buffer.from(goodEntry.data!, 'base64').toString()) as { layers: Desc[] };
    // Start over with only a signature by the other key.
    await put(`${reg.url}/v2/req-forged/manifests/${tag}`, INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [] })));
    const bad = await runCli(['sign', '--key', keys.other!.key, '--format', 'bundle', img.ref]);
    assert.equal(bad.code, 0, bad.stderr);
    const index = await getJson(`${reg.url}/v2/req-forged/manifests/${tag}`);
    assert.equal(index.manifests.length, 1);
    const entry = index.manifests[0]!;
    const realManifest = JSON.parse(Buffer.from(entry.data!, 'base64').toString()) as { layers: Desc[] };

    // 1. The index entry embeds a manifest whose layer (and embedded bundle) is the good one.
    const forgedManifest = { ...realManifest, layers: [goodManifest.layers[0]!] };
    entry.data = Buffer.from(JSON.stringify(forgedManifest)).toString('base64');
    await put(`${reg.url}/v2/req-forged/manifests/${tag}`, INDEX, Buffer.from(JSON.stringify(index)));
    const v1 = await verify(img);
    assert.equal(v1.code, 12, `the forged manifest must not be used: ${v1.stderr}`);
    assert.ok(kinds(v1.reqs).includes('manifest by digest'), 'the real manifest is read');

    // 2. The real manifest, re-embedded with the good bundle in its layer's data: a manifest
    // with another digest, so the entry names it by that digest; its layer digest still names the
    // bad bundle.
    const forgedLayer = { ...realManifest.layers[0]!, data: goodManifest.layers[0]!.data };
    const m2 = Buffer.from(JSON.stringify({ ...realManifest, layers: [forgedLayer] }));
    const d2 = await put(`${reg.url}/v2/req-forged/manifests/sha256:${sha256(m2)}`, MANIFEST, m2);
    entry.digest = d2;
    entry.size = m2.length;
    entry.data = m2.toString('base64');
    await put(`${reg.url}/v2/req-forged/manifests/${tag}`, INDEX, Buffer.from(JSON.stringify(index)));
    const v2 = await verify(img);
    assert.equal(v2.code, 12, `the forged bundle must not be used: ${v2.stderr}`);
    assert.ok(kinds(v2.reqs).includes('blob'), 'the real bundle is read');
  });
});

async function getJson(url: string): Promise<{ manifests: Desc[] }> {
  const r = await fetch(url, { headers: { accept: ACCEPT } });
  assert.equal(r.status, 200, url);
  return (await r.json()) as { manifests: Desc[] };
}

async function put(url: string, mediaType: string, body: Buffer): Promise<string> {
  const r = await fetch(url, { method: 'PUT', body, headers: { 'content-type': mediaType } });
  assert.equal(r.status, 201, `${url}: ${await r.text()}`);
  return r.headers.get('docker-content-digest')!;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
