// seal verify of N signed images in one invocation on a local registry: images/s, and the HTTP
// requests per sign and per verify (counted by the fault proxy) against the protocol minimum.
// Reference in the same run: a bare fetch loop doing the minimum reads of a legacy verification
// (GET image manifest, GET .sig manifest, GET payload blob) for the same images, 8 at a time.
//   node bench/verify-many.ts [--images 100] [--runs 3] [--cpu-prof DIR] [--seal A/bin/seal.js,B/bin/seal.js] [--concurrency 8] [--format legacy|bundle]
// --runs repeats the verify (not the sign) over the same images and reports the median;
// --cpu-prof writes a V8 CPU profile of the sign and of each verify run into DIR (node --cpu-prof);
// --format signs (and so verifies) that format (default legacy);
// --seal compares builds (e.g. private copies of two commits) on the same images, runs alternating.
// Set SEAL_FROM_SOURCE=1 to measure src/ rather than a dist/ that may be older.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLog } from '../src/log.ts';
import { copyImage } from '../src/oci/copy.ts';
import { LayoutStore } from '../src/oci/layout.ts';
import { parseReference, type LayoutReference, type RegistryReference } from '../src/oci/reference.ts';
import { RegistryStore } from '../src/oci/registry/store.ts';
import { makeImageLayout, startFaultProxy, startRegistry } from '../test/harness/index.ts';
import { parseArgs } from './registry-common.ts';

const args = parseArgs(process.argv.slice(2));
const N = Number(args.get('images') ?? 100);
const RUNS = Math.max(1, Number(args.get('runs') ?? 1));
const cpuProf = args.get('cpu-prof');
const CONCURRENCY = args.get('concurrency') ?? '8';
const FORMAT = args.get('format') ?? 'legacy';
const work = await mkdtemp(path.join(tmpdir(), 'seal-bench-verify-'));
const reg = await startRegistry('plain');
const proxy = await startFaultProxy(reg.url);
const seals = args.get('seal')?.split(',') ?? [new URL('../bin/seal.js', import.meta.url).pathname];

// Asynchronous on purpose: the fault proxy runs in this process and must keep serving.
function run(a: string[], nodeArgs: string[] = [], seal = seals[0]!): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, seal, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`seal ${a[0]} exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

try {
  const key = path.join(work, 'k.pem');
  const pub = path.join(work, 'k.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  const refs: string[] = [];
  const digests: string[] = [];
  for (let i = 0; i < N; i++) {
    const img = await makeImageLayout(path.join(work, `img${i}`));
    const src = await LayoutStore.open(parseReference(`oci:${img.dir}`) as LayoutReference, { env: {}, log: silentLog });
    const dst = await RegistryStore.open(parseReference(`${reg.host}/bench${i}`) as RegistryReference, { env: {}, log: silentLog });
    await copyImage(src, dst, 'latest', { tag: 'v1' });
    refs.push(`${proxy.host}/bench${i}:v1`);
    digests.push(img.digest);
  }
  /** Requests by kind: a sign's or a verify's, as the proxy saw them. */
  const byKind = () => {
    const kinds = new Map<string, number>();
    for (const q of proxy.requests) {
      const kind =
        q.path === '/v2/'
          ? 'ping /v2/'
          : q.path.includes('/referrers/')
            ? 'referrers API'
            : q.path.includes('/blobs/uploads/')
              ? `${q.method} upload`
              : q.path.includes('/blobs/')
                ? `${q.method} blob`
                : /\/manifests\/sha256-[a-f0-9]{64}\.sig$/.test(q.path)
                  ? `${q.method} .sig tag`
                  : /\/manifests\/sha256-[a-f0-9]{64}$/.test(q.path)
                    ? `${q.method} fallback tag`
                    : /\/manifests\/sha256:[a-f0-9]{64}$/.test(q.path)
                      ? `${q.method} manifest by digest`
                      : `${q.method} ${q.path.replace(/^\/v2\/bench\d+/, '<repo>')}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return kinds;
  };
  const prof = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  proxy.reset();
  const signMs = await run(['sign', '--key', key, '--format', FORMAT, '--concurrency', '8', ...refs], prof);
  const signReqs = proxy.requests.length;
  const signKinds = byKind();
  const verifyRuns = seals.map((): number[] => []);
  const reqsOf: number[] = [];
  let verifyReqs = 0;
  let kinds = new Map<string, number>();
  for (let r = 0; r < RUNS; r++) {
    for (const [b, seal] of seals.entries()) {
      proxy.reset();
      verifyRuns[b]!.push(await run(['verify', '--key', pub, '--concurrency', CONCURRENCY, ...refs], prof, seal));
      verifyReqs = reqsOf[b] = proxy.requests.length;
      kinds = byKind();
      if (seals.length > 1)
        console.log(
          `  ${seal} run ${r + 1}: ${verifyRuns[b]!.at(-1)!.toFixed(1)} ms, ${(verifyReqs / N).toFixed(2)} requests/image (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
        );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const verifyMs = median(verifyRuns[0]!);
  verifyReqs = reqsOf[0]!;
  const accept = 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json';
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < N) {
        const i = next++;
        const base = `${reg.url}/v2/bench${i}`;
        await (await fetch(`${base}/manifests/v1`, { headers: { accept } })).arrayBuffer();
        if (FORMAT === 'bundle') {
          // Three reads as well: the fallback index, then the referrer manifest it lists.
          const index = (await (await fetch(`${base}/manifests/sha256-${digests[i]!.slice(7)}`, { headers: { accept } })).json()) as {
            manifests: { digest: string }[];
          };
          await (await fetch(`${base}/manifests/${index.manifests[0]!.digest}`, { headers: { accept } })).arrayBuffer();
          continue;
        }
        const sig = (await (await fetch(`${base}/manifests/sha256-${digests[i]!.slice(7)}.sig`, { headers: { accept } })).json()) as {
          layers: { digest: string }[];
        };
        await (await fetch(`${base}/blobs/${sig.layers[0]!.digest}`)).arrayBuffer();
      }
    }),
  );
  const refMs = performance.now() - t0;
  const f = (n: number) => n.toFixed(1);
  console.log(`images: ${N}`);
  console.log(`seal sign --format ${FORMAT} (one invocation): ${f(signMs)} ms, ${f((N * 1000) / signMs)} images/s, ${f(signReqs / N)} requests/image`);
  console.log(`  requests of the sign: ${[...signKinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(
    `seal verify (one invocation${seals.length > 1 ? `, ${seals[0]}` : ''}): ${f(verifyMs)} ms, ${f((N * 1000) / verifyMs)} images/s, ${f(verifyReqs / N)} requests/image (3 when the payload is foreseen)`,
  );
  if (RUNS > 1) console.log(`  verify runs (ms): ${verifyRuns[0]!.map(f).join(', ')}; median above`);
  for (const [b, seal] of seals.entries()) {
    if (b === 0) continue;
    const ms = median(verifyRuns[b]!);
    console.log(
      `seal verify, ${seal}: ${f(ms)} ms median (${verifyRuns[b]!.map(f).join(', ')}), ${f((N * 1000) / ms)} images/s, ${f(reqsOf[b]! / N)} requests/image`,
    );
    console.log(`  ratio ${seal} / reference throughput: ${f(refMs / ms)}`);
  }
  console.log(`  requests of the last verify: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(
    `reference (3 bare reads/image: ${FORMAT === 'bundle' ? 'image, fallback index, referrer manifest' : 'image, .sig, payload'}; no crypto, no process start): ${f(refMs)} ms, ${f((N * 1000) / refMs)} images/s`,
  );
  console.log(`ratio seal verify / reference throughput: ${f(refMs / verifyMs)}`);
  console.log(
    'per verify of both formats: resolve tag, .sig manifest, fallback tag, and the payload blob unless seal foresees it (the payload it would write has the layer digest), the referrer manifest and bundle unless the index embeds them (seal writes them so) = 3-5 per image, plus the /v2/ ping and the referrers-API probe once per registry',
  );
  console.log(
    'per legacy first signature: resolve tag, upload payload and config (POST+PUT each), read .sig, PUT .sig, confirming re-read = 8 (the peer does 7, without the re-read that keeps concurrent signatures)',
  );
} finally {
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
}
