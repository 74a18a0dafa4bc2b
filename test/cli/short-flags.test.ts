// Short flags read as cosign's parser (Go pflag, parseSingleShortArg) reads them, for every short
// flag of every cosign command seal has (test/fixtures/cosign-cli/cosign-cli-flags.tsv): bundled
// (`-yd`), with the value attached (`-t5m`, `-t=5m`), or taking the next argument whatever it looks
// like (`-dt -5s`); booleans take Go's spellings (`-y=1`). Unknown letters, and long flags written
// with one dash (`-key`), are one usage line. Parse only, plus a few in-process runs; no network.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fastPathTakes, parseCommandLine } from '../../src/cli/main.ts';
import { declare, positionalsOf, resolveCommand } from '../../src/cli/fast-path.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir, key, pub } = await workspace('seal-short-flags-');
const blob = path.join(dir, 'blob');
await writeFile(blob, 'bytes');
const env = { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent', SIGSTORE_ID_TOKEN: undefined };
const seal = (args: string[]) => runInProcess(args, { cwd: dir, env });

const TABLE = new URL('../fixtures/cosign-cli/cosign-cli-flags.tsv', import.meta.url);

interface ShortRow {
  command: string;
  long: string;
  short: string;
  bool: boolean;
}

const shortRows: ShortRow[] = readFileSync(TABLE, 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('command\t'))
  .map((l) => l.split('\t'))
  .filter(([, flag, short]) => short && flag !== '--help')
  .map(([command, flag, short, type]) => ({ command: command!, long: flag!.slice(2), short: short!.slice(1), bool: type === 'bool' }));

/** Demanded flags and required positionals a command needs to parse at all (as cosign-flags.test.ts). */
async function baseArgsFor(command: string): Promise<string[]> {
  const resolved = (await resolveCommand(command.split(' ')))!;
  const d = declare(resolved.command.builder);
  const flags = [...d.options.values()].filter((s) => s.demand).map((s) => `--${s.name}=${s.choices ? String(s.choices[0]) : 'x'}`);
  const positionals = positionalsOf(String(resolved.command.command))
    .filter((p) => p.required)
    .map((_p, i) => (i === 0 ? 'localhost:5000/app:1' : 'localhost:5000/other'));
  return [...flags, ...positionals];
}

const VALUE: Record<string, string> = { output: 'json', annotations: 'k=v', timeout: '-5s' };

/** What the command gets for the flag, as seal's own long name (cosign spellings are mapped). */
function got(argv: Record<string, unknown>, long: string): unknown {
  const v = argv[long];
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

test('every cosign short flag, bundled after -d, attached and with =, reads as pflag reads it', async () => {
  let lines = 0;
  const failures: string[] = [];
  for (const row of shortRows) {
    const resolved = await resolveCommand(row.command.split(' '));
    if (!resolved || resolved.rest.length || !resolved.command.run) continue; // a command seal lacks, or a parent
    const base = await baseArgsFor(row.command);
    const cmd = row.command.split(' ');
    const d = declare(resolved.command.builder);
    const long = d.names.get(row.short) ?? row.long;
    const cases: [string[], unknown][] = [];
    if (row.bool) {
      cases.push([[`-${row.short}d`], true], [[`-d${row.short}`], true], [[`-${row.short}=0`], false], [[`-${row.short}=T`], true]);
    } else {
      const v = VALUE[row.long] ?? 'x';
      cases.push([[`-d${row.short}`, v], v], [[`-d${row.short}${v}`], v], [[`-d${row.short}=${v}`], v]);
    }
    for (const [flags, want] of cases) {
      const line = [...cmd, ...flags, ...base];
      lines++;
      try {
        const { argv } = await parseCommandLine(line);
        const verbose = !flags[0]!.endsWith('=0') && !flags[0]!.endsWith('=T');
        if (got(argv, long) !== want) failures.push(`seal ${line.join(' ')}: --${long} is ${JSON.stringify(argv[long])}, not ${String(want)}`);
        if (verbose && argv.verbose !== true) failures.push(`seal ${line.join(' ')}: -d (--verbose) lost`);
        if (!d.unsupported && !(await fastPathTakes(line))) failures.push(`seal ${line.join(' ')}: left to yargs`);
      } catch (err) {
        failures.push(`seal ${line.join(' ')}: ${(err as Error).message}`);
      }
    }
  }
  assert.ok(lines > 150, `walked ${lines} lines`);
  assert.deepEqual(failures, []);
});

test('a value short flag takes the next argument whatever it looks like (pflag), a boolean never does', async () => {
  const sign = await parseCommandLine(['sign', '-ra', '-x', '--key', 'k', 'img']);
  assert.equal(sign.argv.recursive, true);
  assert.deepEqual(sign.argv.annotations, ['-x']);
  assert.deepEqual(sign.argv.images, ['img']);
  // -k takes "d": `-kd` is not -k and -d (yargs read it so).
  const verify = await parseCommandLine(['verify', '-kd', 'k', 'img']);
  assert.equal(verify.argv.key, 'd');
  assert.deepEqual(verify.argv.images, ['k', 'img']);
  assert.notEqual(verify.argv.verbose, true);
  // -a takes the rest of the token, "o", not -a and -o (yargs took -o json).
  const ao = await parseCommandLine(['verify', '-ao', 'json', '--key', 'k', 'img']);
  assert.deepEqual(ao.argv.annotations, ['o']);
  assert.deepEqual(ao.argv.images, ['json', 'img']);
  const d = await parseCommandLine(['verify', '-d', 'true', '--key', 'k', 'img']);
  assert.deepEqual(d.argv.images, ['true', 'img']);
  // Before the command: the global ones, as cobra takes cosign's persistent flags.
  for (const line of [
    ['-t5m', 'sign-blob', '--key', 'k', 'b'],
    ['-dt5m', 'sign-blob', '--key', 'k', 'b'],
    ['-d', '-t=5m', 'sign-blob', '--key', 'k', 'b'],
  ]) {
    const { path: p, argv } = await parseCommandLine(line);
    assert.deepEqual(p, ['sign-blob'], line.join(' '));
    assert.equal(argv.timeout, '5m', line.join(' '));
    assert.equal(argv.verbose, line[0] !== '-t5m' ? true : undefined, line.join(' '));
  }
  // Go's ParseBool spellings, long or short; anything else is one line naming the flag.
  assert.equal((await parseCommandLine(['sign-blob', '--yes=1', '--key', 'k', 'b'])).argv.yes, true);
  assert.equal((await parseCommandLine(['sign-blob', '--yes=F', '--key', 'k', 'b'])).argv.yes, false);
  await assert.rejects(
    parseCommandLine(['sign-blob', '--yes=nope', '--key', 'k', 'b']),
    /invalid value "nope" for --yes: it is a boolean flag; give true or false/,
  );
});

test('unknown letters in a bundle and one-dash long flags: one usage line (exit 2); -h in a bundle is help', async () => {
  const cases: [string[], RegExp][] = [
    [
      ['sign-blob', '-yx', '--key', key, blob],
      /^Error: unknown flag -x \(in -yx\) for seal sign-blob; its short flags are -d -f -k -t -y; see seal sign-blob --help\n$/,
    ],
    [['verify', '-o', 'json', '-q', 'img'], /^Error: unknown flag -q for seal verify; its short flags are -a -d -k -o -t; /],
    [['sign-blob', '-key', key, blob], /^Error: -key has one dash: one dash starts short flags \(as in cosign\); write --key\n$/],
    [['sign', '-no-upload', '--key', key, 'img'], /^Error: -no-upload has one dash: .*write --no-upload\n$/],
    [['sign-blob', '-y=maybe', '--key', key, blob], /^Error: invalid value "maybe" for -y: it is a boolean flag; /],
  ];
  for (const [args, re] of cases) {
    const r = await seal(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '');
  }
  const help = await seal(['verify', '-dh']);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^seal verify <images\.\.>/);
});

test('bundled short flags run: sign-blob -dyk KEY signs with debug output, verify-blob -dk verifies', async () => {
  const signed = await seal(['sign-blob', '-dyk', key, '-t5m', blob]);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stderr, /debug: signed 5 bytes from /, '-d in the bundle is --verbose');
  await writeFile(path.join(dir, 'blob.sig'), signed.stdout.trim());
  const verified = await seal(['verify-blob', '-dk', pub, '--signature', 'blob.sig', 'blob']);
  assert.equal(verified.code, 0, verified.stderr);
  assert.equal(verified.stderr, 'Verified OK\n');
  const quiet = await seal(['sign-blob', '-yk', key, blob]);
  assert.equal(quiet.stderr, '', 'no -d, no debug lines');
});
