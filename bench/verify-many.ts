// seal verify of N signed images in one invocation on a local registry: images/s, and the HTTP
// requests per sign and per verify (counted by the fault proxy) against the protocol minimum.
// Reference in the same run: a bare fetch loop doing the minimum reads of a legacy verification
// (GET image manifest, GET .sig manifest, GET payload blob) for the same images, 8 at a time.
//   node bench/verify-many.ts [--images 100]
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
const work = await mkdtemp(path.join(tmpdir(), 'seal-bench-verify-'));
const reg = await startRegistry('plain');
const proxy = await startFaultProxy(reg.url);
const seal = new URL('../bin/seal.js', import.meta.url).pathname;

// Asynchronous on purpose: the fault proxy runs in this process and must keep serving.
function run(a: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [seal, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  proxy.reset();
  const signMs = await run(['sign', '--key', key, '--concurrency', '8', ...refs]);
  const signReqs = proxy.requests.length;
  proxy.reset();
  const verifyMs = await run(['verify', '--key', pub, '--concurrency', '8', ...refs]);
  const verifyReqs = proxy.requests.length;

  const accept = 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json';
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < N) {
        const i = next++;
        const base = `${reg.url}/v2/bench${i}`;
        await (await fetch(`${base}/manifests/v1`, { headers: { accept } })).arrayBuffer();
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
  console.log(`seal sign   (one invocation): ${f(signMs)} ms, ${f((N * 1000) / signMs)} images/s, ${f(signReqs / N)} requests/image (minimum 7)`);
  console.log(`seal verify (one invocation): ${f(verifyMs)} ms, ${f((N * 1000) / verifyMs)} images/s, ${f(verifyReqs / N)} requests/image (minimum 5)`);
  console.log(`reference (3 bare reads/image, no crypto, no process start): ${f(refMs)} ms, ${f((N * 1000) / refMs)} images/s`);
  console.log(`ratio seal verify / reference throughput: ${f(refMs / verifyMs)}`);
  console.log('minimum per verify of both formats: resolve tag, .sig manifest, payload blob, referrers probe, fallback tag = 5');
  console.log('minimum per legacy sign: resolve tag, read .sig, upload payload and config (2 PUT-style ops), PUT manifest, confirming re-read = 7 (seal also HEADs blobs and pings /v2/)');
} finally {
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
}
