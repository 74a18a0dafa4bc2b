// First contact with a plain-http registry on 127.0.0.1, without --allow-http-registry: what one
// whole `seal verify --key` process costs in wall time, TCP connections, TLS attempts and HTTP
// requests, against the same command with --allow-http-registry (which skips https) in the same
// run. Counted by a TCP relay in front of the fault proxy (connections; a first byte 0x16 is a
// TLS ClientHello) and by the fault proxy (HTTP requests).
//   node bench/loopback-scheme.ts [--runs 9] [--seal A/bin/seal.js,B/bin/seal.js] [--json]
// --seal compares builds (private copies of two commits); runs alternate between them.
// Set SEAL_FROM_SOURCE=1 to measure src/ rather than a dist/ that may be older.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLog } from '../src/log.ts';
import { copyImage } from '../src/oci/copy.ts';
import { LayoutStore } from '../src/oci/layout.ts';
import { parseReference, type LayoutReference, type RegistryReference } from '../src/oci/reference.ts';
import { RegistryStore } from '../src/oci/registry/store.ts';
import { makeImageLayout, startFaultProxy, startRegistry } from '../test/harness/index.ts';
import { parseArgs, table } from './registry-common.ts';

const args = parseArgs(process.argv.slice(2));
const RUNS = Math.max(1, Number(args.get('runs') ?? 9));
const seals = args.get('seal')?.split(',') ?? [new URL('../bin/seal.js', import.meta.url).pathname];

/** A TCP relay that counts connections and TLS ClientHellos (first byte 0x16). */
async function startRelay(target: { host: string; port: number }) {
  const counts = { connections: 0, tls: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    counts.connections++;
    sockets.add(client);
    const upstream = net.connect(target.port, target.host);
    sockets.add(upstream);
    client.once('data', (first: Buffer) => {
      if (first[0] === 0x16) counts.tls++;
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    counts,
    reset: () => Object.assign(counts, { connections: 0, tls: 0 }),
    stop: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Asynchronous on purpose: the relay and the fault proxy run in this process and must keep serving.
// Wall time, and the CPU time of the process (user + system, from /usr/bin/time), which a loaded
// machine disturbs less.
function run(seal: string, a: string[]): Promise<{ ms: number; cpuMs: number }> {
  const t0 = performance.now();
  const times = path.join(work, 'time.txt');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%U %S', '-o', times, process.execPath, seal, ...a], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`seal ${a[0]} exited ${code}: ${stderr.slice(-2000)}`));
      const [user, sys] = readFileSync(times, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
      resolve({ ms, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000 });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  seal: string;
  command: string;
  ms: number;
  cpuMs: number;
  connections: number;
  tlsAttempts: number;
  requests: number;
}

const work = await mkdtemp(path.join(tmpdir(), 'seal-bench-loopback-'));
const reg = await startRegistry('plain');
const proxy = await startFaultProxy(reg.url);
const [proxyHost, proxyPort] = proxy.host.split(':');
const relay = await startRelay({ host: proxyHost!, port: Number(proxyPort) });
const rows: Row[] = [];
try {
  const key = path.join(work, 'k.pem');
  const pub = path.join(work, 'k.pub');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-out', pub]);
  const img = await makeImageLayout(path.join(work, 'img'));
  const src = await LayoutStore.open(parseReference(`oci:${img.dir}`) as LayoutReference, { env: {}, log: silentLog });
  const dst = await RegistryStore.open(parseReference(`${reg.host}/loopback`) as RegistryReference, { env: {}, log: silentLog, allowHttp: true });
  await copyImage(src, dst, 'latest', { tag: 'v1' });
  const ref = `${relay.host}/loopback:v1`;
  await run(seals[0]!, ['sign', '--key', key, '--allow-http-registry', ref]);

  const commands: [string, string[]][] = [
    ['verify --key (first contact: no flag)', ['verify', '--key', pub, ref]],
    ['verify --key --allow-http-registry', ['verify', '--key', pub, '--allow-http-registry', ref]],
  ];
  const samples = new Map<string, Row[]>();
  for (let i = 0; i < RUNS; i++) {
    for (const seal of seals) {
      for (const [name, argv] of commands) {
        relay.reset();
        proxy.reset();
        const { ms, cpuMs } = await run(seal, argv);
        const id = `${seal}\n${name}`;
        if (!samples.has(id)) samples.set(id, []);
        samples
          .get(id)!
          .push({ seal, command: name, ms, cpuMs, connections: relay.counts.connections, tlsAttempts: relay.counts.tls, requests: proxy.requests.length });
      }
    }
  }
  for (const list of samples.values()) {
    rows.push({
      seal: list[0]!.seal,
      command: list[0]!.command,
      ms: Math.round(median(list.map((r) => r.ms))),
      cpuMs: Math.round(median(list.map((r) => r.cpuMs))),
      connections: median(list.map((r) => r.connections)),
      tlsAttempts: median(list.map((r) => r.tlsAttempts)),
      requests: median(list.map((r) => r.requests)),
    });
  }
} finally {
  await relay.stop();
  await proxy.stop();
  await reg.stop();
  await rm(work, { recursive: true, force: true });
}

if (args.has('json')) {
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
} else {
  process.stdout.write(
    [
      `first contact with a plain-http loopback registry: whole processes, median of ${RUNS}`,
      '',
      table(
        ['seal', 'command', 'wall ms', 'CPU ms', 'TCP connections', 'TLS attempts', 'HTTP requests'],
        rows.map((r) => [
          seals.length > 1 ? r.seal : path.basename(path.dirname(path.dirname(r.seal))),
          r.command,
          String(r.ms),
          String(r.cpuMs),
          String(r.connections),
          String(r.tlsAttempts),
          String(r.requests),
        ]),
      ),
      '',
    ].join('\n'),
  );
}
