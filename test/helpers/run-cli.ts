// Runs the real CLI (bin/seal.js on the TypeScript sources) in a child process and collects its
// output, for tests that check argv handling, stdout/stderr and exit codes end to end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SEAL_BIN = fileURLToPath(new URL('../../bin/seal.js', import.meta.url));

/**
 * What a spawned seal runs: src/ (SEAL_FROM_SOURCE), or, when scripts/test.sh has just built dist/
 * from these sources (SEAL_TEST_BUILT_DIST=1), dist/cli/main.js: the same code at a third of the
 * start-up CPU (no type stripping), and what `npm install` users run. Never the single-file
 * bundle, which a test may be rebuilding meanwhile (scripts/dist.mjs).
 */
export const SEAL_RUN_ENV: Record<string, string> = process.env.SEAL_TEST_BUILT_DIST === '1' ? { SEAL_NO_BUNDLE: '1' } : { SEAL_FROM_SOURCE: '1' };

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return runCommand(process.execPath, [SEAL_BIN, ...args], opts);
}

/** Any program, with SEAL_RUN_ENV in its environment (so a seal it starts runs src/ or the fresh dist/). */
export function runCommand(cmd: string, args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Under the 60 s per-test timeout (scripts/test.sh): a stuck child is killed and its output shown.
      timeout: opts.timeoutMs ?? 50_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(opts.input ?? '');
  });
}
