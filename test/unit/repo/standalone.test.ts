// The repository stands alone: nothing it builds, tests, runs or documents reaches outside it for
// fixtures or specs (a sibling checkout of reference material must not be needed, nor named).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const OUTSIDE = ['..', 'shared'].join('/'); // built so that this file does not name it itself
const TEXT = /\.(ts|mts|js|mjs|cjs|sh|md|json|ya?ml|tsv|txt)$|^run$/;

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === '.git' || name === 'fixtures') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (TEXT.test(name)) yield p;
  }
}

test('no file under src, test, scripts, bench, docs or .ci names the reference checkout beside the repo', () => {
  const hits: string[] = [];
  for (const top of ['src', 'test', 'scripts', 'bench', 'docs', '.ci', 'bin']) {
    if (!existsSync(join(REPO, top))) continue;
    for (const f of files(join(REPO, top))) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (line.includes(OUTSIDE)) hits.push(`${f.slice(REPO.length)}:${i + 1}`);
        });
    }
  }
  assert.deepEqual(hits, []);
});

test('every fixture directory has a PROVENANCE file', () => {
  const root = join(REPO, 'test/fixtures');
  const missing = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory())
    .filter((d) => !existsSync(join(root, d, 'PROVENANCE')));
  assert.deepEqual(missing, []);
});
