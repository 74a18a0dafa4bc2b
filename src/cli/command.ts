// A seal command: the yargs declaration plus a `run` that gets the parsed arguments and the
// context. `run` should only translate flags into an options object and call one operation in
// src/ops (imported lazily, so `seal --help` loads no crypto or network code).
import type { Argv } from 'yargs';
import type { CliContext } from './context.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Args = Record<string, any> & { _: (string | number)[] };

export interface SealCommand {
  command: string | readonly string[];
  describe: string;
  builder?: (y: Argv) => Argv;
  examples?: readonly (readonly [string, string])[];
  /** Exit code, or nothing for 0. Absent for a parent of subcommands. */
  run?: (argv: Args, ctx: CliContext) => Promise<number | void>;
  subcommands?: readonly SealCommand[];
}

/**
 * Write `const command = defineCommand({...}); export default command;`, not
 * `export default defineCommand(...)`: with the latter tsc 5.9 stops rewriting `.ts` in the
 * module's dynamic imports (rewriteRelativeImportExtensions) and dist/ fails to load them.
 */
export const defineCommand = (c: SealCommand): SealCommand => c;
