// After the build: fail when dist/ still imports a `.ts` file (tsc 5.9 leaves them in dynamic
// imports of modules whose default export is a call; see defineCommand in src/cli/command.ts).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const root = new URL('../dist/', import.meta.url).pathname;
const bad = [];
for (const entry of await readdir(root, { recursive: true })) {
  if (!entry.endsWith('.js')) continue;
  const text = await readFile(path.join(root, entry), 'utf8');
  for (const m of text.matchAll(/import\((['"])(\.{1,2}\/[^'"]+\.ts)\1\)/g)) bad.push(`dist/${entry}: import('${m[2]}')`);
}
if (bad.length) {
  process.stderr.write(`dist/ would import TypeScript sources that do not exist there:\n  ${bad.join('\n  ')}\n`);
  process.exit(1);
}
