// The yargs-free parser: well-formed lines parse to what yargs would give the command; anything
// else is left to yargs (undefined), which then reports the usual help or usage error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import yargs, { type Argv } from 'yargs';
import type { Args, SealCommand } from '../../../src/cli/command.ts';
import { commandLoaders } from '../../../src/cli/commands/index.ts';
import { tryFastPath } from '../../../src/cli/fast-path.ts';

/** What yargs itself makes of the same line, for the same command declaration. */
async function viaYargs(args: string[]): Promise<Args> {
  const cmd = (await commandLoaders[args[0]!]!()).default;
  let seen: Args | undefined;
  const register = (y: Argv, c: SealCommand): void => {
    y.command({
      command: c.command as string,
      describe: c.describe,
      builder: (sub: Argv) => {
        const b = c.builder ? c.builder(sub) : sub;
        for (const child of c.subcommands ?? []) register(b, child);
        return b;
      },
      handler: (argv) => void (seen = argv as Args),
    });
  };
  const y = yargs(args)
    .option('verbose', { alias: 'd', type: 'boolean', global: true })
    .strict()
    .fail((m, e) => {
      throw e ?? new Error(m);
    });
  register(y, cmd);
  await y.parseAsync();
  return seen!;
}

const same: string[][] = [
  ['verify-blob', '--key', 'k.pub', '--signature', 's.sig', 'file.txt'],
  ['verify-blob', '-k', 'k.pub', '--bundle=b.json', 'sha256:' + 'a'.repeat(64)],
  ['sign', '--key', 'k', '-a', 'x=1', '-a', 'y=2', '--format', 'bundle', '-r', 'img:1', 'img:2'],
  ['sign', '--key', 'k', '--concurrency', '8', '--no-recursive', 'oci:dir:latest'],
  ['verify', '--key', 'k', '-o', 'json', '--verbose', 'img'],
  ['verify-attestation', '--key', 'k', '--type', 'vuln', '--max-severity', 'high', '--max-age', '14d', 'img'],
  ['verify-blob-attestation', '--key', 'k', '--signature', 'e.json', '--check-claims=false', 'f'],
  ['download', 'sbom', '--platform', 'linux/amd64', 'img'],
  ['clean', '--type', 'signature', '-y', 'img'],
];

for (const line of same) {
  test(`parses like yargs: seal ${line.join(' ')}`, async () => {
    const fast = await tryFastPath(line);
    assert.ok(fast, 'the fast path should take this line');
    const expected = await viaYargs(line);
    for (const [k, v] of Object.entries(expected)) {
      if (k === '$0' || k === '_') continue;
      assert.deepEqual(fast.argv[k], v, `argv.${k}`);
    }
    assert.deepEqual(fast.argv._, expected._);
  });
}

test('`-` is a value (stdin), where yargs loses it: seal attest --predicate - IMAGE', async () => {
  const fast = await tryFastPath(['attest', '--key', 'k', '--predicate', '-', '--type', 'vuln', 'img']);
  assert.equal(fast?.argv.predicate, '-');
  assert.equal(fast?.argv.image, 'img');
  await assert.rejects(viaYargs(['attest', '--key', 'k', '--predicate', '-', '--type', 'vuln', 'img']), /Unknown argument: img/);
});

const leftToYargs: string[][] = [
  [],
  ['--help'],
  ['sign', '--help'],
  ['nosuchcommand', 'x'],
  ['sign', '--key', 'k', '--format', 'x', 'img'], // bad choice
  ['sign', '--key', 'k', '--bogus', 'img'], // unknown flag
  ['verify', '--key'], // no value, no image
  ['verify-blob', '--key', 'k', '--signature', 's', '--bundle', 'b', 'f'], // conflicting flags
  ['tree', 'a', 'b'], // an extra argument
  ['sign', '--key', 'k', '--concurrency', 'many', 'img'], // not a number
  ['download'], // no subcommand
  ['verify', '-kd', 'k', 'img'], // bundled short flags (canonicalArgs splits them before the fast path)
];
for (const line of leftToYargs) {
  test(`left to yargs: seal ${line.join(' ') || '(nothing)'}`, async () => {
    assert.equal(await tryFastPath(line), undefined);
  });
}
