// Push and pull of one large random blob (default 200 MiB) on a local distribution registry:
// seal's registry client against skopeo copy and curl, same registry, same run.
//   node bench/registry-push-pull.ts [--mb 200] [--trials 3] [--json]
// Every trial builds a fresh OCI layout (new random layer, so no tool finds the blob already
// there or mounts it from elsewhere) and each tool pushes it into its own repository:
//   skopeo  copy oci:DIR:latest docker://… (layer + config + manifest) / copy back into oci:DIR
//   seal    store.putBlobFile(layer) / store.openBlob(digest) streamed into a file
//   curl    POST + PUT --data-binary @layer (digest computed beforehand, untimed) / GET -o file
// Tool order rotates per trial. Figures are medians; goal: seal >= 0.9 x skopeo's throughput.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { blobPath, httpRequest, makeImageLayout, pullWithSkopeo, pushWithSkopeo, requireTool, startRegistry } from '../test/harness/index.ts';
import { curlPull, curlPush, machine, median, openSealStore, parseArgs, sealClientMissing, sha256File, table, timed } from './registry-common.ts';

type Tool = 'skopeo' | 'seal' | 'curl';
const TOOLS: Tool[] = ['skopeo', 'seal', 'curl'];

const args = parseArgs(process.argv.slice(2));
const mib = Number(args.get('mb') ?? 200);
const trials = Number(args.get('trials') ?? 3);
const asJson = args.has('json');
const say = (msg: string): void => void process.stderr.write(`${msg}\n`);

await requireTool('skopeo', 'skopeo');
await requireTool('curl', 'curl');
const registry = await startRegistry('plain');
const work = await mkdtemp(join(tmpdir(), 'seal-bench-pushpull-'));
const samples: Record<Tool, { push: number[]; pull: number[] }> = {
  skopeo: { push: [], pull: [] },
  seal: { push: [], pull: [] },
  curl: { push: [], pull: [] },
};
const sealMissing = await sealClientMissing(registry.host);
if (sealMissing) say(`seal's registry client is not usable yet (${sealMissing}); measuring skopeo and curl only`);
let layerBytes = 0;

try {
  for (let trial = 1; trial <= trials; trial++) {
    const dir = join(work, `layout-${trial}`);
    say(`trial ${trial}/${trials}: building a ${mib} MiB layer`);
    const image = await makeImageLayout(dir, { extraBytes: mib * 1024 * 1024 });
    const layer = image.layers[0]!;
    const layerFile = blobPath(dir, layer.digest);
    layerBytes = layer.size;
    const order = TOOLS.map((_, i) => TOOLS[(i + trial - 1) % TOOLS.length]!);
    const repo = (tool: Tool) => `bench/${tool}-${trial}`;

    for (const tool of order) {
      if (tool === 'seal' && sealMissing) continue;
      const { seconds } = await timed(async () => {
        if (tool === 'skopeo') await pushWithSkopeo(dir, 'latest', registry, `${repo(tool)}:latest`);
        else if (tool === 'curl') await curlPush(registry.url, repo(tool), layerFile, layer.digest);
        else {
          const store = await openSealStore(registry.host, repo(tool));
          const put = await store.putBlobFile(layerFile);
          if (put.digest !== layer.digest || put.size !== layer.size) throw new Error(`seal pushed ${put.digest}/${put.size}`);
        }
      });
      // Untimed check that the blob landed whole.
      const head = await httpRequest(`${registry.url}/v2/${repo(tool)}/blobs/${layer.digest}`, { method: 'HEAD' });
      if (head.status !== 200 || Number(head.headers['content-length']) !== layer.size) {
        throw new Error(`${tool} push: HEAD blob answered ${head.status} ${head.headers['content-length']}`);
      }
      samples[tool].push.push(seconds);
      say(`  ${tool.padEnd(6)} push ${seconds.toFixed(2)} s`);
    }

    for (const tool of order) {
      if (tool === 'seal' && sealMissing) continue;
      const out = join(work, `pull-${tool}-${trial}`);
      const { seconds } = await timed(async () => {
        if (tool === 'skopeo') await pullWithSkopeo(registry, `${repo(tool)}:latest`, out);
        else if (tool === 'curl') await curlPull(registry.url, repo(tool), layer.digest, out);
        else {
          const store = await openSealStore(registry.host, repo(tool));
          const stream = await store.openBlob(layer.digest);
          await pipeline(stream, createWriteStream(out) as Writable);
        }
      });
      const file = tool === 'skopeo' ? blobPath(out, layer.digest) : out;
      const got = await stat(file);
      if (got.size !== layer.size) throw new Error(`${tool} pull wrote ${got.size} bytes, want ${layer.size}`);
      if (tool !== 'skopeo' && trial === 1 && (await sha256File(file)) !== layer.digest) {
        throw new Error(`${tool} pull: digest mismatch`);
      }
      samples[tool].pull.push(seconds);
      say(`  ${tool.padEnd(6)} pull ${seconds.toFixed(2)} s`);
      await rm(out, { recursive: true, force: true });
    }
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}

const MiB = 1024 * 1024;
const rate = (seconds: number[]): number => (seconds.length ? layerBytes / MiB / median(seconds) : NaN);
const result = Object.fromEntries(TOOLS.map((t) => [t, { pushMiBps: rate(samples[t].push), pullMiBps: rate(samples[t].pull), samples: samples[t] }])) as Record<
  Tool,
  { pushMiBps: number; pullMiBps: number; samples: { push: number[]; pull: number[] } }
>;
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) ? (a / b).toFixed(2) : 'n/a');

if (asJson) {
  process.stdout.write(`${JSON.stringify({ layerBytes, trials, result }, null, 2)}\n`);
} else {
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
  const secs = (xs: number[]): string => (xs.length ? median(xs).toFixed(2) : 'n/a');
  const lines = [
    `registry push/pull: ${(layerBytes / MiB).toFixed(1)} MiB blob, ${trials} trial(s), medians`,
    await machine(),
    '',
    table(
      ['tool', 'push MiB/s', 'pull MiB/s', 'push s', 'pull s'],
      TOOLS.map((t) => [t, fmt(result[t].pushMiBps), fmt(result[t].pullMiBps), secs(samples[t].push), secs(samples[t].pull)]),
    ),
    '',
    `seal/skopeo: push ${ratio(result.seal.pushMiBps, result.skopeo.pushMiBps)}, pull ${ratio(result.seal.pullMiBps, result.skopeo.pullMiBps)} (goal >= 0.90)`,
    `seal/curl:   push ${ratio(result.seal.pushMiBps, result.curl.pushMiBps)}, pull ${ratio(result.seal.pullMiBps, result.curl.pullMiBps)}`,
    'skopeo times include its process start and the config + manifest; curl skips hashing.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
