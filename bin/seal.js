#!/usr/bin/env node
// Thin launcher: Node version check, the --version fast path (no yargs), then the CLI. Prefers the
// built dist/ and falls back to the TypeScript sources (Node strips types itself).
// The one minimum Node version (also package.json engines, README, scripts/node.sh): 22.22.0.
// CommonJS (bin/package.json), unlike the rest of the package: an ES module entry makes Node start
// its ESM loader, ~65 functions compiled on every run (~10M instructions, docs/design/startup.md).
'use strict';

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
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');
const nodeModule = require('node:module');
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../package.json'), 'utf8'));
  process.stdout.write(pkg.version + '\n');
  process.exit(0);
}
// The single-file build (npm run dist) when there is one: one cached compile instead of ~100 ESM
// module loads; it carries its own launcher (scripts/dist-entry.ts).
const bundle = path.join(__dirname, '../dist/seal.cjs');
if (existsSync(bundle) && !process.env.SEAL_FROM_SOURCE && !process.env.SEAL_NO_BUNDLE) {
  runBundle(bundle, args);
} else {
  nodeModule.enableCompileCache?.();
  const dist = path.join(__dirname, '../dist/cli/main.js');
  const entry = existsSync(dist) && !process.env.SEAL_FROM_SOURCE ? dist : path.join(__dirname, '../src/cli/main.ts');
  void import(require('node:url').pathToFileURL(entry).href).then(({ runAsProcess }) => runAsProcess(args));
}

/**
 * Runs the single-file build with a V8 code cache made AFTER a run, so that it holds every
 * function the run compiled, not only the top level that Node's compile cache keeps (Node makes
 * its cache right after compiling, so each run compiled every function it called again: ~8 ms of
 * a small verify; docs/design/startup.md). One cache file per build, Node version, command and
 * set of flags (names only), beside Node's own compile cache (same place, same switches:
 * NODE_COMPILE_CACHE, NODE_DISABLE_COMPILE_CACHE). V8 deserialises a whole cache eagerly, so each
 * holds just what such a run uses: a run with no cache of its own compiles from the source once
 * and writes one (at most MAX_FILES per build). The build is named by its file's identity and
 * change time (V8 itself checks only the source length, its version and its flags), and the
 * cache data by its own CRC-32, as Node does for its cache: a damaged file is not handed to V8.
 * File layout: u32 CRC-32 of the rest, V8 data.
 */
function runBundle(file, args) {
  // Where Node's compile cache would be (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache;
  // none with NODE_DISABLE_COMPILE_CACHE), without starting it: the bundle is not loaded through
  // Node's loader, and starting it costs ~3M instructions.
  const env = process.env;
  const cacheRoot = env.NODE_DISABLE_COMPILE_CACHE ? undefined : env.NODE_COMPILE_CACHE || path.join(require('node:os').tmpdir(), 'node-compile-cache');
  const vm = require('node:vm');
  const crc32 = require('node:zlib').crc32;
  if (!cacheRoot || !crc32 || !vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) {
    require(file);
    return;
  }
  const MAX_FILES = 64;
  const fs = require('node:fs');
  const bytes = readFileSync(file);
  const dir = path.join(cacheRoot, 'seal');
  // The build: its file's device, inode, size and change time (ns), as git's index tells files
  // apart. Writing a file sets its ctime (a new install, an edit, a rebuild), which no one sets
  // back; hashing the 1.6 MB instead costs ~1.5 ms (CRC-32) on every run.
  const st = fs.statSync(file, { bigint: true });
  const build = `${process.version}-${process.arch}-${st.dev.toString(36)}-${st.ino.toString(36)}-${bytes.length}-${st.ctimeNs.toString(36)}`;
  const command = /^[a-z][a-z0-9-]{0,40}$/.test(args[0] ?? '') ? args[0] : 'other';
  // The flags of a run (names only): a run with the same ones calls (nearly) the same functions.
  const shape = [...new Set(args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]))].sort().join(' ');
  const cacheFile = path.join(dir, `${build}-${command}-${(crc32(shape) >>> 0).toString(36)}.bin`);
  let cachedData;
  try {
    const stored = readFileSync(cacheFile);
    if (stored.length > 4 && stored.readUInt32LE(0) === crc32(stored.subarray(4))) cachedData = stored.subarray(4);
  } catch {
    cachedData = undefined; // none yet
  }
  // scripts/dist.mjs writes ASCII only, which reads fastest as latin1 (the same characters).
  const source = require('node:buffer').isAscii?.(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const script = new vm.Script(nodeModule.wrap(source), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const names = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
        if (names.filter((f) => f.startsWith(`${build}-`)).length >= MAX_FILES) return;
        const data = script.createCachedData();
        const head = Buffer.alloc(4);
        head.writeUInt32LE(crc32(data));
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, Buffer.concat([head, data]), { mode: 0o600 });
        fs.renameSync(tmp, cacheFile);
        // Caches of other builds of this Node, unused for a week (an upgrade, a rebuilt checkout).
        const stale = Date.now() - 7 * 24 * 3600_000;
        for (const f of names) {
          if (f.startsWith(`${process.version}-`) && !f.startsWith(`${build}-`) && fs.statSync(path.join(dir, f)).mtimeMs < stale) {
            fs.rmSync(path.join(dir, f), { force: true });
          }
        }
      } catch {
        // a cache is an optimisation: a read-only or full disk only makes the next run slower
      }
    });
  }
  const m = new nodeModule(file, null);
  m.filename = file;
  m.paths = nodeModule._nodeModulePaths?.(path.dirname(file)) ?? [];
  script.runInThisContext().call(m.exports, m.exports, nodeModule.createRequire(file), m, file, path.dirname(file));
}
