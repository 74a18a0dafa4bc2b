// Running a command without yargs. Importing yargs and building its parser costs more than the
// rest of a small `seal verify-blob` (bench/startup.sh), so a well-formed command line is parsed
// here, from the same builder declarations, and only its own command module is loaded. Anything
// this parser is not sure about (help, completion, an unknown or malformed flag, a missing or
// invalid value, a builder feature it does not know) returns undefined, and main.ts lets yargs
// parse the line and produce its usual help or error: the fast path never decides an error.
import type { Argv } from 'yargs';
import type { Args, SealCommand } from './command.ts';
import { commandLoaders } from './commands/index.ts';
import { SealError, usageError } from '../errors.ts';
import { closest } from './options/cosign.ts';

interface OptionSpec {
  name: string;
  type: 'string' | 'boolean' | 'number';
  array: boolean;
  choices?: readonly unknown[];
  default?: unknown;
  demand: boolean;
  aliases: string[];
  /** A cosign flag seal refuses when set: the reason (src/cli/options/cosign.ts). */
  refuse?: string;
  /** Declared by the CLI for every command (--verbose, --output-file, --timeout). */
  global: boolean;
}

interface PositionalSpec {
  name: string;
  variadic: boolean;
  required: boolean;
}

export interface Declared {
  options: Map<string, OptionSpec>;
  /** Every accepted spelling (name, aliases) → option name. */
  names: Map<string, string>;
  conflicts: [string, string][];
  unsupported: boolean;
}

/** Options of every command, as main.ts declares them to yargs. */
export const GLOBAL_OPTIONS: [string, Record<string, unknown>][] = [
  ['verbose', { alias: 'd', type: 'boolean' }],
  ['output-file', { type: 'string' }],
  ['timeout', { alias: 't', type: 'string' }],
];
const BAIL = ['--help', '-h', '--version', '--get-yargs-completions'];

/** What each builder declares, recorded once: canonicalArgs and tryFastPath both ask. */
const declared = new WeakMap<(y: Argv) => Argv, Declared>();

/** Records what a yargs builder declares, through a stand-in for the yargs instance. */
export function declare(builder: ((y: Argv) => Argv) | undefined): Declared {
  if (!builder) return record(undefined);
  let d = declared.get(builder);
  if (!d) declared.set(builder, (d = record(builder)));
  return d;
}

function record(builder: ((y: Argv) => Argv) | undefined): Declared {
  const d: Declared = { options: new Map(), names: new Map(), conflicts: [], unsupported: false };
  let declaringGlobals = true;
  const addOption = (name: string, given: Record<string, unknown>) => {
    // Declared again (a shared group and a command's own declaration): merged, as yargs does.
    const prev = d.options.get(name);
    const cfg: Record<string, unknown> = prev
      ? {
          type: prev.type,
          array: prev.array,
          choices: prev.choices,
          default: prev.default,
          demandOption: prev.demand,
          alias: prev.aliases,
          refuse: prev.refuse,
          ...given,
        }
      : given;
    const type = cfg.type ?? (cfg.boolean ? 'boolean' : cfg.number ? 'number' : 'string');
    if (type !== 'string' && type !== 'boolean' && type !== 'number') d.unsupported = true;
    if (cfg.coerce || cfg.nargs || cfg.count || cfg.implies || cfg.conflicts) d.unsupported = true;
    const aliases = (cfg.alias === undefined ? [] : Array.isArray(cfg.alias) ? cfg.alias : [cfg.alias]).map(String);
    d.options.set(name, {
      name,
      aliases,
      type: type as OptionSpec['type'],
      array: Boolean(cfg.array),
      choices: cfg.choices as readonly unknown[] | undefined,
      default: cfg.default,
      demand: Boolean(cfg.demandOption),
      ...(typeof cfg.refuse === 'string' ? { refuse: cfg.refuse } : {}),
      global: declaringGlobals,
    });
    for (const n of [name, ...aliases]) d.names.set(n, name);
  };
  for (const [name, cfg] of GLOBAL_OPTIONS) addOption(name, cfg);
  declaringGlobals = false;
  const stub: Record<string, unknown> = new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === 'option' || prop === 'options') {
          return (name: string, cfg: Record<string, unknown> = {}) => (addOption(name, cfg), stub);
        }
        if (prop === 'positional') return () => stub; // positionals come from the command string
        if (prop === 'conflicts') return (a: string, b: string) => (d.conflicts.push([a, b]), stub);
        if (prop === 'example' || prop === 'group' || prop === 'usage' || prop === 'epilogue') return () => stub;
        d.unsupported = true;
        return () => stub;
      },
    },
  );
  if (builder) builder(stub as unknown as Argv);
  return d;
}

export function positionalsOf(command: string): PositionalSpec[] {
  return command
    .split(/\s+/)
    .slice(1)
    .map((tok) => {
      const m = /^([<[])([\w-]+)(\.\.)?[>\]]$/.exec(tok);
      return m ? { name: m[2]!, variadic: Boolean(m[3]), required: m[1] === '<' } : undefined;
    })
    .filter((p): p is PositionalSpec => p !== undefined);
}

const camel = (s: string): string => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** As yargs does: the value under the name, its camelCase form and every alias. */
function setArg(argv: Args, name: string, value: unknown, aliases: readonly string[] = []): void {
  for (const key of [name, ...aliases]) {
    argv[key] = value;
    argv[camel(key)] = value;
  }
}

/** The command a line names (its path, e.g. ['attach', 'sbom']) and the arguments after it. */
export async function resolveCommand(args: readonly string[]): Promise<{ command: SealCommand; path: string[]; rest: string[] } | undefined> {
  const load = args.length ? commandLoaders[args[0]!] : undefined;
  if (!load) return undefined;
  let command = (await load()).default;
  const path = [args[0]!];
  let rest = args.slice(1);
  while (command.subcommands) {
    const sub = command.subcommands.find((c) => String(c.command).split(' ')[0] === rest[0]);
    if (!sub) return undefined;
    command = sub;
    path.push(rest[0]!);
    rest = rest.slice(1);
  }
  return { command, path, rest };
}

function unknownFlag(flag: string, path: readonly string[], d: Declared): SealError {
  const names = [...d.names.keys()].filter((n) => n.length > 1 && !d.options.get(d.names.get(n)!)?.refuse);
  const guess = closest(flag.replace(/^-+/, ''), names);
  return usageError(`unknown flag ${flag} for seal ${path.join(' ')}${guess ? `; did you mean --${guess}?` : ''}`, {
    hint: `see seal ${path.join(' ')} --help`,
  });
}

/** The command and parsed arguments, or undefined when yargs should handle the line. */
export async function tryFastPath(args: readonly string[]): Promise<{ command: SealCommand; argv: Args } | undefined> {
  if (args.length === 0 || args.some((a) => BAIL.includes(a))) return undefined;
  const resolved = await resolveCommand(args);
  if (!resolved) return undefined;
  const { command, path, rest } = resolved;
  if (!command.run || Array.isArray(command.command)) return undefined;
  const d = declare(command.builder);
  if (d.unsupported) return undefined;
  return parse(rest, d, positionalsOf(String(command.command)), path, command);
}

/**
 * A single-dash token as pflag (cosign's parser) reads it: a run of short flags. A boolean one is
 * set (`-d`, or `-d=false`); the first that takes a value takes the rest of the token (`-t5m`,
 * `-t=5m`) or, ending the token, the next argument whatever it looks like (`-dt -5s`, `-ra -x`).
 * The flags come back as whole long-form tokens (`--verbose=true`, `--timeout=-5s`), which yargs
 * and the fast path read alike; `took` says the next argument was used. A value flag ending the
 * line stays short (`-t`): yargs says its value is missing. `-h` undeclared is help, as in cobra.
 */
export function readShortFlags(tok: string, next: string | undefined, d: Declared): { flags: string[]; took: boolean } | { unknown: string } | { help: true } {
  const flags: string[] = [];
  for (let j = 1; j < tok.length; j++) {
    const letter = tok[j]!;
    const name = d.names.get(letter);
    if (!name) return letter === 'h' ? { help: true } : { unknown: letter };
    const rest = tok.slice(j + 1);
    const bool = d.options.get(name)!.type === 'boolean';
    if (rest.length > 1 && rest.startsWith('='))
      return { flags: [...flags, `--${name}=${bool ? goBool(rest.slice(1), `-${letter}`) : rest.slice(1)}`], took: false };
    if (bool) {
      flags.push(`--${name}=true`);
      continue;
    }
    if (rest) return { flags: [...flags, `--${name}=${rest}`], took: false };
    if (next === undefined) return { flags: [...flags, `-${letter}`], took: false };
    return { flags: [...flags, `--${name}=${next}`], took: true };
  }
  return { flags, took: false };
}

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/** A boolean flag's value as Go's strconv.ParseBool (pflag) reads it: `--yes=1`, `-d=F`. yargs reads "1" as false. */
function goBool(value: string, flag: string): 'true' | 'false' {
  if (GO_TRUE.includes(value)) return 'true';
  if (GO_FALSE.includes(value)) return 'false';
  throw usageError(
    `invalid value "${value}" for ${flag}: it is a boolean flag; give true or false (or 1, t, T, TRUE, True, 0, f, F, FALSE, False), or leave the value out for true`,
  );
}

function unknownShortFlag(letter: string, tok: string, path: readonly string[], d: Declared): SealError {
  const shorts = [...d.names.keys()].filter((n) => n.length === 1 && !d.options.get(d.names.get(n)!)?.refuse).sort();
  return usageError(`unknown flag -${letter}${tok.length > 2 ? ` (in ${tok})` : ''} for seal ${path.join(' ')}`, {
    hint: `its short flags are ${shorts.map((s) => `-${s}`).join(' ')}; see seal ${path.join(' ')} --help`,
  });
}

/**
 * A long flag written with one dash (`-key`): pflag reads it as short flags (-k with the value
 * "ey", or an unknown -k), so seal refuses it, naming the two-dash form.
 */
function singleDashLongFlag(tok: string, d: Declared): SealError | undefined {
  const body = tok.slice(1).split('=')[0]!;
  if (body.length < 2) return undefined;
  const bool = (n: string) => d.options.get(d.names.get(n) ?? '')?.type === 'boolean';
  if (!d.names.has(body) && !(body.startsWith('no-') && bool(body.slice(3)))) return undefined;
  return usageError(`${tok.split('=')[0]} has one dash: one dash starts short flags (as in cosign); write --${body}`);
}

/** The global flags, as main.ts declares them to yargs. */
const globalsDeclared = (): Declared => declare(undefined);

/**
 * Global flags before the command (`seal --timeout 5m verify …`, `seal -dt5m verify …`, as
 * cobra takes cosign's persistent flags) are read as pflag reads them, and move after the
 * command, where its own parsing (and the fast path) reads them like any other flag. The first
 * argument that is not a global flag ends them.
 */
function joinLeadingGlobals(args: readonly string[]): string[] {
  const g = globalsDeclared();
  const globals: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const tok = args[i]!;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const flag = tok.slice(2, eq < 0 ? undefined : eq);
      const name = flag.length > 1 ? g.names.get(flag) : undefined;
      if (name === undefined) break;
      if (eq >= 0) globals.push(`--${name}=${tok.slice(eq + 1)}`);
      else if (g.options.get(name)!.type === 'boolean') globals.push(`--${name}=true`);
      else if (i + 1 < args.length) globals.push(`--${name}=${args[++i]!}`);
      else globals.push(tok);
      continue;
    }
    if (tok.length < 2 || !tok.startsWith('-') || /^-\d/.test(tok)) break;
    const read = readShortFlags(tok, args[i + 1], g);
    if (!('flags' in read)) break;
    globals.push(...read.flags);
    if (read.took) i++;
  }
  const rest = args.slice(i);
  if (globals.length === 0) return rest;
  if (rest.length === 0 || !Object.hasOwn(commandLoaders, rest[0]!)) return [...globals, ...rest];
  const end = rest.indexOf('--');
  return end < 0 ? [...rest, ...globals] : [...rest.slice(0, end), ...globals, ...rest.slice(end)];
}

/**
 * The line as cosign's parser (Go pflag) reads it, spelled so yargs reads it the same way: global
 * flags before the command move after it; a value flag takes the next argument whatever it looks
 * like (`--max-age -1d`, `-dt -5s`), and a boolean never takes one (`--insecure-ignore-tlog
 * IMAGE`: IMAGE stays a positional); bundled short flags are split (readShortFlags). All become
 * `--flag=value`. Throws a usage error naming an unknown flag (with the closest known one). Lines
 * it cannot resolve to a command, or that ask for help, come back with only the globals moved.
 */
export async function canonicalArgs(given: readonly string[]): Promise<string[]> {
  const args = joinLeadingGlobals(given);
  if (args.some((a) => BAIL.includes(a))) return args;
  const resolved = await resolveCommand(args);
  if (!resolved || !resolved.command.run) return args;
  const { command, path, rest } = resolved;
  const d = declare(command.builder);
  const out = [...path];
  for (let i = 0; i < rest.length; i++) {
    const tok = rest[i]!;
    if (tok === '--') {
      out.push(...rest.slice(i));
      break;
    }
    if (tok === '-' || !tok.startsWith('-') || /^-\d/.test(tok)) {
      out.push(tok);
      continue;
    }
    if (!tok.startsWith('--')) {
      const long = singleDashLongFlag(tok, d);
      if (long) throw long;
      const read = readShortFlags(tok, rest[i + 1], d);
      if ('help' in read) return args;
      if ('unknown' in read) throw unknownShortFlag(read.unknown, tok, path, d);
      out.push(...read.flags);
      if (read.took) i++;
      continue;
    }
    const body = tok.slice(2);
    const eq = body.indexOf('=');
    const flag = eq >= 0 ? body.slice(0, eq) : body;
    let name = d.names.get(flag);
    if (!name && flag.startsWith('no-') && eq < 0) {
      const base = d.names.get(flag.slice(3));
      if (base && d.options.get(base)!.type === 'boolean') name = base;
    }
    if (!name) throw unknownFlag(`--${flag}`, path, d);
    const spec = d.options.get(name)!;
    if (spec.type === 'boolean' && eq < 0 && name === d.names.get(flag)) {
      out.push(`${tok}=true`); // yargs would take a following "true"/"false" as the value; pflag does not
      continue;
    }
    if (spec.type === 'boolean' && eq >= 0) {
      out.push(`--${flag}=${goBool(body.slice(eq + 1), `--${flag}`)}`);
      continue;
    }
    if (spec.type === 'boolean' || eq >= 0) {
      out.push(tok);
      continue;
    }
    const next = rest[i + 1];
    if (next === undefined) {
      out.push(tok); // yargs says the value is missing
      continue;
    }
    out.push(`--${name}=${next}`);
    i++;
  }
  return out;
}

function parse(
  rest: readonly string[],
  d: Declared,
  positionalSpecs: PositionalSpec[],
  path: string[],
  command: SealCommand,
): { command: SealCommand; argv: Args } | undefined {
  const values = new Map<string, unknown[]>();
  const positionals: string[] = [];
  const put = (name: string, value: unknown) => values.set(name, [...(values.get(name) ?? []), value]);
  for (let i = 0; i < rest.length; i++) {
    const tok = rest[i]!;
    if (tok === '--') {
      positionals.push(...rest.slice(i + 1));
      break;
    }
    if (tok === '-' || !tok.startsWith('-')) {
      positionals.push(tok);
      continue;
    }
    let flag = tok.replace(/^--?/, '');
    if (!tok.startsWith('--') && flag.length !== 1) return undefined; // -abc bundles: leave to yargs
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (eq >= 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    let name = d.names.get(flag);
    let negated = false;
    if (!name && flag.startsWith('no-') && inline === undefined) {
      name = d.names.get(flag.slice(3));
      negated = true;
    }
    const spec = name ? d.options.get(name) : undefined;
    if (!spec) return undefined;
    if (spec.type === 'boolean') {
      if (negated) put(spec.name, false);
      else if (inline === undefined) put(spec.name, true);
      else if (inline === 'true' || inline === 'false') put(spec.name, inline === 'true');
      else return undefined;
      continue;
    }
    if (negated) return undefined;
    let value = inline;
    if (value === undefined) {
      const next = rest[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-')) return undefined;
      value = next;
      i++;
    }
    if (spec.type === 'number') {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) return undefined;
      put(spec.name, n);
    } else {
      put(spec.name, value);
    }
  }

  const argv: Args = { _: [...path], $0: 'seal' };
  for (const spec of d.options.values()) {
    const got = values.get(spec.name);
    if (got === undefined) {
      if (spec.demand) return undefined;
      if (spec.default !== undefined) setArg(argv, spec.name, spec.default, spec.aliases);
      continue;
    }
    // As cosign: an option given twice keeps the last value; repeatable (array) options keep all.
    const value = spec.array ? got : got[got.length - 1];
    const list = Array.isArray(value) ? value : [value];
    if (spec.choices && list.some((v) => !spec.choices!.includes(v))) return undefined;
    setArg(argv, spec.name, value, spec.aliases);
  }
  for (const [a, b] of d.conflicts) if (values.has(a) && values.has(b)) return undefined;

  let p = 0;
  for (const spec of positionalSpecs) {
    if (spec.variadic) {
      const taken = positionals.slice(p);
      p = positionals.length;
      if (spec.required && taken.length === 0) return undefined;
      if (taken.length) setArg(argv, spec.name, taken);
    } else if (p < positionals.length) {
      setArg(argv, spec.name, positionals[p++]);
    } else if (spec.required) {
      return undefined;
    }
  }
  if (p < positionals.length) return undefined; // extra arguments: yargs says what is wrong
  return { command, argv };
}
