// tsc's rewriteRelativeImportExtensions leaves `const { x } = await import('./y.ts')` unrewritten
// (TypeScript 5.9), so dist/ would import .ts files that do not exist there. Rewrite them here.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

const root = new URL('../dist/', import.meta.url).pathname;
let changed = 0;
for (const entry of await readdir(root, { recursive: true })) {
  if (!entry.endsWith('.js')) continue;
  const file = path.join(root, entry);
  const text = await readFile(file, 'utf8');
  const next = text.replace(/import\((['"])(\.{1,2}\/[^'"]+)\.ts\1\)/g, (_m, q, p) => `import(${q}${p}.js${q})`);
  if (next !== text) {
    await writeFile(file, next);
    changed++;
  }
}
process.stderr.write(`fix-dist-imports: rewrote dynamic imports in ${changed} file(s)\n`);
