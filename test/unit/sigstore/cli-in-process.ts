// Runs seal's CLI in this process (src/cli/main.ts with its own streams), for tests that run
// many command lines and must stay fast. Spawned runs (test/helpers/run-cli.ts) remain the
// reference for argv and exit handling.
import { PassThrough, Writable } from 'node:stream';

import { main } from '../../../src/cli/main.ts';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export async function sealInProcess(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<InProcessResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = new PassThrough();
  stdin.end();
  const code = await main(args, {
    stdout,
    stderr,
    stdin,
    cwd: opts.cwd ?? process.cwd(),
    // No TUF cache of the machine's user: trust comes from --trusted-root or the embedded root.
    env: { NO_COLOR: '1', HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent', ...opts.env },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
