// Runs the CLI in this process (src/cli/main.ts) with its own streams and environment: the same
// parsing, error mapping and exit codes as bin/seal.js, without a Node start-up per case.
// Real processes (run-cli.ts, harness/seal-process.ts) stay for what only a process shows:
// signals, TTYs, dist/, start-up, peak memory, exit on a closed stdout.
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { CliResult, RunCliOptions } from './run-cli.ts';

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** Aborts the command (as SIGINT would) after this long. */
  timeoutMs?: number;
}

export async function runInProcess(args: string[], o: InProcessOptions = {}): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const stdin = new PassThrough();
  stdin.end(o.input ?? '');
  const env: Record<string, string | undefined> = { NO_COLOR: '1', ...o.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const code = await main(args, {
    stdout,
    stderr,
    stdin,
    env,
    cwd: o.cwd ?? process.cwd(),
    ...(o.timeoutMs !== undefined ? { signal: AbortSignal.timeout(o.timeoutMs) } : {}),
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/**
 * runCli's contract in this process: the test process's environment plus `env` (as a spawned
 * seal inherits it), stdin from `input`. A drop-in for runCli where no real process is needed.
 */
export function runCliInProcess(args: string[], o: RunCliOptions = {}): Promise<CliResult> {
  return runInProcess(args, { ...o, env: { ...process.env, ...o.env } });
}

/** The CLI in this process with none of the machine user's trust: no TUF cache (HOME and XDG_CACHE_HOME lead nowhere). */
export function sealInProcess(args: string[], o: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return runInProcess(args, { ...o, env: { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent', ...o.env } });
}
