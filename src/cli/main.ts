// The CLI entry: runs one command, parsed by src/cli/fast-path.ts when the line is well formed,
// else by yargs (help, completion, every usage error), and maps every failure to one line on
// stderr and a documented exit code. The only caller of process.exit is bin/seal.js.
import type { Argv } from 'yargs';
import { SealError, flattenControls, messageOf } from '../errors.ts';
import { version } from '../version.ts';
import type { Args, SealCommand } from './command.ts';
import { createContext, makeLogger, type CliContext, type ContextOverrides } from './context.ts';
import { loadAllCommands } from './commands/index.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { write } from './output.ts';
import { processStream } from './stdio.ts';
import { describeSystemError } from './system-errors.ts';

export async function main(args: string[], overrides: ContextOverrides = {}): Promise<number> {
  const verbose = overrides.verbose ?? (args.includes('--verbose') || args.includes('-d'));
  const ctx = createContext({ ...overrides, verbose });
  let exitCode: number = EXIT.OK;
  try {
    const { tryFastPath, canonicalArgs } = await import('./fast-path.ts');
    args = await canonicalArgs(args);
    // Bundled (`-yd`) or spelled `--verbose=true`: seen once the line is read as cosign reads it.
    if (overrides.verbose === undefined && !ctx.verbose && asksVerbose(args)) {
      ctx.verbose = true;
      ctx.log = makeLogger(ctx.stderr, { verbose: true, color: ctx.color });
    }
    const fast = await tryFastPath(args);
    if (fast) {
      const code = await runCommand(fast.command, fast.argv, ctx);
      return typeof code === 'number' ? code : EXIT.OK;
    }
    const y = await buildParser(args);
    const line = args;
    for (const cmd of await loadAllCommands())
      register(
        y,
        cmd,
        (c, argv) => runCommand(c, restoreStdinDashes(c, argv, line), ctx),
        (code) => (exitCode = code),
      );
    // With a callback yargs hands over what it would print (help, version, completions) instead of
    // printing it and exiting the process: it goes to ctx.stdout, and in-process runs survive --help.
    let printed = '';
    await y.parseAsync(args, {}, (_err: unknown, _argv: unknown, output: string) => {
      if (output) printed = output;
    });
    if (printed) await write(ctx.stdout, printed.endsWith('\n') ? printed : `${printed}\n`);
    return exitCode;
  } catch (err) {
    if (err instanceof SealError && err.code === 'WRONG_PASSWORD') ({ passwordWasMissing } = await import('./password.ts'));
    return report(err, ctx);
  }
}

/** yargs with seal's global options and failure handling; the commands are registered by the caller. */
async function buildParser(args: string[]): Promise<Argv> {
  const { default: yargs } = await import('yargs');
  const y = yargs(args)
    .scriptName('seal')
    .usage('seal <command> [options]\n\nSign, attest and verify container images and files; compatible with cosign.')
    .option('verbose', { alias: 'd', type: 'boolean', global: true, describe: 'Debug output and stack traces on stderr' })
    .option('output-file', { type: 'string', global: true, describe: "Write the command's stdout to this file (replaced if it exists)" })
    .option('timeout', { alias: 't', type: 'string', global: true, describe: 'Stop the command after this long: 3m0s, 90s, 1h (cosign -t)' })
    .version(version)
    .alias('help', 'h')
    // `-a k=v IMAGE`: an array flag takes one value per use, as cosign's repeatable flags do.
    .parserConfiguration({ 'greedy-arrays': false })
    .strict()
    .demandCommand(1, 'Specify a command')
    .recommendCommands()
    // Answers --get-yargs-completions for the scripts `seal completion SHELL` prints.
    .completion('__yargs-completion', false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit codes: docs/exit-codes.md. Every command has --help with examples.')
    .fail((msg: string | null, err: Error | undefined) => {
      // Handler errors pass through; everything yargs itself rejects is a usage error.
      if (err && !isYargsError(err)) throw err;
      // yargs puts details on further lines; a failure is one line.
      const text = (msg ?? messageOf(err)).replace(/:\s*\n\s*/g, ': ').replace(/\s*\n\s*/g, '; ');
      throw new SealError('usage', text, { hint: 'see seal --help' });
    });
  // yargs renders the command's whole help text every time a handler starts, only to print it on a
  // later failure; our .fail() never prints it. Skipping that saves ~100 ms per run (bench/startup.sh).
  const usage = (y as unknown as YargsInternals).getInternalMethods?.()?.getUsageInstance?.();
  if (usage) usage.cacheHelpMessage = () => {}; // absent in another yargs version: just slower
  return y;
}

/**
 * seal as a process (bin/seal.js, and the single-file build's entry): SIGINT/SIGTERM abort the
 * command, a second one or 1.5 s later exits 130, and the process exits when the work is done.
 */
export async function runAsProcess(args: string[]): Promise<void> {
  const controller = new AbortController();
  // Not Node's stream where stdout/stderr is a pipe: creating it costs ~5 % of a small verify.
  const stderr = processStream(2);
  let interrupted = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++interrupted > 1) process.exit(130);
      stderr.write('Interrupted; stopping (press Ctrl-C again to force)\n');
      controller.abort(new Error('interrupted'));
      // Every request, retry wait and settle wait ends on the abort, and every write is whole
      // (a PUT, or a rename of a finished temporary file), so stopping now loses nothing. This is
      // the safety net for anything that does not listen (seal promises to stop within 2 s).
      setTimeout(() => {
        stderr.write('Error: still running 1.5 s after the interrupt; exiting\n');
        process.exit(130);
      }, 1500).unref();
    });
  }
  const code = await main(args, { signal: controller.signal, stderr, openStdout: () => processStream(1) });
  // Interrupted: exit now, without waiting for sockets or timers the abort left behind.
  if (interrupted) process.exit(130);
  process.exitCode = code;
  // The work is done: exit once stderr is flushed (results on stdout were written with a callback,
  // src/cli/output.ts). Keep-alive sockets of a registry or Sigstore client, or the timer of an
  // operation stopped by --timeout, would otherwise hold Node until their own timeouts (seal clean
  // lingered 60 s after "Removed"). process.stdout is not touched: creating it costs start-up time.
  // A write still waiting for room (a full pipe) ends before the empty one's callback runs.
  if (stderr.writableLength === 0) process.exit();
  else stderr.write('', () => process.exit());
}

/**
 * Whether the fast path takes this line (src/cli/fast-path.ts): no help, no usage error, nothing
 * for yargs. For the verify commands' build (scripts/dist-entry-verify.ts), which has no yargs
 * and hands every other line to the whole build; a line that throws here is handed over too.
 */
export async function fastPathTakes(args: string[]): Promise<boolean> {
  try {
    const { tryFastPath, canonicalArgs } = await import('./fast-path.ts');
    return (await tryFastPath(await canonicalArgs(args))) !== undefined;
  } catch {
    return false;
  }
}

/**
 * Parses a command line as a run would, without running it: the command's path and its arguments
 * after cosign's spellings are translated and refused flags refused (both throw as a run would).
 * For tests that walk cosign's flags; no network, no files.
 */
export async function parseCommandLine(args: string[]): Promise<{ path: string[]; argv: Args }> {
  const { tryFastPath, canonicalArgs } = await import('./fast-path.ts');
  args = await canonicalArgs(args);
  const fast = await tryFastPath(args);
  if (fast) {
    await prepareArgs(fast.command, fast.argv);
    return { path: fast.argv._.map(String), argv: fast.argv };
  }
  let parsed: { path: string[]; argv: Args } | undefined;
  const y = await buildParser(args);
  const line = args;
  for (const cmd of await loadAllCommands()) {
    register(
      y,
      cmd,
      async (c, argv) => {
        await prepareArgs(c, restoreStdinDashes(c, argv, line));
        parsed = { path: argv._.map(String), argv };
      },
      () => {},
    );
  }
  await y.parseAsync(args, {}, () => {});
  if (!parsed) throw new SealError('usage', 'no command ran', { code: 'NO_COMMAND' });
  return parsed;
}

/** --verbose among the flags of a line (before any `--`). */
function asksVerbose(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--verbose' || a === '--verbose=true' || a === '-d');
}

/**
 * yargs hands a positional given as a lone `-` (stdin) over as "" (it re-parses positionals as
 * `--file -`), the same as an empty argument (`seal sign-blob "$UNSET"`). The line tells them
 * apart: the positionals yargs left empty take, in order, the lone `-` and "" of the line. The
 * fast path keeps `-` as it is and needs none of this.
 */
function restoreStdinDashes(cmd: SealCommand, argv: Args, line: readonly string[]): Args {
  const given = line.filter((a) => a === '-' || a === '');
  if (!given.includes('-')) return argv;
  const names = String(cmd.command)
    .split(/\s+/)
    .slice(1)
    .map((tok) => /^[<[]([\w-]+)(?:\.\.)?[>\]]$/.exec(tok)?.[1])
    .filter((n): n is string => n !== undefined);
  let next = 0;
  const restore = (v: unknown): unknown => (v === '' && next < given.length ? given[next++] : v);
  for (const name of names) {
    const v = argv[name];
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.map(restore) : restore(v);
    argv[name] = value;
    argv[name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  }
  return argv;
}

type Runner = (cmd: SealCommand, argv: Args) => Promise<number | void>;

function register(y: Argv, cmd: SealCommand, run: Runner, setExit: (code: number) => void): void {
  y.command({
    command: cmd.command as string | string[],
    describe: cmd.describe,
    builder: (sub: Argv) => {
      let b = cmd.builder ? cmd.builder(sub) : sub;
      for (const [ex, desc] of cmd.examples ?? []) b = b.example(ex, desc);
      if (cmd.subcommands) {
        for (const child of cmd.subcommands) register(b, child, run, setExit);
        b = b.demandCommand(1, `Specify what to ${String(cmd.command).split(' ')[0]}`);
      }
      return b;
    },
    handler: async (argv: Args) => {
      if (!cmd.run) return;
      const code = await run(cmd, argv);
      setExit(typeof code === 'number' ? code : EXIT.OK);
    },
  });
}

const EMPTY_MEANS_UNSET = ['output-file', 'bundle', 'output-signature', 'output-certificate', 'output-payload', 'output-attestation', 'outfile', 'out'];

/** The parsed arguments made cosign-compatible, in place; the command's declarations. */
async function prepareArgs(cmd: SealCommand, argv: Args): Promise<import('./fast-path.ts').Declared> {
  const [{ declare }, { cosignArgs, refusedFlag }] = await Promise.all([import('./fast-path.ts'), import('./options/cosign.ts')]);
  const d = declare(cmd.builder);
  const refusals = new Map<string, string>();
  for (const spec of d.options.values()) {
    if (spec.refuse) refusals.set(spec.name, spec.refuse);
    // As cosign: a flag given twice keeps its last value; repeatable (array) flags keep all.
    const v: unknown = argv[spec.name];
    if (!spec.array && Array.isArray(v)) {
      const last: unknown = v[v.length - 1];
      for (const key of [spec.name, ...spec.aliases]) {
        argv[key] = last;
        argv[key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())] = last;
      }
    }
  }
  // cosign takes an empty file flag (`--bundle "$OUT"` with OUT unset) as not given (Go's
  // `o.Bundle != ""`); so does seal, instead of resolving "" to the working directory.
  for (const name of EMPTY_MEANS_UNSET) {
    const spec = d.options.get(name);
    if (!spec || argv[name] !== '') continue;
    for (const key of [spec.name, ...spec.aliases]) {
      delete argv[key];
      delete argv[key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())];
    }
  }
  const refusedOne = refusedFlag(argv, refusals);
  if (refusedOne) throw new SealError('usage', `${refusedOne.flag} is not supported: ${refusedOne.why}`, { code: 'FLAG_REFUSED' });
  cosignArgs(argv._.map(String), argv);
  return d;
}

/**
 * Runs a parsed command: cosign's flag spellings translated (options/cosign.ts), refused flags
 * refused, the global --output-file and --timeout applied.
 */
async function runCommand(cmd: SealCommand, argv: Args, ctx: CliContext): Promise<number | void> {
  const d = await prepareArgs(cmd, argv);
  const { parseGoDuration } = await import('./options/cosign.ts');
  const timeoutMs = argv.timeout === undefined ? undefined : parseGoDuration(String(argv.timeout), '--timeout');
  const outputFile = d.options.get('output-file')?.global && typeof argv['output-file'] === 'string' ? argv['output-file'] : undefined;
  let file: import('node:fs').WriteStream | undefined;
  if (outputFile !== undefined) {
    const { createWriteStream } = await import('node:fs');
    const { resolve } = await import('node:path');
    // Replaced when it exists, as cosign's --output-file does (os.Create).
    file = createWriteStream(resolve(ctx.cwd, outputFile));
    await new Promise<void>((res, rej) => file!.once('open', () => res()).once('error', rej));
    Object.defineProperty(ctx, 'stdout', { value: file, configurable: true });
  }
  let timer: NodeJS.Timeout | undefined;
  const resources: { close(): void }[] = [];
  let ended = false;
  // One opened after the end (a run still going when --timeout expired) is closed at once.
  const closeAtEnd = (r: { close(): void }) => void (ended ? closeQuietly(r, ctx) : resources.push(r));
  Object.defineProperty(ctx, 'closeAtEnd', { value: closeAtEnd, configurable: true });
  try {
    // Node's timers hold at most 2^31-1 ms (24.8 days); a longer one would fire at once (with a
    // TimeoutOverflowWarning on stderr), so a deadline that far away is no deadline.
    if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > MAX_TIMER_MS) return await cmd.run!(argv, ctx);
    const deadline = new AbortController();
    Object.defineProperty(ctx, 'signal', { value: AbortSignal.any([ctx.signal, deadline.signal]), configurable: true });
    const expired = new Promise<never>((_res, rej) => {
      timer = setTimeout(() => {
        const err = new SealError('network', `timed out after ${String(argv.timeout)} (--timeout)`, { code: 'TIMEOUT' });
        deadline.abort(err);
        rej(err);
      }, timeoutMs);
      timer.unref();
    });
    return await Promise.race([cmd.run!(argv, ctx), expired]);
  } finally {
    if (timer) clearTimeout(timer);
    // Registry connection pools: their sockets are destroyed now (synchronous, no round trip).
    ended = true;
    for (const r of resources.splice(0)) closeQuietly(r, ctx);
    if (file) await new Promise<void>((res) => file!.end(() => res()));
  }
}

const MAX_TIMER_MS = 2 ** 31 - 1;

function closeQuietly(resource: { close(): void }, ctx: CliContext): void {
  try {
    resource.close();
  } catch (err) {
    ctx.log.debug(`closing at the end of the command: ${messageOf(err)}`);
  }
}

/** Set once password.ts is loaded (a run that asked for a password); main.ts does not load it itself. */
let passwordWasMissing: ((ctx: CliContext) => boolean) | undefined;

function report(err: unknown, ctx: CliContext): number {
  if (isYargsError(err)) {
    ctx.stderr.write(`Error: ${messageOf(err)}; see seal --help\n`);
    return EXIT.USAGE;
  }
  if (err instanceof SealError && err.code === 'WRONG_PASSWORD' && passwordWasMissing?.(ctx)) {
    ctx.stderr.write('Error: no password given: set COSIGN_PASSWORD (or SEAL_PASSWORD) to the key password, or pipe it on stdin\n');
  } else if (err instanceof SealError) {
    ctx.stderr.write(`Error: ${flattenControls(err.message)}${err.hint ? `; ${flattenControls(err.hint)}` : ''}\n`);
  } else if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') {
    return EXIT.OK; // the reader went away (`| head`); not an error of ours
  } else if (describeSystemError(err)) {
    ctx.stderr.write(`Error: ${describeSystemError(err)}\n`);
  } else {
    ctx.stderr.write(`Error: ${flattenControls(messageOf(err))}${ctx.verbose ? '' : ' (run with --verbose for details)'}\n`);
  }
  if (ctx.verbose) ctx.stderr.write(stackOf(err) + '\n');
  return exitCodeFor(err);
}

/** The one yargs internal main.ts touches (yargs 18 build/lib/usage.js). */
interface YargsInternals {
  getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage: () => void } | undefined } | undefined;
}

function isYargsError(err: unknown): boolean {
  return err instanceof Error && err.name === 'YError';
}

function stackOf(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e instanceof Error) {
    parts.push(e.stack ?? e.message);
    e = e.cause;
    if (e) parts.push('caused by:');
  }
  if (e !== undefined && !(e instanceof Error)) parts.push(String(e));
  return parts.join('\n');
}
