// HTTP requests per registry operation, counted by the fault proxy (no faults set), against the
// fewest the distribution protocol allows. Each operation opens a fresh store, as one CLI run
// would, so connection set-up requests (the /v2/ ping, auth challenges) are included.
//   node bench/registry-requests.ts [--json]
// Runs against a plain registry and a bearer-token registry (token fetches go straight to the
// token server and are counted separately). skopeo's counts for the same push and manifest
// read are shown for reference.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OCI_CONFIG, OCI_MANIFEST } from '../src/oci/media-types.ts';
import type { ImageStore } from '../src/oci/store.ts';
import type { Descriptor } from '../src/oci/types.ts';
import {
  makeImageLayout,
  pushWithSkopeo,
  rawManifestWithSkopeo,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ProxiedRequest,
  type RunningRegistry,
} from '../test/harness/index.ts';
import { openSealStore, parseArgs, sealClientMissing, table, timed } from './registry-common.ts';

interface Operation {
  name: string;
  /** The fewest requests the protocol needs against distribution 2.8 (no referrers API, no single-POST upload). */
  minimum: number;
  why: string;
  run(store: ImageStore, state: State): Promise<void>;
}

interface State {
  image?: { digest: string; manifest: Buffer; blobs: Buffer[] };
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function smallImage(): { manifest: Buffer; blobs: Buffer[]; digest: string } {
  const layer = randomBytes(2048);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  return { manifest, blobs: [layer, config], digest: sha256(manifest) };
}

async function signLegacy(store: ImageStore, state: State): Promise<void> {
  const { appendLegacyLayer } = await import('../src/cosign/legacy.ts');
  const { SIMPLESIGNING_MEDIA_TYPE, ANNOTATION } = await import('../src/cosign/layout.ts');
  const image = await store.getManifest('v1'); // resolve the tag, as `seal sign` does
  if (!image || image.digest !== state.image!.digest) throw new Error('image not found');
  const payload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': image.digest } }, n: randomBytes(4).toString('hex') }));
  const layer: Descriptor = {
    mediaType: SIMPLESIGNING_MEDIA_TYPE,
    size: payload.length,
    digest: sha256(payload),
    annotations: { [ANNOTATION.signature]: randomBytes(64).toString('base64') },
  };
  await appendLegacyLayer(store, image.digest, 'sig', layer, payload);
}

const OPERATIONS: Operation[] = [
  {
    name: 'push image (2 new blobs + manifest)',
    minimum: 5,
    why: 'POST+PUT per blob, PUT manifest',
    async run(store, state) {
      const img = smallImage();
      state.image = img;
      for (const blob of img.blobs) await store.putBlob(blob);
      await store.putManifest(img.manifest, OCI_MANIFEST, { tag: 'v1' });
    },
  },
  {
    name: 'push same image again',
    minimum: 3,
    why: 'HEAD per blob (exists), PUT manifest',
    async run(store, state) {
      for (const blob of state.image!.blobs) await store.putBlob(blob);
      await store.putManifest(state.image!.manifest, OCI_MANIFEST, { tag: 'v1' });
    },
  },
  {
    name: 'pull manifest by tag',
    minimum: 1,
    why: 'GET manifest',
    async run(store, state) {
      const got = await store.getManifest('v1');
      if (got?.digest !== state.image!.digest) throw new Error('wrong manifest');
    },
  },
  {
    name: 'pull blob (stream)',
    minimum: 1,
    why: 'GET blob',
    async run(store, state) {
      let n = 0;
      for await (const chunk of await store.openBlob(sha256(state.image!.blobs[0]!))) n += chunk.length;
      if (n !== state.image!.blobs[0]!.length) throw new Error('short blob');
    },
  },
  {
    name: 'sign legacy .sig (first signature)',
    minimum: 7,
    why: 'GET image, POST+PUT payload, GET .sig (404), POST+PUT config, PUT .sig; seal adds the confirming GET that keeps concurrent signatures (docs/design/safe-update.md)',
    run: signLegacy,
  },
  {
    name: 'sign legacy .sig (append 2nd)',
    minimum: 7,
    why: 'GET image, POST+PUT payload, GET .sig, POST+PUT new config, PUT .sig; seal adds the config made in advance for a first signature (POST+PUT), the HEAD check before the PUT, the If-Match probe (once per registry and command) and the confirming GET',
    run: signLegacy,
  },
  {
    name: 'attach bundle referrer (fallback)',
    minimum: 9,
    why: 'GET image, POST+PUT bundle, POST+PUT {} config (new repo), PUT manifest (no OCI-Subject: fallback), GET+PUT sha256-<hex> index',
    async run(store, state) {
      const { attachBundle } = await import('../src/cosign/referrer-bundles.ts');
      const image = await store.getManifest('v1');
      if (!image) throw new Error('image not found');
      const subject = { mediaType: image.mediaType, digest: image.digest, size: image.bytes.length };
      await attachBundle(store, subject, Buffer.from(JSON.stringify({ fake: randomBytes(8).toString('hex') })), {
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
      });
      void state;
    },
  },
];

function maxGap(requests: ProxiedRequest[]): number {
  let gap = 0;
  for (let i = 1; i < requests.length; i++) {
    const prev = requests[i - 1]!;
    gap = Math.max(gap, requests[i]!.at - (prev.at + prev.ms));
  }
  return gap;
}

/** `GET manifest 404`-style labels, grouped with counts. */
function breakdown(requests: ProxiedRequest[]): string {
  const label = (r: ProxiedRequest): string => {
    const path = r.path.split('?')[0]!;
    let what = 'other';
    if (path === '/v2/' || path === '/v2') what = 'ping';
    else if (/\/blobs\/uploads\//.test(path)) what = 'upload';
    else if (/\/blobs\//.test(path)) what = 'blob';
    else if (/\/manifests\//.test(path)) what = 'manifest';
    else if (/\/referrers\//.test(path)) what = 'referrers';
    else if (/\/tags\/list$/.test(path)) what = 'tags';
    return `${r.method} ${what}${r.status >= 300 ? ` ${r.status}` : ''}`;
  };
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(label(r), (counts.get(label(r)) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} x${n}` : k)).join(', ');
}

interface Row {
  registry: string;
  operation: string;
  requests: number;
  minimum: number;
  tokenRequests: number;
  ms: number;
  /** Longest idle time between one response ending and the next request arriving. */
  maxGapMs: number;
  breakdown: string;
  why: string;
}

async function measure(kind: 'plain' | 'token', reg: RunningRegistry, proxy: FaultProxy): Promise<Row[]> {
  const rows: Row[] = [];
  const state: State = {};
  const repo = `req/${kind}`;
  const auth = reg.username ? { username: reg.username, password: reg.password } : {};
  for (const op of OPERATIONS) {
    proxy.reset();
    const tokensBefore = reg.tokenServer?.requests.length ?? 0;
    const { seconds } = await timed(async () => op.run(await openSealStore(proxy.host, repo, auth), state));
    rows.push({
      registry: kind,
      operation: op.name,
      requests: proxy.count(),
      minimum: op.minimum,
      tokenRequests: (reg.tokenServer?.requests.length ?? 0) - tokensBefore,
      ms: Math.round(seconds * 1000),
      maxGapMs: maxGap(proxy.requests),
      breakdown: breakdown(proxy.requests),
      why: op.why,
    });
  }
  return rows;
}

async function skopeoRows(reg: RunningRegistry, proxy: FaultProxy): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'seal-bench-req-'));
  try {
    const img = await makeImageLayout(dir);
    const target = { host: proxy.host, username: reg.username, password: reg.password };
    proxy.reset();
    const push = await timed(() => pushWithSkopeo(dir, 'latest', target, 'req/skopeo:v1'));
    const pushRow: Row = {
      registry: reg.kind,
      operation: 'skopeo copy (2 new blobs + manifest)',
      requests: proxy.count(),
      minimum: 5,
      tokenRequests: 0,
      ms: Math.round(push.seconds * 1000),
      maxGapMs: maxGap(proxy.requests),
      breakdown: breakdown(proxy.requests),
      why: 'reference client',
    };
    proxy.reset();
    const raw = await timed(() => rawManifestWithSkopeo(target, 'req/skopeo:v1'));
    if (raw.value.digest !== img.digest) throw new Error('skopeo read another manifest');
    const readRow: Row = {
      registry: reg.kind,
      operation: 'skopeo inspect --raw (manifest)',
      requests: proxy.count(),
      minimum: 1,
      tokenRequests: 0,
      ms: Math.round(raw.seconds * 1000),
      maxGapMs: maxGap(proxy.requests),
      breakdown: breakdown(proxy.requests),
      why: 'reference client',
    };
    return [pushRow, readRow];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const args = parseArgs(process.argv.slice(2));
const rows: Row[] = [];
for (const kind of ['plain', 'token'] as const) {
  const reg = await startRegistry(kind);
  const proxy = await startFaultProxy(reg.url);
  try {
    const missing = await sealClientMissing(proxy.host);
    if (missing) process.stderr.write(`seal's registry client is not usable yet (${missing}); skopeo only\n`);
    else rows.push(...(await measure(kind, reg, proxy)));
    rows.push(...(await skopeoRows(reg, proxy)));
  } finally {
    await proxy.stop();
    await reg.stop();
  }
}

if (args.has('json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(
    [
      'registry requests per operation (fresh store per operation; counted at the proxy)',
      'minimum: fewest requests distribution 2.8 allows without auth; a token registry adds one 401 + retry',
      '',
      table(
        ['registry', 'operation', 'requests', 'minimum', 'extra', 'token GETs', 'ms', 'max gap ms', 'requests seen'],
        rows.map((r) => [
          r.registry,
          r.operation,
          String(r.requests),
          String(r.minimum),
          r.requests - r.minimum > 0 ? `+${r.requests - r.minimum}` : String(r.requests - r.minimum),
          String(r.tokenRequests),
          String(r.ms),
          String(r.maxGapMs),
          r.breakdown,
        ]),
      ),
      'ms: wall time of the operation; max gap: longest pause between requests (client-side waits:',
      "  seal's sign waits three times its read-modify-write window before re-reading the tag, by design; anything longer is a stall).",
      '',
      'minimum, per operation:',
      ...OPERATIONS.map((o) => `  ${o.name}: ${o.minimum} = ${o.why}`),
      '',
    ].join('\n'),
  );
}
