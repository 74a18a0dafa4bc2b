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
// module loads; it carries its own launcher (scripts/dist-entry.ts). The verify commands run the
// verify build first (dist/seal-verify.cjs: a smaller top level to load), which hands a line its
// fast path does not take (help, usage errors) to the whole build.
const bundle = path.join(__dirname, '../dist/seal.cjs');
const verifyBundle = path.join(__dirname, '../dist/seal-verify.cjs');
const VERIFY_COMMANDS = ['verify-blob', 'verify', 'verify-attestation'];
if (existsSync(bundle) && !process.env.SEAL_FROM_SOURCE && !process.env.SEAL_NO_BUNDLE) {
  if (VERIFY_COMMANDS.includes(args[0]) && existsSync(verifyBundle)) {
    void Promise.resolve(runBundle(verifyBundle, args).ran).then((ran) => ran || runBundle(bundle, args));
  } else {
    runBundle(bundle, args);
  }
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
 * cache data by a checksum of its own, as Node does for its cache: a damaged file is not handed
 * to V8. File layout: i64 checksum of the rest (cacheChecksum), V8 data.
 */
function runBundle(file, args) {
  // Where Node's compile cache would be (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache;
  // none with NODE_DISABLE_COMPILE_CACHE), without starting it: the bundle is not loaded through
  // Node's loader, and starting it costs ~3M instructions.
  const env = process.env;
  const cacheRoot = env.NODE_DISABLE_COMPILE_CACHE ? undefined : env.NODE_COMPILE_CACHE || path.join(tmpdir(), 'node-compile-cache');
  const vm = require('node:vm');
  const checksum = cacheChecksum();
  if (!cacheRoot || !checksum || !vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER) return require(file);
  const MAX_FILES = 64;
  const fs = require('node:fs');
  const bytes = readFileSync(file);
  const dir = path.join(cacheRoot, 'seal');
  const build = buildId(fs, file);
  const command = /^[a-z][a-z0-9-]{0,40}$/.test(args[0] ?? '') ? args[0] : 'other';
  // The flags of a run (names only): a run with the same ones calls (nearly) the same functions.
  const shape = [...new Set(args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0]))].sort().join(' ');
  const cacheFile = path.join(dir, `${build}-${command}-${fnv1a(shape).toString(36)}.bin`);
  let cachedData;
  try {
    cachedData = readCache(fs, cacheFile, checksum);
  } catch {
    cachedData = undefined; // none yet, or unreadable
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
        const stored = checksum.buffer(8 + data.length);
        data.copy(stored, 8);
        stored.writeBigInt64LE(checksum.of(8 + data.length));
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, stored, { mode: 0o600, flag: 'wx' }); // never through a link someone left there
        fs.renameSync(tmp, cacheFile);
        // Caches of other builds of this Node, unused for a week (an upgrade, a rebuilt checkout);
        // not those of this installation's other bundle.
        const stale = Date.now() - 7 * 24 * 3600_000;
        const live = [bundle, verifyBundle].filter((f) => fs.existsSync(f)).map((f) => `${buildId(fs, f)}-`);
        for (const f of names) {
          if (f.startsWith(`${process.version}-`) && !live.some((b) => f.startsWith(b)) && fs.statSync(path.join(dir, f)).mtimeMs < stale) {
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
  return m.exports;
}

/**
 * A bundle file's build: Node's version, the file's device, inode, size and change time (ns), as
 * git's index tells files apart. Writing a file sets its ctime (a new install, an edit, a
 * rebuild), which no one sets back; hashing the 1.6 MB instead costs ~1.5 ms on every run.
 */
function buildId(fs, file) {
  const st = fs.statSync(file, { bigint: true });
  return `${process.version}-${process.arch}-${st.dev.toString(36)}-${st.ino.toString(36)}-${st.size}-${st.ctimeNs.toString(36)}`;
}

/** os.tmpdir() without loading node:os (~0.8M instructions) where it is this simple. */
function tmpdir() {
  if (process.platform === 'win32') return require('node:os').tmpdir();
  const dir = process.env.TMPDIR || process.env.TMP || process.env.TEMP || '/tmp';
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

/** FNV-1a of a string's UTF-16 code units (names a cache file after a run's flag names). */
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The checksum of a code-cache file: h = rotl((h ^ word) * 0x9e3779b97f4a7c15, 31) over its data as
 * little-endian 64-bit words (zero-padded), h starting at 0xcbf29ce484222325 xor the data's length.
 * Each step is a bijection of h, so a change within one word always changes the result; other
 * damage goes unnoticed by chance only. It runs as WebAssembly over bytes read straight into the
 * module's memory: ~0.3M instructions for a 500 KB cache, where node:zlib's crc32 cost ~5M
 * (loading zlib and streams) and the same loop in JavaScript ~17M. The module (94 bytes, base64
 * below) in the text format:
 *   (module (import "e" "m" (memory 1))
 *     (func (export "h") (param $p i32) (param $end i32) (param $h i64) (result i64)
 *       (block (loop
 *         (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *         (local.set $h (i64.rotl (i64.mul (i64.xor (local.get $h) (i64.load (local.get $p)))
 *                                          (i64.const 0x9e3779b97f4a7c15)) (i64.const 31)))
 *         (local.set $p (i32.add (local.get $p) (i32.const 8)))
 *         (br 0)))
 *       (local.get $h)))
 * Returns undefined where WebAssembly is not there (node --jitless): the bundle then runs without
 * a cache.
 */
function cacheChecksum() {
  let module;
  try {
    module = new WebAssembly.Module(
      Buffer.from('AGFzbQEAAAABCAFgA39/fgF+AggBAWUBbQIAAQMCAQAHBQEBaAAACjUBMwACQANAIAAgAU8NASACIAApAwCFQpX4qfqXt96bnn9+Qh+JIQIgAEEIaiEADAALCyACCw==', 'base64'),
    );
  } catch {
    return undefined;
  }
  let sum;
  return {
    /** A zeroed buffer of `size` bytes in the module's memory (replaces the previous one). */
    buffer(size) {
      const memory = new WebAssembly.Memory({ initial: Math.ceil((size + 8) / 65536) });
      sum = new WebAssembly.Instance(module, { e: { m: memory } }).exports.h;
      return Buffer.from(memory.buffer, 0, size);
    },
    /** The checksum of bytes 8..size of that buffer: what its first 8 bytes should hold. */
    of(size) {
      return sum(8, size, 0xcbf29ce484222325n ^ BigInt(size - 8));
    },
  };
}

/**
 * A code-cache file's V8 data (in place, 8-byte aligned), or undefined if its checksum fails or
 * the file is not a regular file of this user's: V8 runs a cache's bytecode as it finds it, and
 * the default directory is under the shared tmpdir, where another user may have made it first.
 */
function readCache(fs, file, checksum) {
  const { O_RDONLY, O_NONBLOCK = 0, O_NOFOLLOW = 0 } = fs.constants;
  const fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (process.getuid && st.uid !== process.getuid())) return undefined;
    const size = st.size;
    if (size <= 8 || size > 512 * 1024 * 1024) return undefined;
    const stored = checksum.buffer(size);
    for (let at = 0, n; at < size; at += n) if ((n = fs.readSync(fd, stored, at, size - at, at)) === 0) return undefined;
    return stored.readBigInt64LE(0) === checksum.of(size) ? stored.subarray(8) : undefined;
  } finally {
    fs.closeSync(fd);
  }
}
