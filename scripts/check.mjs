#!/usr/bin/env node
// The type check (tsc --noEmit -p tsconfig.json) and the lint (eslint ., eslint.config.js) over ONE
// TypeScript program: typescript-eslint's type-aware rules would otherwise build and check a second
// program of the same files (about 15 s of CPU on this machine; the two together took 36 s, this
// 20 s). With --build=FILE it first builds dist/ as `tsc -p tsconfig.build.json --noCheck` would
// (then scripts/check-dist-imports.mjs), from the same parsed files, and writes `ok` or `failed`
// to FILE as soon as dist/ is there (scripts/test.sh starts the tests then; the check goes on).
// Prints what tsc and eslint print; exits 1 when the build, the check or the lint finds anything.
// Usage: node scripts/check.mjs [--build=READY_FILE] [--no-lint]
import { ESLint } from 'eslint';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
process.chdir(root);
const lint = !process.argv.includes('--no-lint');
const readyFile = process.argv.find((a) => a.startsWith('--build='))?.slice('--build='.length);

// Parsed (and bound) source files shared by the build's program and the check's: the options
// that shape a parse are the same in both (tsconfig.build.json extends tsconfig.json).
const parsed = new Map();
function program(configFile, extra = {}) {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, configFile), extra, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => report([d]),
  });
  if (!config) process.exit(1);
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile;
  host.getSourceFile = (fileName, version, onError, create) => {
    const key = `${fileName}|${typeof version === 'object' ? `${version.languageVersion}|${version.impliedNodeFormat}` : version}`;
    let file = parsed.get(key);
    if (!file || create) parsed.set(key, (file = read.call(host, fileName, version, onError, create)));
    return file;
  };
  return ts.createProgram({
    rootNames: config.fileNames,
    options: config.options,
    projectReferences: config.projectReferences,
    configFileParsingDiagnostics: config.errors,
    host,
  });
}

let failed = false;
if (readyFile) {
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  const build = program('tsconfig.build.json', { noCheck: true });
  const emitted = build.emit();
  const problems = [...build.getConfigFileParsingDiagnostics(), ...build.getOptionsDiagnostics(), ...build.getSyntacticDiagnostics(), ...emitted.diagnostics];
  report(problems);
  const dist =
    problems.length === 0 && !emitted.emitSkipped && spawnSync(process.execPath, ['scripts/check-dist-imports.mjs'], { stdio: 'inherit' }).status === 0;
  if (!dist) failed = true;
  writeFileSync(readyFile, dist ? 'ok\n' : 'failed\n');
}

const checked = program('tsconfig.json');
const diagnostics = ts.getPreEmitDiagnostics(checked);
report(diagnostics);

let lintProblems = 0;
if (lint) {
  // The program is already checked: the rules' type questions are answered from its caches.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [checked] } } },
  });
  const results = await eslint.lintFiles(['.']);
  lintProblems = results.reduce((n, r) => n + r.errorCount + r.warningCount, 0);
  const text = await (await eslint.loadFormatter('stylish')).format(results);
  if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
process.exit(failed || diagnostics.length || lintProblems ? 1 : 0);

function report(list) {
  if (!list.length) return;
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(list, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
}
