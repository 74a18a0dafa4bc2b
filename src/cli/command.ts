// A seal command: its flag declarations (a yargs builder, whose types yargs infers), and a `run`
// that gets those flags typed and the context. `run` maps the flags onto an operation's options
// (the command's `toOptions`) and calls that operation in src/ops (imported lazily, so
// `seal --help` loads no crypto or network code).
import type { Argv } from 'yargs';
import type { CliContext } from './context.ts';

/**
 * The parsed arguments as yargs or the fast path (fast-path.ts) hand them over, before a command
 * types them: every flag under its name, its camelCase form and its aliases. main.ts and
 * options/cosign.ts read and rewrite them by name; commands see `Flags<…>`.
 */
export interface Args {
  _: (string | number)[];
  $0?: string;
  [flag: string]: unknown;
}

/** The names of the positionals a command string demands (`sign <images..>` → 'images'). */
type Demanded<S extends string> = S extends `${string}<${infer Name}>${infer Rest}`
  ? (Name extends `${infer Variadic}..` ? Variadic : Name) | Demanded<Rest>
  : never;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/**
 * What a command's `run` gets: the flags its builder declares (under both spellings, as yargs
 * sets them; commands use the camelCase one), with the positionals its command string demands
 * present. A flag the builder does not declare is a compile error.
 */
export type Flags<A, S extends string = string> = { [K in keyof A as K | (K extends string ? CamelCase<K> : never)]: A[K] } & {
  [K in Demanded<S> as CamelCase<K>]: K extends keyof A ? Exclude<A[K], undefined> : string;
} & { _: (string | number)[]; $0: string };

/** What `run` gets from a builder written apart (to type the command's toOptions by it). */
export type FlagsOf<B extends (y: Argv) => Argv<unknown>, S extends string = string> = ReturnType<B> extends Argv<infer A> ? Flags<A, S> : never;

/**
 * The flags an option group declares (its builder `(y) => y.option(…)…`), camelCase and each
 * possibly absent: what the group's mapping function (toStoreOptions, loadTrustPolicy, …) reads.
 */
export type GroupFlags<G extends (y: Argv) => Argv<unknown>> =
  ReturnType<G> extends Argv<infer A> ? { [K in keyof A as K extends string ? CamelCase<K> : never]?: A[K] } : never;

/** A command as main.ts and the fast path handle it: the flag types erased. */
export interface SealCommand {
  command: string | readonly string[];
  describe: string;
  builder?: (y: Argv) => Argv<unknown>;
  examples?: readonly (readonly [string, string])[];
  /** Exit code, or nothing for 0. Absent for a parent of subcommands. */
  run?: (argv: Args, ctx: CliContext) => Promise<number | void>;
  subcommands?: readonly SealCommand[];
}

/** A command as its module writes it: `run` typed by what `builder` declares. */
export interface CommandSpec<A, S extends string> {
  command: S | readonly S[];
  describe: string;
  builder?: (y: Argv) => Argv<A>;
  examples?: readonly (readonly [string, string])[];
  run?: (argv: Flags<A, S>, ctx: CliContext) => Promise<number | void>;
  subcommands?: readonly SealCommand[];
}

/**
 * Write `const command = defineCommand({...}); export default command;`, not
 * `export default defineCommand(...)`: with the latter tsc 5.9 stops rewriting `.ts` in the
 * module's dynamic imports (rewriteRelativeImportExtensions) and dist/ fails to load them.
 */
export function defineCommand<A = object, S extends string = string>(spec: CommandSpec<A, S>): SealCommand {
  const { run, ...rest } = spec;
  if (!run) return rest;
  // The one place the parsed arguments take the builder's types: yargs (or the fast path, from
  // the same declarations) parsed them, prepareArgs in main.ts made them cosign-compatible, and a
  // `<positional>` in the command string is demanded before run is called.
  return { ...rest, run: (argv, ctx) => run(argv as unknown as Flags<A, S>, ctx) };
}
