// The CLI entry: runs one command, parsed by src/cli/fast-path.ts when the line is well formed,
// else by yargs (help, completion, every usage error), and maps every failure to one line on
// stderr and a documented exit code. The only caller of process.exit is bin/seal.js.
import type { Argv } from 'yargs';
import { SealError, messageOf } from '../errors.ts';
import { version } from '../version.ts';
import type { Args, SealCommand } from './command.ts';
import { createContext, type CliContext, type ContextOverrides } from './context.ts';
import { loadAllCommands } from './commands/index.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';

export async function main(args: string[], overrides: ContextOverrides = {}): Promise<number> {
  const verbose = overrides.verbose ?? (args.includes('--verbose') || args.includes('-d'));
  const ctx = createContext({ ...overrides, verbose });
  let exitCode: number = EXIT.OK;
  try {
    const { tryFastPath } = await import('./fast-path.ts');
    const fast = await tryFastPath(args);
    if (fast) {
      const code = await fast.command.run!(fast.argv, ctx);
      return typeof code === 'number' ? code : EXIT.OK;
    }
    const [{ default: yargs }, commands] = await Promise.all([import('yargs'), loadAllCommands()]);
    const y = yargs(args)
      .scriptName('seal')
      .usage('seal <command> [options]\n\nSign, attest and verify container images and files; compatible with cosign.')
      .option('verbose', { alias: 'd', type: 'boolean', global: true, describe: 'Debug output and stack traces on stderr' })
      .version(version)
      .alias('help', 'h')
      .strict()
      .demandCommand(1, 'Specify a command')
      .recommendCommands()
      .completion('completion', 'Print a bash/zsh completion script')
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
    for (const cmd of commands) register(y, cmd, ctx, (code) => (exitCode = code));
    await y.parseAsync();
    return exitCode;
  } catch (err) {
    return report(err, ctx);
  }
}

function register(y: Argv, cmd: SealCommand, ctx: CliContext, setExit: (code: number) => void): void {
  y.command({
    command: cmd.command as string | string[],
    describe: cmd.describe,
    builder: (sub: Argv) => {
      let b = cmd.builder ? cmd.builder(sub) : sub;
      for (const [ex, desc] of cmd.examples ?? []) b = b.example(ex, desc);
      if (cmd.subcommands) {
        for (const child of cmd.subcommands) register(b, child, ctx, setExit);
        b = b.demandCommand(1, `Specify what to ${String(cmd.command).split(' ')[0]}`);
      }
      return b;
    },
    handler: async (argv: Args) => {
      if (!cmd.run) return;
      const code = await cmd.run(argv, ctx);
      setExit(typeof code === 'number' ? code : EXIT.OK);
    },
  });
}

function report(err: unknown, ctx: CliContext): number {
  if (isYargsError(err)) {
    ctx.stderr.write(`Error: ${messageOf(err)}; see seal --help\n`);
    return EXIT.USAGE;
  }
  if (err instanceof SealError) {
    ctx.stderr.write(`Error: ${err.message}${err.hint ? `; ${err.hint}` : ''}\n`);
  } else if ((err as NodeJS.ErrnoException)?.code === 'EPIPE') {
    return EXIT.OK; // the reader went away (`| head`); not an error of ours
  } else {
    ctx.stderr.write(`Error: ${messageOf(err)}${ctx.verbose ? '' : ' (run with --verbose for details)'}\n`);
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
