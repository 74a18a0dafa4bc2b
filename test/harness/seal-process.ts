// The seal CLI as a real child process (bin/seal.js on the sources) with what the hostile tests
// measure: wall time, peak RSS (from a preload that reads getrusage at exit), exit code, and a
// handle to signal it. The child's old-space heap is capped so a regression fails fast instead
// of taking the machine's memory, and it is killed after `killAfterMs` as a last resort.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEAL_RUN_ENV } from '../helpers/run-cli.ts';

const SEAL_BIN = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));
const PEAK_RSS = fileURLToPath(new URL('./peak-rss.ts', import.meta.url));

export interface SealRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
  /** Peak resident set size in MiB; NaN when the process died before writing it. */
  peakRssMiB: number;
  /** Set by the test's signal: ms from the signal to the exit. */
  afterSignalMs?: number;
}

export interface SealProcess {
  child: ChildProcess;
  done: Promise<SealRun>;
  /** Sends a signal and notes when, so the result says how long the process took to stop. */
  kill(signal: NodeJS.Signals): void;
}

export function startSeal(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; killAfterMs?: number; maxOldSpaceMiB?: number } = {},
): SealProcess {
  const dir = mkdtempSync(join(tmpdir(), 'seal-rss-'));
  const rssFile = join(dir, 'rss');
  const started = performance.now();
  let signalledAt: number | undefined;
  const child = spawn(process.execPath, [`--max-old-space-size=${opts.maxOldSpaceMiB ?? 512}`, '--import', PEAK_RSS, SEAL_BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1', SEAL_TEST_RSS_FILE: rssFile, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 60_000);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<SealRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const ended = performance.now();
      let peakRssMiB = NaN;
      try {
        peakRssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
      } catch {
        // killed before its exit handler ran
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: ended - started,
        peakRssMiB,
        ...(signalledAt !== undefined ? { afterSignalMs: ended - signalledAt } : {}),
      });
    });
  });
  return {
    child,
    done,
    kill(signal) {
      signalledAt = performance.now();
      child.kill(signal);
    },
  };
}

export const runSeal = (args: string[], opts?: Parameters<typeof startSeal>[1]): Promise<SealRun> => startSeal(args, opts).done;
