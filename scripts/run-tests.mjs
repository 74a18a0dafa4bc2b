#!/usr/bin/env node
// Runs test files a few at a time in Node processes of their own (`node --test
// --experimental-test-isolation=none` on a batch of files, their tests in that process one after
// another), and prints each batch's TAP when it ends, then the totals and the slowest batches (wall
// time and CPU time of the process and the children it waited for).
// Why not `node --test` over all files: there --test-timeout also limits each whole file, so a
// per-test limit of 60 s failed any file whose tests add up to more than a minute. Within a batch
// the limit stays per test (and per describe group, as for a file alone): files are not wrapped.
// Batches: a process per file cost about a quarter of a second of CPU each (Node, the test runner,
// loading the same sources again), about 40 s of the 230 s the tests took; files run together,
// about twenty seconds of them per batch, in path order so that neighbours share their imports. A file with a
// line `// run-tests: alone (why)` runs in a process of its own (what it measures or changes is
// process-wide). Files that load test/harness/sigstore-stack.ts (which turns nock on in its
// process) are batched only with each other. `--alone` runs every file alone.
// Order: longest first (test/durations.json, seconds per file from an earlier run; a file not
// listed there is guessed from its folder), so no long batch starts last while the other slots
// idle. `--record` runs every file alone and rewrites test/durations.json from this run.
// Usage: node scripts/run-tests.mjs [--concurrency=N] [--timeout=MS] [--alone] [--record] [--list] [files or globs...]
// (--list prints the batches and runs nothing)
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';

// One more than the CPUs: most files wait on registries and the Sigstore stack part of the time
// (12 registry files took 30 s two at a time, 25 s three, 20 s four, same CPU).
const opts = { concurrency: availableParallelism() + 1, timeout: 60_000, record: false, alone: false, list: false };
const patterns = [];
for (const a of process.argv.slice(2)) {
  const m = /^--(concurrency|timeout)=(\d+)$/.exec(a);
  if (m) opts[m[1]] = Number(m[2]);
  else if (a === '--record') opts.record = opts.alone = true;
  else if (a === '--alone') opts.alone = true;
  else if (a === '--list') opts.list = true;
  else patterns.push(a);
}
if (patterns.length === 0) patterns.push('test/**/*.test.ts');
const files = [...new Set(patterns.flatMap((p) => (/[*?[]/.test(p) ? globSync(p) : [p])))].sort();

const DURATIONS = new URL('../test/durations.json', import.meta.url);
let known = {};
try {
  known = JSON.parse(readFileSync(DURATIONS, 'utf8'));
} catch {
  // No record yet: every file is guessed from its folder.
}
const guess = (f) => known[f] ?? (/test\/(integration|hostile|conformance)\//.test(f) ? 6 : /test\/(cli|fuzz)\//.test(f) ? 3 : 0.5);

// Seconds of known duration per batch: small enough that the batches still spread over the slots.
const BATCH_SECONDS = 20;
const batches = [];
{
  const open = new Map(); // group -> the batch being filled
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (opts.alone || /^\/\/ run-tests: alone\b/m.test(text) || guess(file) >= BATCH_SECONDS) {
      batches.push({ files: [file], seconds: guess(file) });
      continue;
    }
    const group = /harness\/sigstore-stack\.ts['"]/.test(text) ? 'nock' : 'plain';
    let batch = open.get(group);
    if (!batch || batch.seconds + guess(file) > BATCH_SECONDS) {
      batch = { files: [], seconds: 0 };
      batches.push(batch);
      open.set(group, batch);
    }
    batch.files.push(file);
    batch.seconds += guess(file);
  }
}
batches.sort((a, b) => b.seconds - a.seconds || a.files[0].localeCompare(b.files[0]));
if (opts.list) {
  for (const b of batches) process.stdout.write(`${b.seconds.toFixed(1).padStart(5)} s  ${b.files.join(' ')}\n`);
  process.exit(0);
}

// Node's compile cache, shared by every file's process and the seal processes they start: each
// loads the same sources, so all but the first read V8's cache (about a fifth of a small file's CPU).
const ownCache = !process.env.NODE_COMPILE_CACHE;
const compileCache = process.env.NODE_COMPILE_CACHE || mkdtempSync(path.join(tmpdir(), 'seal-test-compile-cache-'));

// A whole file still has a limit, as a last resort against a hang outside any test.
const FILE_LIMIT_MS = 15 * 60_000;
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const failed = [];
const timings = [];
const started = Date.now();

// CPU time of the children this process has waited for (Linux: /proc/self/stat cutime + cstime,
// in clock ticks of 10 ms); read when each file's process is reaped, the difference is its share.
function childCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return NaN;
  }
}
let lastCpu = childCpuMs();

// Without NODE_TEST_CONTEXT (set when this script itself runs under `node --test`): with it, each
// file's runner reports to a parent runner instead of printing TAP, and every count read here is 0.
const childEnv = { ...process.env, NODE_COMPILE_CACHE: compileCache };
delete childEnv.NODE_TEST_CONTEXT;

function runBatch(batch) {
  const file = batch.files.join(' ');
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(
      process.execPath,
      ['--test', '--experimental-test-isolation=none', '--test-force-exit', `--test-timeout=${opts.timeout}`, '--test-reporter=tap', ...batch.files],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv },
    );
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    const killer = setTimeout(() => child.kill('SIGKILL'), FILE_LIMIT_MS);
    let cpuMs = NaN;
    child.on('exit', () => {
      const now = childCpuMs();
      cpuMs = now - lastCpu;
      lastCpu = now;
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const ms = Date.now() - t0;
      const text = Buffer.concat(out).toString('utf8');
      const counts = {};
      for (const m of text.matchAll(/^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      const ok = code === 0 && !counts.fail && !counts.cancelled;
      if (!ok) failed.push(`${file} (exit ${code ?? signal})`);
      timings.push({ file, files: batch.files, ms, cpuMs });
      process.stdout.write(`# file${batch.files.length > 1 ? 's' : ''} ${file}: ${ok ? 'ok' : 'FAILED'} in ${ms} ms (cpu ${cpuMs} ms)\n${text}`);
      resolve();
    });
  });
}

const queue = [...batches];
await Promise.all(
  Array.from({ length: Math.min(opts.concurrency, queue.length) }, async () => {
    for (let b = queue.shift(); b !== undefined; b = queue.shift()) await runBatch(b);
  }),
);
const wallMs = Date.now() - started;
if (ownCache) rmSync(compileCache, { recursive: true, force: true });
timings.sort((a, b) => b.ms - a.ms);
const cpuTotal = timings.reduce((s, t) => s + (t.cpuMs || 0), 0);
const slowest = timings
  .slice(0, 12)
  .map(
    (t) =>
      `#   ${(t.ms / 1000).toFixed(1).padStart(6)} s  cpu ${(t.cpuMs / 1000).toFixed(1).padStart(5)} s  ${t.files[0]}${t.files.length > 1 ? ` and ${t.files.length - 1} more` : ''}`,
  );
process.stdout.write(`# slowest processes (wall, cpu, files):\n${slowest.join('\n')}\n`);
process.stdout.write(
  `# test processes' cpu ${(cpuTotal / 1000).toFixed(1)} s in ${(wallMs / 1000).toFixed(1)} s wall, ${files.length} files in ${batches.length} processes, ${opts.concurrency} at a time\n`,
);
if (opts.record) {
  // Files that no longer exist drop out; files this run did not touch keep their figure.
  const record = Object.fromEntries(Object.entries(known).filter(([f]) => existsSync(f)));
  for (const t of timings) if (t.files.length === 1) record[t.file] = Math.round(t.ms / 100) / 10;
  const sorted = Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(DURATIONS, JSON.stringify(sorted, null, 1) + '\n');
}
const summary = Object.entries(totals).map(([k, v]) => `# ${k} ${v}`);
process.stdout.write(`# files ${files.length}\n${summary.join('\n')}\n# duration_ms ${wallMs}\n`);
if (failed.length) process.stdout.write(`# failed files:\n${failed.map((f) => `#   ${f}`).join('\n')}\n`);
// The plain closing line any CI reads, last. Tests marked todo count apart (node's TAP `# todo`):
// not passed, not failed (a failing todo test fails nothing), and not to be forgotten.
const failedCount = Math.max(totals.fail + totals.cancelled, failed.length);
process.stdout.write(`${totals.pass} passed, ${failedCount} failed, ${totals.skipped} skipped, ${totals.todo} todo\n`);
process.exit(failed.length ? 1 : 0);
