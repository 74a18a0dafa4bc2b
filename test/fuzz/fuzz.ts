// A tiny seeded fuzzer for node --test: a PRNG, byte/string/JSON mutators and a runner that
// asserts the project's promise for bad input: a parser returns, or throws a SealError whose
// message is one readable line. No dependencies; every case is reproducible from (seed, case).
//
//   SEAL_FUZZ_SEED=1234 node --test test/fuzz/          another seed (default fixed, for CI)
//   SEAL_FUZZ_ITERATIONS=20000 node --test test/fuzz/   more cases per target (default: each target's own)
//   SEAL_FUZZ_CASE=417 ...                              run one case only (as printed on failure)
//   SEAL_FUZZ_TARGET=policy ...                         run one target only (others pass at once)
//   SEAL_FUZZ_STRICT=1 ...                              known problems (in code owned elsewhere) fail too
import { SealError } from '../../src/errors.ts';

export const BASE_SEED = parseSeed(process.env['SEAL_FUZZ_SEED']) ?? 0x5ea1f022;
const ITERATIONS = process.env['SEAL_FUZZ_ITERATIONS'] ? Number(process.env['SEAL_FUZZ_ITERATIONS']) : undefined;
const ONLY_CASE = process.env['SEAL_FUZZ_CASE'] ? Number(process.env['SEAL_FUZZ_CASE']) : undefined;
const ONLY_TARGET = process.env['SEAL_FUZZ_TARGET'] || undefined;
/** SEAL_FUZZ_STRICT=1: known (reported, not ours to fix) problems fail too, with their stacks. */
const STRICT = !!process.env['SEAL_FUZZ_STRICT'];
/** A single call slower than this is a failure too (catastrophic regexps, quadratic loops). */
const SLOW_MS = Number(process.env['SEAL_FUZZ_SLOW_MS'] ?? 1000);

function parseSeed(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw new Error(`SEAL_FUZZ_SEED must be a number, got ${s}`);
  return n >>> 0;
}

/** mulberry32: small, fast, good enough to drive mutations. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** The seed of one case: a hash of the base seed and the case number. */
export function caseSeed(base: number, target: string, i: number): number {
  let h = (base ^ 0x811c9dc5) >>> 0;
  for (const ch of `${target}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Mutators

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x0d, 0x22, 0x5c, 0x2d, 0x3d, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c];
export const NASTY_STRINGS = [
  '',
  ' ',
  '\n',
  '\r\n',
  '\u0000',
  '"',
  '\\',
  '-----BEGIN ',
  '-----END ',
  '=',
  '==',
  ':',
  '@',
  '/',
  '//',
  '[',
  ']',
  '[::1]',
  'sha256:',
  'sha256:' + 'a'.repeat(64),
  'sha512:' + 'b'.repeat(128),
  '%00',
  '%',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'null',
  'NaN',
  '\u00e9',
  '\u202e',
  '\ud83d\ude00',
  '\ud800',
  '\uffff',
  'A'.repeat(300),
  'a'.repeat(70000),
  ',,,',
  ';;',
  '<',
  '>',
  'rel="next"',
  'Bearer',
  'realm=',
  '$ref',
  '{{',
  '!!binary',
  '&a',
  '*a',
  '---',
  '- ',
  '? ',
];
export const NASTY_NUMBERS = [0, -1, 1, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, -(2 ** 31), 0.5, 1e-300, 255, 256, 65535, 65536, 32768, 131072, 8];

export function mutateBytes(rng: Rng, input: Uint8Array, seeds: readonly Uint8Array[] = []): Uint8Array {
  let b = Buffer.from(input);
  const rounds = 1 + rng.int(rng.bool(0.8) ? 3 : 12);
  for (let r = 0; r < rounds; r++) {
    const pos = b.length ? rng.int(b.length) : 0;
    switch (rng.int(10)) {
      case 0: // bit flip
        if (b.length) b[pos] = b[pos]! ^ (1 << rng.int(8));
        break;
      case 1: // interesting byte
        if (b.length) b[pos] = rng.pick(INTERESTING_BYTES);
        break;
      case 2: // truncate
        b = b.subarray(0, pos);
        break;
      case 3: {
        // delete a chunk
        const len = 1 + rng.int(Math.min(64, b.length + 1));
        b = Buffer.concat([b.subarray(0, pos), b.subarray(pos + len)]);
        break;
      }
      case 4: {
        // insert random bytes
        const extra = Buffer.alloc(1 + rng.int(16));
        for (let i = 0; i < extra.length; i++) extra[i] = rng.int(256);
        b = Buffer.concat([b.subarray(0, pos), extra, b.subarray(pos)]);
        break;
      }
      case 5: {
        // duplicate a chunk
        const len = 1 + rng.int(Math.min(256, b.length + 1));
        b = Buffer.concat([b.subarray(0, pos + len), b.subarray(pos, pos + len), b.subarray(pos + len)]);
        break;
      }
      case 6: {
        // splice with another seed
        const other = seeds.length ? Buffer.from(rng.pick(seeds)) : b;
        const at = other.length ? rng.int(other.length) : 0;
        b = Buffer.concat([b.subarray(0, pos), other.subarray(at)]);
        break;
      }
      case 7: // insert a nasty string
        b = Buffer.concat([b.subarray(0, pos), Buffer.from(rng.pick(NASTY_STRINGS)), b.subarray(pos)]);
        break;
      case 8: // flip a digit or a letter's case (keeps text-ish input parseable more often)
        if (b.length) {
          const c = b[pos]!;
          if (c >= 0x30 && c <= 0x39) b[pos] = 0x30 + rng.int(10);
          else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) b[pos] = c ^ 0x20;
        }
        break;
      default: {
        // overwrite a range with one byte
        const len = 1 + rng.int(8);
        const v = rng.pick(INTERESTING_BYTES);
        for (let i = pos; i < Math.min(b.length, pos + len); i++) b[i] = v;
      }
    }
  }
  return new Uint8Array(b);
}

export function mutateString(rng: Rng, input: string, seeds: readonly string[] = []): string {
  let s = input;
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const pos = rng.int(s.length + 1);
    switch (rng.int(7)) {
      case 0:
        s = s.slice(0, pos) + rng.pick(NASTY_STRINGS).slice(0, 400) + s.slice(pos);
        break;
      case 1:
        s = s.slice(0, pos);
        break;
      case 2:
        s = s.slice(0, pos) + s.slice(pos + 1 + rng.int(8));
        break;
      case 3: {
        const other = seeds.length ? rng.pick(seeds) : s;
        s = s.slice(0, pos) + other.slice(rng.int(other.length + 1));
        break;
      }
      case 4:
        s = s.slice(0, pos) + String.fromCharCode(rng.int(rng.bool(0.7) ? 128 : 0x10000)) + s.slice(pos + 1);
        break;
      case 5:
        s = s.slice(0, pos) + s.slice(pos, pos + 1 + rng.int(20)).repeat(2 + rng.int(rng.bool(0.1) ? 2000 : 5)) + s.slice(pos);
        break;
      default:
        s = s.slice(0, pos) + rng.pick([':', '/', '@', '.', '-', '_', '"', ',', ' ', '=', '[', ']', '<', '>', ';']) + s.slice(pos);
    }
  }
  return s;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function randomScalar(rng: Rng): Json {
  switch (rng.int(6)) {
    case 0:
      return null;
    case 1:
      return rng.bool();
    case 2:
      return rng.pick(NASTY_NUMBERS);
    case 3:
      return rng.pick(NASTY_STRINGS).slice(0, rng.bool(0.95) ? 400 : 70000);
    case 4:
      return [];
    default:
      return {};
  }
}

function deepNest(rng: Rng, depth: number): Json {
  let v: Json = randomScalar(rng);
  for (let i = 0; i < depth; i++) v = rng.bool() ? [v] : { a: v };
  return v;
}

/** Every (container, key) pair in a JSON tree. */
function slots(root: Json): { parent: Json[] | Record<string, Json>; key: string | number }[] {
  const out: { parent: Json[] | Record<string, Json>; key: string | number }[] = [];
  const walk = (v: Json, depth: number) => {
    if (depth > 64 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) v.forEach((c, i) => (out.push({ parent: v, key: i }), walk(c, depth + 1)));
    else for (const k of Object.keys(v)) (out.push({ parent: v, key: k }), walk(v[k]!, depth + 1));
  };
  walk(root, 0);
  return out;
}

/** Structure-aware mutation: change a value's type, delete keys, huge numbers, deep nesting, unicode. */
export function mutateJson(rng: Rng, input: unknown, seeds: readonly unknown[] = []): unknown {
  const root = structuredClone(input) as Json;
  const holder = { root } as Record<string, Json>;
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const all = [{ parent: holder, key: 'root' as string | number }, ...slots(holder['root']!)];
    const { parent, key } = rng.pick(all);
    const p = parent as Record<string | number, Json>;
    const cur = p[key]!;
    switch (rng.int(9)) {
      case 0: // change the type
        p[key] = randomScalar(rng);
        break;
      case 1: // delete the key / element
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== holder) delete p[key];
        break;
      case 2: // numbers: huge, negative, fractional
        p[key] = typeof cur === 'string' && /^\d+$/.test(cur) ? String(rng.pick(NASTY_NUMBERS)) : rng.pick(NASTY_NUMBERS);
        break;
      case 3: // deep nesting
        p[key] = deepNest(rng, rng.bool(0.03) ? 5000 : 1 + rng.int(50));
        break;
      case 4: // string mutation
        if (typeof cur === 'string') p[key] = mutateString(rng, cur);
        else p[key] = rng.pick(NASTY_STRINGS).slice(0, 400);
        break;
      case 5: // wrap in an array / object
        p[key] = rng.bool() ? [cur] : { value: cur };
        break;
      case 6: // add a strange key
        if (cur && typeof cur === 'object' && !Array.isArray(cur)) cur[rng.pick(NASTY_STRINGS).slice(0, 40)] = randomScalar(rng);
        else if (Array.isArray(cur)) cur.push(randomScalar(rng), ...(rng.bool(0.1) ? Array(2000).fill(cur[0] ?? null) : []));
        else p[key] = randomScalar(rng);
        break;
      case 7: {
        // graft a subtree of another seed
        const other = seeds.length ? (structuredClone(rng.pick(seeds)) as Json) : cur;
        const candidates = slots(other);
        p[key] = candidates.length
          ? ((candidates[rng.int(candidates.length)]!.parent as Record<string | number, Json>)[candidates[rng.int(candidates.length)]!.key] ?? other)
          : other;
        break;
      }
      default: // duplicate an array element / empty a container
        if (Array.isArray(cur) && cur.length) cur.push(structuredClone(cur[rng.int(cur.length)]!));
        else if (cur && typeof cur === 'object') p[key] = Array.isArray(cur) ? [] : {};
        else p[key] = null;
    }
  }
  return holder['root'];
}

/** Text that is JSON-mutated when it parses, byte-mutated otherwise (and sometimes anyway). */
export function mutateDocument(rng: Rng, text: string, seeds: readonly string[]): string {
  if (rng.bool(0.65)) {
    try {
      const parsed = JSON.parse(text) as unknown;
      const others = seeds.length ? [JSON.parse(rng.pick(seeds)) as unknown] : [];
      const out = JSON.stringify(mutateJson(rng, parsed, others), null, rng.bool(0.2) ? 2 : undefined);
      if (out !== undefined) return out;
    } catch {
      /* not JSON (or a seed that is not): fall through to bytes */
    }
  }
  return Buffer.from(
    mutateBytes(
      rng,
      Buffer.from(text),
      seeds.map((s) => Buffer.from(s)),
    ),
  ).toString('utf8');
}

// ---------------------------------------------------------------------------------------------
// Runner

/** Why `err` breaks the promise, or undefined when it is an acceptable failure. */
export function badError(err: unknown): string | undefined {
  if (!(err instanceof SealError)) {
    const e = err as Error;
    return `threw ${e?.constructor?.name ?? typeof err} (not a SealError): ${String(e?.message ?? err).slice(0, 300)}`;
  }
  const problems: string[] = [];
  for (const [what, text] of [
    ['message', err.message],
    ['hint', err.hint],
  ] as const) {
    if (text === undefined) continue;
    if (what === 'message' && !text.trim()) problems.push('empty message');
    if (/[\r\n]/.test(text)) problems.push(`${what} has a line break`);
    if (/\bundefined\b/.test(text) && !/\bundefined\b/.test(String(err.cause ?? ''))) problems.push(`${what} says "undefined"`);
    if (text.includes('[object Object]')) problems.push(`${what} says "[object Object]"`);
  }
  return problems.length ? `${problems.join(', ')}: ${JSON.stringify(err.message.slice(0, 300))}` : undefined;
}

export interface FuzzOptions<T> {
  /** Cases to run by default (SEAL_FUZZ_ITERATIONS overrides). */
  iterations: number;
  /** Builds one input from the case's RNG. */
  generate: (rng: Rng, i: number) => T;
  /** Calls the code under test; may return anything. */
  run: (input: T) => unknown;
  /** For the failure report. */
  show?: (input: T) => string;
  /** Extra check of a returned value: a problem description, or undefined. */
  checkResult?: (result: unknown, input: T) => string | undefined;
  /**
   * Problems already reported in code this suite may not change (e.g. src/sigstore): matched
   * against the problem text; they are returned with `known` set instead of failing the target.
   */
  known?: { pattern: RegExp; note: string }[];
}

export interface FuzzFailure {
  caseNo: number;
  problem: string;
  input: string;
  stack?: string;
  /** The note of the known problem this is. */
  known?: string;
}

/** Runs the cases; returns the distinct failures (by problem kind and throwing line). */
export async function fuzz<T>(target: string, opts: FuzzOptions<T>): Promise<FuzzFailure[]> {
  if (ONLY_TARGET !== undefined && ONLY_TARGET !== target) return [];
  const n = ITERATIONS ?? opts.iterations;
  const failures = new Map<string, FuzzFailure>();
  const show = opts.show ?? ((x: T) => preview(x));
  for (let i = ONLY_CASE ?? 0; i < (ONLY_CASE !== undefined ? ONLY_CASE + 1 : n); i++) {
    const rng = new Rng(caseSeed(BASE_SEED, target, i));
    const input = opts.generate(rng, i);
    const started = performance.now();
    let problem: string | undefined;
    let stack: string | undefined;
    try {
      const result = await opts.run(input);
      problem = opts.checkResult?.(result, input);
    } catch (err) {
      problem = badError(err);
      stack = (err as Error)?.stack;
    }
    const ms = performance.now() - started;
    if (!problem && ms > SLOW_MS) problem = `took ${Math.round(ms)} ms`;
    if (problem) {
      const where =
        stack
          ?.split('\n')
          .find((l) => /\/src\//.test(l))
          ?.trim() ?? '';
      const key = `${problem.split(':')[0]}|${where}`;
      const known = STRICT ? undefined : opts.known?.find((k) => k.pattern.test(problem!))?.note;
      if (!failures.has(key)) failures.set(key, { caseNo: i, problem, input: show(input), stack, known });
    }
  }
  return [...failures.values()];
}

export function preview(x: unknown): string {
  const s = x instanceof Uint8Array ? `bytes ${JSON.stringify(Buffer.from(x).toString('latin1'))}` : JSON.stringify(x);
  return s === undefined ? String(x) : s.length > 600 ? `${s.slice(0, 600)}… (${s.length} chars)` : s;
}

/**
 * One assertion message per target with what to run to reproduce each failure: the calling test
 * file by name (Node 22's `node --test` takes files, not a directory) with the seed, the target
 * and the case, so exactly that case runs.
 */
export function report(target: string, failures: FuzzFailure[], file = callerTestFile()): string {
  return failures
    .slice(0, 8)
    .map(
      (f) =>
        `[${target}] case ${f.caseNo}: ${f.problem}\n  reproduce: ${reproduceCommand(target, f.caseNo, file)}\n  input: ${f.input}\n  ${(f.stack ?? '').split('\n').slice(0, 6).join('\n  ')}`,
    )
    .join('\n\n');
}

export function reproduceCommand(target: string, caseNo: number, file: string): string {
  return `SEAL_FUZZ_SEED=${BASE_SEED} SEAL_FUZZ_TARGET=${target} SEAL_FUZZ_CASE=${caseNo} node --test --test-concurrency=1 ${file}`;
}

/** The test/fuzz/*.test.ts file that called report(), relative to the repository. */
function callerTestFile(): string {
  const line = new Error().stack?.split('\n').find((l) => /test\/fuzz\/[^/]+\.test\.ts/.test(l));
  const m = line && /(test\/fuzz\/[^/:]+\.test\.ts)/.exec(line);
  return m ? m[1]! : 'test/fuzz/*.test.ts';
}
