// Runs the CLI on a real pseudo-terminal (util-linux `script`), for the paths seal takes only at
// a terminal (interactive logins). Output (stdout and stderr, merged by the terminal) is passed
// to `watch` as it arrives, so a test can act on a URL the CLI prints while it waits.
import { spawn } from 'node:child_process';

import { SEAL_BIN, type CliResult, SEAL_RUN_ENV } from './run-cli.ts';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function runCliOnTerminal(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number; watch?: (output: string) => void } = {},
): Promise<CliResult> {
  const command = [process.execPath, SEAL_BIN, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      cwd: opts.cwd,
      env: { ...process.env, ...SEAL_RUN_ENV, NO_COLOR: '1', TERM: 'dumb', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      opts.watch?.(out);
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    child.on('error', reject);
    // stdin stays open: `script` ends the session when its input ends.
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout: out.replace(/\r\n/g, '\n'), stderr: err }));
  });
}
