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
  runBundle(process.getBuiltinModule('node:url').fileURLToPath(bundle), args);
} else {
const dist = new URL('../dist/cli/main.js', import.meta.url);
const entry = existsSync(dist) && !process.env.SEAL_FROM_SOURCE ? dist : new URL('../src/cli/main.ts', import.meta.url);
const { runAsProcess } = await import(entry.href);
await runAsProcess(args);
}

/**
 * Runs the single-file build with a V8 code cache made AFTER a run, so that it holds every
 * function the command compiled, not only the top level that Node's compile cache keeps (Node
 * makes its cache right after compiling, so each run compiled every function it called again:
 * ~8 ms of a small verify; docs/design/startup.md). One cache file per build, Node version and
 * command, beside Node's own compile cache (same place, same switches: NODE_COMPILE_CACHE,
 * NODE_DISABLE_COMPILE_CACHE). A run with flags the cache has not seen writes it again (at most
 * MAX_SHAPES times), a superset: what was loaded from it stays compiled. The build is named by
 * its file's identity and change time (V8 itself checks only the source length, its version and
 * its flags), and the cache data by its own CRC-32, as Node does for its cache: a damaged file is
 * not handed to V8.
 * File layout: u32 header length, header JSON {shapes, crc}, V8 data.
 */
function runBundle(file, args) {
  const cacheRoot = module.getCompileCacheDir?.();
  const vm = process.getBuiltinModule('node:vm');
  const crc32 = process.getBuiltinModule('node:zlib').crc32;
  if (!cacheRoot || !crc32 || !vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
    module.createRequire(import.meta.url)(file);
    return;
  }
  const MAX_SHAPES = 16;
  const path = process.getBuiltinModule('node:path');
  const fs = process.getBuiltinModule('node:fs');
  const bytes = readFileSync(file);
  const dir = path.join(cacheRoot, 'seal');
  // The build: its file's device, inode, size and change time (ns), as git's index tells files
  // apart. Writing a file sets its ctime (a new install, an edit, a rebuild), which no one sets
  // back; hashing the 1.6 MB instead costs ~1.5 ms (CRC-32) on every run.
  const st = fs.statSync(file, { bigint: true });
  const build = `${process.version}-${process.arch}-${st.dev.toString(36)}-${st.ino.toString(36)}-${bytes.length}-${st.ctimeNs.toString(36)}`;
  const command = /^[a-z][a-z0-9-]{0,40}$/.test(args[0] ?? '') ? args[0] : 'other';
  const cacheFile = path.join(dir, `${build}-${command}.bin`);
  // The flags of a run (names only): a cache written by a run with the same ones has its functions.
  const shape = [...new Set(args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]))].sort().join(' ');
  const read = (f) => {
    try {
      const stored = readFileSync(f);
      const end = 4 + stored.readUInt32LE(0);
      const header = JSON.parse(stored.subarray(4, end).toString('utf8'));
      const data = stored.subarray(end);
      return Array.isArray(header.shapes) && header.crc === crc32(data) ? { shapes: header.shapes, data } : undefined;
    } catch {
      return undefined;
    }
  };
  // No cache for this command yet: another command's cache of this build still covers the top level.
  const own = read(cacheFile);
  let cached = own;
  if (!cached) {
    try {
      const other = fs.readdirSync(dir).find((f) => f.startsWith(`${build}-`) && f.endsWith('.bin'));
      if (other) cached = read(path.join(dir, other));
    } catch {
      cached = undefined;
    }
  }
  // scripts/dist.mjs writes ASCII only, which reads fastest as latin1 (the same characters).
  const source = process.getBuiltinModule('node:buffer').isAscii?.(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new vm.Script(module.wrap(source), {
    filename: file,
    ...(cached ? { cachedData: cached.data } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const fresh = !own || script.cachedDataRejected;
  if (fresh || (!own.shapes.includes(shape) && own.shapes.length < MAX_SHAPES)) {
    process.once('exit', () => {
      try {
        const data = script.createCachedData();
        const header = Buffer.from(JSON.stringify({ shapes: fresh ? [shape] : [...own.shapes, shape], crc: crc32(data) }));
        const length = Buffer.alloc(4);
        length.writeUInt32LE(header.length);
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([length, header, data]), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        // Caches of other builds of this Node, unused for a week (an upgrade, a rebuilt checkout).
        const stale = Date.now() - 7 * 24 * 3600_000;
        for (const f of fs.readdirSync(dir)) {
          if (f.startsWith(`${process.version}-`) && !f.startsWith(`${build}-`) && fs.statSync(path.join(dir, f)).mtimeMs < stale) {
            fs.rmSync(path.join(dir, f), { force: true });
          }
        }
      } catch {
        // a cache is an optimisation: a read-only or full disk only makes the next run slower
      }
    });
  }
  const Module = module.Module ?? module;
  const m = new Module(file, null);
  m.filename = file;
  m.paths = Module._nodeModulePaths?.(path.dirname(file)) ?? [];
  script.runInThisContext().call(m.exports, m.exports, module.createRequire(file), m, file, path.dirname(file));
}
