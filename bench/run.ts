// npm run bench: the table of issue 12 from a clean checkout, every figure a ratio against a
// reference measured in the same run (the machine is shared; absolute times move with its load).
//   node bench/run.ts [--trials 5] [--images 100] [--blob-mb 1024] [--no-build] [--skip one,many,startup,blob] [--seal DIR]
// Builds what an installed seal runs (scripts/dist.mjs: dist/seal.cjs, which bin/seal.js prefers,
// and the single executable), starts a CNCF distribution registry (test/harness), and measures:
//   sign/verify of one image: seal vs bench/peer/cosign_peer.py (python3 + cryptography), alternating;
//   one bundle-format image verify vs one legacy image verify;
//   100 images signed in one call vs a bare push of what a legacy signature writes, and verified in
//   one call vs the bare-fetch reference of bench/verify-many.ts, both formats;
//   start-up of every verify command on a small input vs `node -e 0`; the executable vs `node bin/seal.js`;
//   sign-blob/verify-blob of a large file vs openssl;
// with the peak RSS of each seal run (/usr/bin/time). Medians of --trials runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLog } from '../src/log.ts';
import { copyImage } from '../src/oci/copy.ts';
import { LayoutStore } from '../src/oci/layout.ts';
import { parseReference, type LayoutReference, type RegistryReference } from '../src/oci/reference.ts';
import { RegistryStore } from '../src/oci/registry/store.ts';
import { mapPool } from '../src/util/pool.ts';
import { makeImageLayout, startRegistry } from '../test/harness/index.ts';
import { parseArgs } from './registry-common.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const TRIALS = Number(args.get('trials') ?? 5);
const IMAGES = Number(args.get('images') ?? 100);
const BLOB_MB = Number(args.get('blob-mb') ?? 1024);
const skip = new Set((args.get('skip') ?? '').split(',').filter(Boolean));
// --seal DIR: another checkout's launcher (e.g. an older commit, built there), for before/after.
const SEAL = args.has('seal') ? path.resolve(args.get('seal')!, 'bin/seal.js') : path.join(root, 'bin/seal.js');
const EXE = path.join(root, 'release/seal-linux-x64');
const PEER = path.join(root, 'bench/peer/cosign_peer.py');
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);

interface Run {
  ms: number;
  rssMB: number;
}

/** Runs a command to completion: wall time, and peak RSS through /usr/bin/time. Throws on failure. */
function run(cmd: string, argv: string[], env: Record<string, string> = {}): Run {
  const rss = path.join(work, 'rss');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rss, cmd, ...argv], {
    env: { ...process.env, NO_COLOR: '1', SEAL_PASSWORD: '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-1500)}`);
  return { ms, rssMB: Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const med = (runs: Run[]) => ({ ms: median(runs.map((r) => r.ms)), rssMB: Math.max(...runs.map((r) => r.rssMB)) });
const rows: string[][] = [];
const row = (...cells: (string | number)[]) => {
  rows.push(cells.map(String));
  log(cells.join(' | ')); // as it comes, in case a later part fails
};
const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
const mb = (x: number) => `${x.toFixed(0)} MB`;

/** Alternates a and b for TRIALS rounds (a fresh argument set per trial), so load changes hit both alike. */
function alternate(a: (i: number) => Run, b: (i: number) => Run, trials = TRIALS): [Run[], Run[]] {
  const ra: Run[] = [];
  const rb: Run[] = [];
  for (let i = 0; i < trials; i++) {
    if (i % 2 === 0) {
      ra.push(a(i));
      rb.push(b(i));
    } else {
      rb.push(b(i));
      ra.push(a(i));
    }
  }
  return [ra, rb];
}

const work = mkdtempSync(path.join(tmpdir(), 'seal-bench-'));
const reg = await startRegistry('plain');
try {
  log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, trials ${TRIALS}`,
  );
  if (!args.has('no-build') && !args.has('seal')) {
    log('building dist/seal.cjs and the single executable (scripts/dist.mjs)');
    execFileSync(process.execPath, [path.join(root, 'scripts/dist.mjs'), '--no-tarball'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const key = path.join(work, 'key.pem');
  const pub = path.join(work, 'key.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  execFileSync('python3', ['-c', 'import cryptography'], { stdio: 'ignore' });

  let pushed = 0;
  /** Pushes a fresh small image; returns its tag reference and digest. */
  async function image(): Promise<{ ref: string; digest: string; repo: string }> {
    const n = pushed++;
    const img = await makeImageLayout(path.join(work, `img${n}`));
    const src = await LayoutStore.open(parseReference(`oci:${img.dir}`) as LayoutReference, { env: {}, log: silentLog });
    const dst = await RegistryStore.open(parseReference(`${reg.host}/bench${n}`) as RegistryReference, { env: {}, log: silentLog, allowHttp: true });
    await copyImage(src, dst, 'latest', { tag: 'v1' });
    rmSync(img.dir, { recursive: true, force: true });
    return { ref: `${reg.host}/bench${n}:v1`, digest: img.digest, repo: `bench${n}` };
  }
  const seal = (...a: string[]) => run(process.execPath, [SEAL, ...a]);
  const peer = (...a: string[]) => run('python3', [PEER, ...a]);

  // ---- one image: seal vs the Python peer ---------------------------------------------------------
  if (!skip.has('one')) {
    // Compatibility first: each verifies what the other signed.
    const x = await image();
    peer('sign', '--key', key, x.ref);
    seal('verify', '--key', pub, x.ref);
    const y = await image();
    seal('sign', '--key', key, y.ref);
    peer('verify', '--key', pub, y.ref);

    const sImgs = await Promise.all(Array.from({ length: TRIALS }, () => image()));
    const pImgs = await Promise.all(Array.from({ length: TRIALS }, () => image()));
    const [sSign, pSign] = alternate(
      (i) => seal('sign', '--key', key, sImgs[i]!.ref),
      (i) => peer('sign', '--key', key, pImgs[i]!.ref),
    );
    const [sVer, pVer] = alternate(
      (i) => seal('verify', '--key', pub, sImgs[i]!.ref),
      (i) => peer('verify', '--key', pub, pImgs[i]!.ref),
    );
    const a = med(sSign);
    const b = med(pSign);
    row('`sign --key` one image (legacy `.sig`)', ms(a.ms), ms(b.ms), `${(a.ms / b.ms).toFixed(2)}x`, '<= 1.2x', `${mb(a.rssMB)} / ${mb(b.rssMB)}`);
    const c = med(sVer);
    const d = med(pVer);
    row('`verify --key` one image', ms(c.ms), ms(d.ms), `${(c.ms / d.ms).toFixed(2)}x`, '<= 0.8x', `${mb(c.rssMB)} / ${mb(d.rssMB)}`);

    const bImgs = await Promise.all(Array.from({ length: TRIALS }, () => image()));
    for (const im of bImgs) seal('sign', '--key', key, '--format', 'bundle', im.ref);
    const [bVer, lVer] = alternate(
      (i) => seal('verify', '--key', pub, bImgs[i]!.ref),
      (i) => seal('verify', '--key', pub, sImgs[i]!.ref),
    );
    const e = med(bVer);
    const f = med(lVer);
    row('`verify --key` one bundle-format image vs one legacy', ms(e.ms), ms(f.ms), `${(e.ms / f.ms).toFixed(2)}x`, '~1x', `${mb(e.rssMB)} / ${mb(f.rssMB)}`);
  }

  // ---- 100 images in one call vs the bare-fetch reference ---------------------------------------
  if (!skip.has('many')) {
    // Signing needs fresh images each time (a second signature is another operation): one set per
    // round and format, formats alternating; the last round's images are the ones verified.
    const conc = ['--concurrency', '8'];
    const signRounds = Math.min(TRIALS, 3);
    const slRuns: Run[] = [];
    const sbRuns: Run[] = [];
    const pushRefMs: number[] = [];
    let legacy: Awaited<ReturnType<typeof image>>[] = [];
    let bundle: Awaited<ReturnType<typeof image>>[] = [];
    for (let t = 0; t < signRounds; t++) {
      log(`pushing ${2 * IMAGES} images (sign round ${t + 1} of ${signRounds})`);
      legacy = [];
      bundle = [];
      for (let i = 0; i < IMAGES; i++) legacy.push(await image());
      for (let i = 0; i < IMAGES; i++) bundle.push(await image());
      const extra: Awaited<ReturnType<typeof image>>[] = [];
      for (let i = 0; i < IMAGES; i++) extra.push(await image());
      pushRefMs.push(await barePush(extra));
      const signLegacy = () => slRuns.push(seal('sign', '--key', key, ...conc, ...legacy.map((x) => x.ref)));
      const signBundle = () => sbRuns.push(seal('sign', '--key', key, '--format', 'bundle', ...conc, ...bundle.map((x) => x.ref)));
      if (t % 2 === 0) {
        signLegacy();
        signBundle();
      } else {
        signBundle();
        signLegacy();
      }
    }
    const sl = med(slRuns);
    const sb = med(sbRuns);
    const vl: Run[] = [];
    const vb: Run[] = [];
    const refMs: number[] = [];
    for (let t = 0; t < Math.min(TRIALS, 3); t++) {
      vl.push(seal('verify', '--key', pub, ...conc, ...legacy.map((x) => x.ref)));
      vb.push(seal('verify', '--key', pub, ...conc, ...bundle.map((x) => x.ref)));
      refMs.push(await bareFetch(legacy));
    }
    const rate = (n: number, t: number) => `${((n * 1000) / t).toFixed(1)} images/s`;
    const r = median(refMs);
    const p = median(pushRefMs);
    row(
      `\`sign\` ${IMAGES} images in one call (legacy) vs bare push`,
      rate(IMAGES, sl.ms),
      rate(IMAGES, p),
      `${(p / sl.ms).toFixed(2)}`,
      '>= 40 images/s',
      mb(sl.rssMB),
    );
    row(`\`sign\` ${IMAGES} images in one call (bundle) vs bare push`, rate(IMAGES, sb.ms), rate(IMAGES, p), `${(p / sb.ms).toFixed(2)}`, '', mb(sb.rssMB));
    const l = med(vl);
    const b = med(vb);
    row(`\`verify\` ${IMAGES} images (legacy) vs bare fetch`, rate(IMAGES, l.ms), rate(IMAGES, r), `${(r / l.ms).toFixed(2)}`, '>= 0.9', mb(l.rssMB));
    row(`\`verify\` ${IMAGES} images (bundle) vs bare fetch`, rate(IMAGES, b.ms), rate(IMAGES, r), `${(r / b.ms).toFixed(2)}`, 'as legacy', mb(b.rssMB));
  }

  // ---- start-up on small inputs vs node -e 0 ----------------------------------------------------
  if (!skip.has('startup')) {
    const file = path.join(work, 'small.txt');
    writeFileSync(file, 'hello\n');
    const bundleFile = path.join(work, 'small.bundle');
    const sigFile = path.join(work, 'small.sig');
    seal('sign-blob', '--key', key, '--bundle', bundleFile, '--output-signature', sigFile, '-y', file);
    const layout = (await makeImageLayout(path.join(work, 'layout'))).dir;
    const predicate = path.join(work, 'predicate.json');
    writeFileSync(predicate, JSON.stringify({ ok: true }));
    seal('sign', '--key', key, `oci:${layout}`);
    seal('attest', '--key', key, '--predicate', predicate, '--type', 'https://example.com/p/v1', `oci:${layout}`);
    const cmds: [string, string[]][] = [
      ['`seal --version`', ['--version']],
      ['`verify-blob --signature` small file', ['verify-blob', '--key', pub, '--signature', sigFile, file]],
      ['`verify-blob --bundle` small file', ['verify-blob', '--key', pub, '--bundle', bundleFile, file]],
      ['`verify` one image (oci: layout)', ['verify', '--key', pub, `oci:${layout}`]],
      ['`verify-attestation` one image (oci: layout)', ['verify-attestation', '--key', pub, '--type', 'https://example.com/p/v1', `oci:${layout}`]],
    ];
    const n = Math.max(TRIALS, 10);
    for (const [label, a] of cmds) {
      seal(...a); // warm the compile cache
      const [s, base] = alternate(
        () => seal(...a),
        () => run(process.execPath, ['-e', '0']),
        n,
      );
      const x = med(s);
      const y = med(base);
      row(`${label}, vs \`node -e 0\``, ms(x.ms), ms(y.ms), `${(x.ms / y.ms).toFixed(2)}x`, '<= 2x', mb(x.rssMB));
    }
    if (existsSync(EXE)) {
      const a = ['verify-blob', '--key', pub, '--bundle', bundleFile, file];
      run(EXE, a);
      const [e, s] = alternate(
        () => run(EXE, a),
        () => seal(...a),
        n,
      );
      const x = med(e);
      const y = med(s);
      row(
        'single executable vs `node bin/seal.js` (`verify-blob --bundle`)',
        ms(x.ms),
        ms(y.ms),
        `${(x.ms / y.ms).toFixed(2)}x`,
        '',
        `${mb(x.rssMB)} / ${mb(y.rssMB)}`,
      );
      const [ev, nv] = alternate(
        () => run(EXE, ['--version']),
        () => run(process.execPath, ['-e', '0']),
        n,
      );
      row('single executable `--version` vs `node -e 0`', ms(med(ev).ms), ms(med(nv).ms), `${(med(ev).ms / med(nv).ms).toFixed(2)}x`, '', mb(med(ev).rssMB));
    } else {
      row('single executable', 'not built (linux-x64 only)', '', '', '', '');
    }
  }

  // ---- a large blob vs openssl -------------------------------------------------------------------
  if (!skip.has('blob')) {
    const big = path.join(work, 'big.bin');
    log(`writing a ${BLOB_MB} MiB random file`);
    execFileSync('dd', ['if=/dev/urandom', `of=${big}`, 'bs=1M', `count=${BLOB_MB}`, 'status=none']);
    const sealSig = path.join(work, 'big.seal.sig');
    const osslSig = path.join(work, 'big.ossl.sig');
    run('cat', [big]); // page cache
    const [ss, os] = alternate(
      () => seal('sign-blob', '--key', key, '--output-signature', sealSig, '-y', big),
      () => run('openssl', ['dgst', '-sha256', '-sign', key, '-out', osslSig, big]),
      Math.min(TRIALS, 3),
    );
    const [sv, ov] = alternate(
      () => seal('verify-blob', '--key', pub, '--signature', osslSig, big),
      () => run('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', osslSig, big]),
      Math.min(TRIALS, 3),
    );
    const tp = (t: number) => `${((BLOB_MB * 1000) / t).toFixed(0)} MiB/s`;
    row(
      `sign-blob ${BLOB_MB} MiB vs openssl (throughput ratio)`,
      tp(med(ss).ms),
      tp(med(os).ms),
      (med(os).ms / med(ss).ms).toFixed(2),
      '>= 0.9',
      `${mb(med(ss).rssMB)} / ${mb(med(os).rssMB)}`,
    );
    row(
      `verify-blob ${BLOB_MB} MiB vs openssl`,
      tp(med(sv).ms),
      tp(med(ov).ms),
      (med(ov).ms / med(sv).ms).toFixed(2),
      '>= 0.9',
      `${mb(med(sv).rssMB)} / ${mb(med(ov).rssMB)}`,
    );
    rmSync(big, { force: true });
  }

  const head = ['operation', 'seal', 'reference', 'ratio', 'goal', 'peak RSS (seal / reference)'];
  const lines = [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`);
  process.stdout.write(
    `${lines.join('\n')}\n\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; medians of ${TRIALS} trials, alternating.\n`,
  );
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}

/**
 * The bare-push reference for signing: the writes and reads of a legacy first signature without
 * a signature, a check or a process start, 8 images at a time: GET the image, POST+PUT a payload,
 * POST+PUT a config, GET the .sig tag (absent), PUT it. 7 requests; seal adds the confirming
 * re-read (docs/design/safe-update.md).
 */
async function barePush(images: { repo: string; digest: string }[]): Promise<number> {
  const accept = 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json';
  const upload = async (base: string, bytes: Buffer) => {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const post = await fetch(`${base}/blobs/uploads/`, { method: 'POST' });
    await post.arrayBuffer();
    const url = new URL(post.headers.get('location')!, reg.url);
    url.searchParams.set('digest', digest);
    const put = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`bare push: blob PUT answered ${put.status}`);
    return { digest, size: bytes.length };
  };
  const t0 = performance.now();
  await mapPool(images, 8, async (im) => {
    const base = `${reg.url}/v2/${im.repo}`;
    await (await fetch(`${base}/manifests/v1`, { headers: { accept } })).arrayBuffer();
    const payload = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': im.digest } }, optional: null }));
    const layer = await upload(base, payload);
    const config = await upload(base, Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
    const tag = `sha256-${im.digest.slice(7)}.sig`;
    await (await fetch(`${base}/manifests/${tag}`, { headers: { accept } })).arrayBuffer();
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', ...layer }],
    });
    const put = await fetch(`${base}/manifests/${tag}`, {
      method: 'PUT',
      body: manifest,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`bare push: manifest PUT answered ${put.status}`);
  });
  return performance.now() - t0;
}

/** The bare-fetch reference of bench/verify-many.ts: the three reads of a legacy verification, 8 at a time. */
async function bareFetch(images: { repo: string; digest: string }[]): Promise<number> {
  const accept = 'application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json';
  const t0 = performance.now();
  await mapPool(images, 8, async (im) => {
    const base = `${reg.url}/v2/${im.repo}`;
    await (await fetch(`${base}/manifests/v1`, { headers: { accept } })).arrayBuffer();
    const sig = (await (await fetch(`${base}/manifests/sha256-${im.digest.slice(7)}.sig`, { headers: { accept } })).json()) as {
      layers: { digest: string }[];
    };
    await (await fetch(`${base}/blobs/${sig.layers[0]!.digest}`)).arrayBuffer();
  });
  return performance.now() - t0;
}
