// Runs the CLI in this process (src/cli/main.ts) with its own streams and environment: the same
// parsing, error mapping and exit codes as bin/seal.js, without a Node start-up per case.
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { CliResult } from './run-cli.ts';

export interface InProcessOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
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
  const code = await main(args, { stdout, stderr, stdin, env, cwd: o.cwd ?? process.cwd() });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
