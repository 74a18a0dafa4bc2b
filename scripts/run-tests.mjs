#!/usr/bin/env node
// Runs test files a few at a time, each in a Node process of its own (`node --test` on that one
// file, tests in that process), and prints each file's TAP when it ends, then the totals.
// Why not `node --test` over all files: there --test-timeout also limits each whole file, so a
// per-test limit of 60 s failed any file whose tests add up to more than a minute.
// Usage: node scripts/run-tests.mjs [--concurrency=N] [--timeout=MS] [files or globs...]
import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';

const opts = { concurrency: 3, timeout: 60_000 };
const patterns = [];
for (const a of process.argv.slice(2)) {
  const m = /^--(concurrency|timeout)=(\d+)$/.exec(a);
  if (m) opts[m[1]] = Number(m[2]);
  else patterns.push(a);
}
if (patterns.length === 0) patterns.push('test/**/*.test.ts');
const files = [...new Set(patterns.flatMap((p) => (/[*?[]/.test(p) ? globSync(p) : [p])))].sort();
// The slow kinds first, so a long file does not start last while the other slot is idle.
const weight = (f) => (/test\/(integration|hostile|conformance)\//.test(f) ? 0 : /test\/(cli|fuzz)\//.test(f) ? 1 : 2);
files.sort((a, b) => weight(a) - weight(b));

// A whole file still has a limit, as a last resort against a hang outside any test.
const FILE_LIMIT_MS = 15 * 60_000;
const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const failed = [];
const started = Date.now();

function runFile(file) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(
      process.execPath,
      ['--test', '--experimental-test-isolation=none', '--test-force-exit', `--test-timeout=${opts.timeout}`, '--test-reporter=tap', file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    const killer = setTimeout(() => child.kill('SIGKILL'), FILE_LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const text = Buffer.concat(out).toString('utf8');
      const counts = {};
      for (const m of text.matchAll(/^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      const ok = code === 0 && !counts.fail && !counts.cancelled;
      if (!ok) failed.push(`${file} (exit ${code ?? signal})`);
      process.stdout.write(`# file ${file}: ${ok ? 'ok' : 'FAILED'} in ${Date.now() - t0} ms\n${text}`);
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(opts.concurrency, queue.length) }, async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) await runFile(f);
  }),
);
const summary = Object.entries(totals).map(([k, v]) => `# ${k} ${v}`);
process.stdout.write(`# files ${files.length}\n${summary.join('\n')}\n# duration_ms ${Date.now() - started}\n`);
if (failed.length) process.stdout.write(`# failed files:\n${failed.map((f) => `#   ${f}`).join('\n')}\n`);
// The plain closing line any CI reads, last.
process.stdout.write(`${totals.pass} passed, ${Math.max(totals.fail + totals.cancelled, failed.length)} failed, ${totals.skipped} skipped\n`);
process.exit(failed.length ? 1 : 0);
