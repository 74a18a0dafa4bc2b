#!/usr/bin/env node
// Thin launcher: Node version check, the --version fast path (no yargs), then the CLI. Prefers the
// built dist/ and falls back to the TypeScript sources (Node >= 22.18 strips types itself).

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Error: seal needs Node.js >= 22.18 (this is ${process.version}); install Node 22 or run scripts/node.sh\n`);
  process.exit(1);
}
// Not `import … from 'node:fs'`: its ESM facade costs ~12M instructions of start-up (src/crypto/stream.ts).
const { existsSync, readFileSync } = process.getBuiltinModule('node:fs');
const module = process.getBuiltinModule('node:module');
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === 'version')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(pkg.version + '\n');
  process.exit(0);
}
module.enableCompileCache?.();
const dist = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(dist) && !process.env.SEAL_FROM_SOURCE ? dist : new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(entry.href);

const controller = new AbortController();
let interrupted = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (++interrupted > 1) process.exit(130);
    process.stderr.write('Interrupted; stopping (press Ctrl-C again to force)\n');
    controller.abort(new Error('interrupted'));
    // Every request, retry wait and settle wait ends on the abort, and every write is whole
    // (a PUT, or a rename of a finished temporary file), so stopping now loses nothing. This is
    // the safety net for anything that does not listen (seal promises to stop within 2 s).
    setTimeout(() => {
      process.stderr.write('Error: still running 1.5 s after the interrupt; exiting\n');
      process.exit(130);
    }, 1500).unref();
  });
}
const code = await main(args, { signal: controller.signal });
// Interrupted: exit now, without waiting for sockets or timers the abort left behind.
if (interrupted) process.exit(130);
process.exitCode = code;
