#!/usr/bin/env node
// Thin launcher: Node version check, the --version fast path (no yargs), then the CLI. Prefers the
// built dist/ and falls back to the TypeScript sources (Node strips types itself).
// The one minimum Node version (also package.json engines, README, scripts/node.sh): 22.22.0.

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  // One command that works from here, whatever the shell: the npm registry's Node 22 runs this seal.
  const self = process.argv[1] ?? 'seal';
  const quoted = /^[\w@%+=:,./-]+$/.test(self) ? self : `'${self.replace(/'/g, `'\\''`)}'`;
  process.stderr.write(
    `Error: seal needs Node.js >= 22.22 (this is ${process.version}); run it with Node 22 from npm: ` +
      `npx -y node@22 ${[quoted, ...process.argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' ')}` +
      ` (or install Node 22, e.g. nvm install 22, and reinstall seal)\n`,
  );
  process.exit(1);
}
// Not `import … from 'node:fs'`: its ESM facade costs ~12M instructions of start-up (src/crypto/stream.ts).
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(pkg.version + '\n');
  process.exit(0);
}
module.enableCompileCache?.();
// The single-file build (npm run dist) when there is one: one cached compile instead of ~100 ESM
// module loads; it carries its own launcher (scripts/dist-entry.ts).
const bundle = new URL('../dist/seal.cjs', import.meta.url);
if (existsSync(bundle) && !process.env.SEAL_FROM_SOURCE && !process.env.SEAL_NO_BUNDLE) {
  module.createRequire(import.meta.url)(bundle.pathname);
} else {
const dist = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(dist) && !process.env.SEAL_FROM_SOURCE ? dist : new URL('../src/cli/main.ts', import.meta.url);
const { runAsProcess } = await import(entry.href);
await runAsProcess(args);
}
