// Everything a command touches outside its arguments comes through here, so tests can run a
// command in-process with their own streams and environment.
import type { Readable, Writable } from 'node:stream';

import type { Log } from '../log.ts';

export type Logger = Log;

export interface CliContext {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  verbose: boolean;
  /** Colours on stderr: a TTY and NO_COLOR unset. */
  color: boolean;
  /** stderr is a terminal: progress bars and prompts are allowed. */
  interactive: boolean;
  log: Logger;
  /** Aborted on SIGINT/SIGTERM; long operations pass it down. */
  signal: AbortSignal;
  /**
   * Closes `resource` when the command ends, success or failure (src/cli/main.ts runCommand):
   * a registry session's connection pools. Absent outside a command run (unit tests).
   */
  closeAtEnd?(resource: { close(): void }): void;
}

export function makeLogger(stderr: Writable, opts: { verbose: boolean; color: boolean }): Logger {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  return {
    info: (m) => void stderr.write(m + '\n'),
    warn: (m) => void stderr.write(paint('33', 'WARNING:') + ' ' + m + '\n'),
    debug: (m) => {
      if (opts.verbose) stderr.write(paint('2', 'debug: ' + m) + '\n');
    },
  };
}

export interface ContextOverrides {
  stdout?: Writable;
  /** Where `stdout` is not given: makes it on first use (default: process.stdout). */
  openStdout?: () => Writable;
  stderr?: Writable;
  stdin?: CliContext['stdin'];
  env?: Record<string, string | undefined>;
  cwd?: string;
  verbose?: boolean;
  signal?: AbortSignal;
}

export function createContext(o: ContextOverrides = {}): CliContext {
  const stderr = o.stderr ?? process.stderr;
  const env = o.env ?? process.env;
  const stderrTTY = Boolean((stderr as { isTTY?: boolean }).isTTY);
  const color = stderrTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
  const verbose = o.verbose ?? false;
  // The standard streams are created on first use (~10 ms for stdin, which loads fs streams and
  // readline): most commands never read stdin, and a quiet success never writes stdout.
  let stdout = o.stdout;
  let stdin = o.stdin;
  return {
    get stdout() {
      return (stdout ??= o.openStdout?.() ?? process.stdout);
    },
    stderr,
    get stdin() {
      return (stdin ??= process.stdin);
    },
    env,
    cwd: o.cwd ?? process.cwd(),
    verbose,
    color,
    interactive: stderrTTY,
    log: makeLogger(stderr, { verbose, color }),
    signal: o.signal ?? new AbortController().signal,
  };
}
