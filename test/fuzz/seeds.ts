// Valid inputs to start mutating from: the repo's test fixtures (its own, and the cosign and
// sigstore-conformance vectors under test/fixtures), and string literals of unit tests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The files under `dir` (recursively) whose name matches `re`, as text; [] when `dir` is missing. */
export function filesUnder(dir: string, re: RegExp, maxBytes = 2 * 1024 * 1024): { path: string; text: string }[] {
  if (!existsSync(dir)) return [];
  const out: { path: string; text: string }[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (re.test(name) && st.size <= maxBytes) out.push({ path: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(dir);
  return out;
}

export const texts = (dir: string, re: RegExp): string[] => filesUnder(dir, re).map((f) => f.text);

/** Single-quoted string literals of a test file that satisfy `keep`. */
export function literalsOf(testFile: string, keep: (s: string) => boolean): string[] {
  const src = readFileSync(join(REPO, testFile), 'utf8');
  const out = new Set<string>();
  for (const m of src.matchAll(/'((?:[^'\\\n]|\\.)*)'/g)) {
    const s = m[1]!.replace(/\\(.)/g, '$1');
    if (keep(s)) out.add(s);
  }
  return [...out];
}

/** At least one seed, so a missing fixture directory never leaves a target without input. */
export function orDefault<T>(xs: T[], fallback: T[]): T[] {
  return xs.length ? xs : fallback;
}
