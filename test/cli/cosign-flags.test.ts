// Every flag of every cosign command seal has (test/fixtures/cosign-cli/cosign-cli-flags.tsv) is
// known: parsing `seal COMMAND --flag [value] ARGS` never ends in "Unknown argument" or "unknown
// flag"; it is accepted, or refused with one line that names the flag (exit 2). Commands seal
// gains later are walked as soon as they exist. Parse only, in-process: no network, no files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseCommandLine } from '../../src/cli/main.ts';
import { declare, GLOBAL_OPTIONS, positionalsOf, resolveCommand } from '../../src/cli/fast-path.ts';
import { SealError } from '../../src/errors.ts';

const TABLE = new URL('../fixtures/cosign-cli/cosign-cli-flags.tsv', import.meta.url);

interface Row {
  command: string;
  flag: string;
  short: string;
  type: string;
  description: string;
}

function rows(): Row[] {
  return readFileSync(TABLE, 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('command\t'))
    .map((l) => {
      const [command, flag, short, type, , , description] = l.split('\t');
      return { command: command!, flag: flag!, short: short!, type: type!, description: description ?? '' };
    });
}

// Values a flag's own checks accept, where a made-up one would not.
const SAMPLE: Record<string, string> = {
  '--output': 'json',
  '--type': 'custom',
  '--input-format': 'json',
  '--registry-referrers-mode': 'legacy',
  '--rekor-entry-type': 'dsse',
  '--signature-digest-algorithm': 'sha256',
  '--signing-algorithm': 'ecdsa-sha2-256-nistp256',
  '--predicate-type': 'vuln',
  '--platform': 'linux/amd64',
  '--attachment-tag-prefix': 'pre',
  '--fulcio-auth-flow': 'token',
  '--digestAlg': 'sha256',
};
const COMMAND_SAMPLE: Record<string, string> = {
  'clean --type': 'all',
  'triangulate --type': 'signature',
  'attach sbom --type': 'spdx',
  'copy --only': 'sig',
};

function valueFor(row: Row): string | undefined {
  if (row.type === 'bool') return undefined;
  const special = COMMAND_SAMPLE[`${row.command} ${row.flag}`] ?? SAMPLE[row.flag];
  if (special) return special;
  if (row.type === 'duration') return '3m0s';
  if (row.type === 'int' || row.type === 'uint') return '2';
  return 'x';
}

/** Demanded flags and required positionals a command needs to parse at all, from its own declarations. */
async function baseArgsFor(command: string): Promise<string[]> {
  const resolved = (await resolveCommand(command.split(' ')))!;
  const d = declare(resolved.command.builder);
  const flags: string[] = [];
  for (const spec of d.options.values()) {
    if (!spec.demand) continue;
    flags.push(`--${spec.name}=${spec.choices ? String(spec.choices[0]) : 'x'}`);
  }
  const positionals = positionalsOf(String(resolved.command.command))
    .filter((p) => p.required)
    .map((_p, i) => (i === 0 ? 'localhost:5000/app:1' : 'localhost:5000/other'));
  return [...flags, ...positionals];
}

type Outcome = { kind: 'accepted' } | { kind: 'refused'; message: string } | { kind: 'unknown' | 'other'; message: string };

async function tryFlag(row: Row, spelling: string): Promise<Outcome> {
  const value = valueFor(row);
  const args = [...row.command.split(' '), ...(value === undefined ? [spelling] : [spelling, value]), ...(await baseArgsFor(row.command))];
  try {
    await parseCommandLine(args);
    return { kind: 'accepted' };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof SealError && err.code === 'FLAG_REFUSED') return { kind: 'refused', message };
    // A value seal refuses for a reason it states, naming the flag (e.g. --check-claims=false).
    if (err instanceof SealError && err.kind === 'usage' && message.startsWith(spelling)) return { kind: 'refused', message };
    if (/unknown argument|unknown flag/i.test(message)) return { kind: 'unknown', message };
    return { kind: 'other', message };
  }
}

test('cosign flags: every flag of every command seal has is known (accepted or refused by name)', async () => {
  const all = rows();
  assert.ok(all.length > 900, 'the flag table is complete');
  const globals = new Set(GLOBAL_OPTIONS.map(([n]) => `--${n}`));
  let known = 0;
  let total = 0;
  let refusedCount = 0;
  const failures: string[] = [];
  for (const row of all) {
    const resolved = await resolveCommand(row.command.split(' '));
    if (!resolved || resolved.rest.length) continue; // a command seal lacks
    total++;
    if (row.flag === '--help') {
      known++; // yargs answers --help/-h for every command
      continue;
    }
    if (!resolved.command.run) {
      // A parent such as `download`: only the global flags, which every subcommand takes.
      if (globals.has(row.flag)) known++;
      else failures.push(`${row.command} ${row.flag}: not a global flag`);
      continue;
    }
    const spellings = [row.flag, ...(row.short ? [row.short] : [])];
    if (row.type === 'bool') spellings.push(`${row.flag}=true`, `${row.flag}=false`);
    let ok = true;
    for (const spelling of spellings) {
      const outcome = await tryFlag(row, spelling);
      if (outcome.kind === 'refused') {
        refusedCount++;
        assert.match(outcome.message, new RegExp(`^${row.flag}\\b`), `${row.command}: the refusal names the flag`);
        assert.doesNotMatch(outcome.message, /\n/, 'one line');
      } else if (outcome.kind !== 'accepted') {
        ok = false;
        failures.push(`seal ${row.command} ${spelling}: ${outcome.message}`);
      }
    }
    if (ok) known++;
  }
  console.log(`cosign flags known: ${known} of ${total} (refusals seen: ${refusedCount})`);
  assert.deepEqual(failures, []);
  assert.equal(known, total);
});

test('a boolean-looking unknown flag never takes the next argument; typos get a suggestion', async () => {
  await assert.rejects(parseCommandLine(['verify', '--key', 'k.pub', '--insecure-ignore-tlogg', 'localhost:5000/app:1']), (err: Error) => {
    assert.match(err.message, /unknown flag --insecure-ignore-tlogg for seal verify; did you mean --insecure-ignore-tlog\?/);
    return true;
  });
  await assert.rejects(parseCommandLine(['sign', '--formt', 'bundle', 'x']), /did you mean --format\?/);
  const { argv } = await parseCommandLine(['verify', '--insecure-ignore-tlog', 'localhost:5000/app:1']);
  assert.deepEqual(argv.images, ['localhost:5000/app:1']);
  assert.equal(argv.insecureIgnoreTlog, true);
});

test('a value flag takes the next argument whatever it looks like, as cosign (pflag) does', async () => {
  const { argv } = await parseCommandLine(['verify-attestation', '--key', 'k.pub', '--max-age', '-1d', 'img']);
  assert.equal(argv['max-age'], '-1d');
  const second = await parseCommandLine(['verify-blob', '--key', 'k.pub', '--signature', '-', 'file']);
  assert.equal(second.argv.signature, '-');
});

test('a string flag given twice keeps the last value; repeatable flags keep all', async () => {
  const { argv } = await parseCommandLine(['attest', '--key', 'a.key', '--key', 'b.key', '--predicate', 'p1', '--predicate', 'p2', 'img']);
  assert.equal(argv.key, 'b.key');
  assert.equal(argv.predicate, 'p2');
  const login = await parseCommandLine(['login', '-u', 'u1', '--username', 'u2', 'localhost:5000']);
  assert.equal(login.argv.username, 'u2');
  const sign = await parseCommandLine(['sign', '--key', 'k', '-a', 'x=1', '-a', 'y=2', 'img']);
  assert.deepEqual(sign.argv.annotations, ['x=1', 'y=2']);
  const one = await parseCommandLine(['sign', '--key', 'k', '-a', 'x=1', 'img']);
  assert.deepEqual(one.argv.annotations, ['x=1']);
});

test('booleans take =true/=false and cosign spellings map onto seal flags', async () => {
  const a = await parseCommandLine(['sign', '--key', 'k', '--new-bundle-format=false', 'img']);
  assert.equal(a.argv.format, 'legacy');
  const b = await parseCommandLine(['sign', '--key', 'k', '--new-bundle-format', 'img']);
  assert.equal(b.argv.format, 'bundle');
  const c = await parseCommandLine(['sign', '--key', 'k', '--upload=false', 'img']);
  assert.equal(c.argv.upload, false);
  const d = await parseCommandLine(['verify', '--key', 'k', '--private-infrastructure', 'img']);
  assert.equal(d.argv['insecure-ignore-tlog'], true);
  const e = await parseCommandLine(['verify', '--key', 'k', '--max-workers', '7', '--local-image', 'dir']);
  assert.equal(e.argv.concurrency, 7);
  assert.deepEqual(e.argv.images, ['oci:dir']);
  const f = await parseCommandLine(['copy', '--sig-only', 'a', 'b']);
  assert.equal(f.argv.only, 'sig');
  const g = await parseCommandLine(['sign', '--key', 'k', '--registry-referrers-mode', 'oci-1-1', 'img']);
  assert.equal(g.argv.format, 'bundle');
  const h = await parseCommandLine(['sign', '--key', 'k', '--upload', 'false', 'img']);
  assert.equal(h.argv.upload, true, 'pflag: a boolean does not take the next argument');
  assert.deepEqual(h.argv.images, ['false', 'img']);
});

test('refused flags: one line naming the flag, why, and the seal way', async () => {
  await assert.rejects(parseCommandLine(['verify', '--k8s-keychain', 'img']), (err: SealError) => {
    assert.equal(err.code, 'FLAG_REFUSED');
    assert.match(err.message, /^--k8s-keychain is not supported: seal does not read Kubernetes pull secrets; use /);
    return true;
  });
  // A refused boolean set to false asks for nothing seal lacks.
  await parseCommandLine(['verify', '--key', 'k', '--k8s-keychain=false', 'img']);
  await assert.rejects(parseCommandLine(['verify', '--key', 'k', '--check-claims=false', 'img']), /--check-claims=false/);
});
