// Everyday rough edges (issue 8): a missing password in a non-interactive run says so; the
// answer to seal clean's question may be piped in, as with cosign.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { runInProcess } from '../helpers/in-process.ts';

let work: string;
const NO_PW = { SEAL_PASSWORD: undefined, COSIGN_PASSWORD: undefined };

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'seal-rough-'));
  const r = await runInProcess(['generate-key-pair'], { cwd: work, env: { ...NO_PW, COSIGN_PASSWORD: 'secret' } });
  assert.equal(r.code, 0, r.stderr);
  await writeFile(path.join(work, 'blob'), 'bytes');
});
after(() => rm(work, { recursive: true, force: true }));

test('no password at all (no env, no terminal, empty stdin): "no password given", not "wrong password"', async () => {
  const r = await runInProcess(['sign-blob', '--key', path.join(work, 'cosign.key'), path.join(work, 'blob')], { cwd: work, env: NO_PW, input: '' });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: no password given: set COSIGN_PASSWORD (or SEAL_PASSWORD) to the key password, or pipe it on stdin\n');
  // A piped empty line is a password given (the empty one), so a wrong one.
  const empty = await runInProcess(['sign-blob', '--key', path.join(work, 'cosign.key'), path.join(work, 'blob')], { cwd: work, env: NO_PW, input: '\n' });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /wrong password/);
  const piped = await runInProcess(['sign-blob', '--key', path.join(work, 'cosign.key'), path.join(work, 'blob')], {
    cwd: work,
    env: NO_PW,
    input: 'secret\n',
  });
  assert.equal(piped.code, 0, piped.stderr);
});

test('seal clean: a piped "y" answers the question; nothing piped keeps refusing (exit 2); "n" cancels', async () => {
  const img = await makeImageLayout(path.join(work, 'img'));
  const ref = `oci:${img.dir}:latest`;
  assert.equal((await runInProcess(['sign', '--key', path.join(work, 'cosign.key'), ref], { cwd: work, env: { COSIGN_PASSWORD: 'secret' } })).code, 0);
  const none = await runInProcess(['clean', ref], { cwd: work, input: '' });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /pass --yes/);
  const no = await runInProcess(['clean', ref], { cwd: work, input: 'n\n' });
  assert.equal(no.code, 2);
  assert.match(no.stderr, /cancelled; nothing was removed/);
  const yes = await runInProcess(['clean', ref], { cwd: work, input: 'y\n' });
  assert.equal(yes.code, 0, yes.stderr);
  assert.equal((await runInProcess(['verify', '--key', path.join(work, 'cosign.pub'), ref], { cwd: work })).code, 10);
});

test('file-system mistakes name the path the user gave, in one line without Node error codes (qa)', async () => {
  const dir = path.join(work, 'a-dir');
  await mkdir(dir, { recursive: true });
  const blob = path.join(work, 'blob');
  const env = { COSIGN_PASSWORD: 'secret' };
  const cases: [string[], RegExp][] = [
    // a directory where an output file goes: the rename of the temporary file must not leak
    [['sign-blob', '--key', path.join(work, 'cosign.key'), '--bundle', dir, blob], /^Error: .*a-dir is a directory; give a file path\n$/],
    [['sign-blob', '--key', path.join(work, 'cosign.key'), '--output-signature', dir, blob], /^Error: .*a-dir is a directory; give a file path\n$/],
    [['--output-file', dir, 'env'], /^Error: .*a-dir is a directory; give a file path\n$/],
    // a file where a directory goes
    [['--output-file', path.join(blob, 'out'), 'env'], /^Error: .*\/blob is a file, not a directory\n$/],
    [['tree', `oci:${blob}`], /^Error: .*\/blob is a file, not a directory\n$/],
  ];
  for (const [args, want] of cases) {
    const r = await runInProcess(args, { cwd: work, env });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.doesNotMatch(r.stderr, /EISDIR|ENOTDIR|\.tmp|--verbose/);
    assert.equal(r.stdout, '');
  }
});

test('completion for an unknown shell is a usage error, not a TypeError (qa)', async () => {
  const r = await runInProcess(['completion', 'tcsh']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'Error: no completion script for the shell "tcsh"; use bash, zsh or fish\n');
  assert.equal(r.stdout, '');
});

test('--timeout longer than a Node timer holds (24.8 days) is no deadline, not an instant timeout (qa)', async () => {
  const img = await makeImageLayout(path.join(work, 'img-timeout'));
  const r = await runInProcess(['--timeout', '99999999999999h', 'tree', `oci:${img.dir}:latest`], { cwd: work });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /supply chain artifacts/i);
});

test('error lines carry no terminal control characters and no binary excerpts of bad JSON (qa)', async () => {
  const esc = await runInProcess(['tree', `oci:${path.join(work, '\u001b[31mred\u0007')}`], { cwd: work });
  assert.equal(esc.code, 11, esc.stderr);
  assert.doesNotMatch(esc.stderr, /[\u0000-\u0009\u000b-\u001f]/);
  assert.equal(esc.stderr.split('\n').length, 2, esc.stderr);
  const garbage = path.join(work, 'garbage.bundle');
  await writeFile(garbage, Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x47, 0x8a, 0x90]));
  await writeFile(
    path.join(work, 'key.pub'),
    (await runInProcess(['public-key', '--key', path.join(work, 'cosign.key')], { env: { COSIGN_PASSWORD: 'secret' } })).stdout,
  );
  const r = await runInProcess(['verify-blob', '--key', path.join(work, 'key.pub'), '--bundle', garbage, path.join(work, 'blob')], { cwd: work });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `Error: ${garbage} is not JSON, so not a Sigstore bundle: Unexpected non-text byte\n`);
});

test('a full disk under --output-file (/dev/full) says so in words (qa)', async () => {
  const r = await runInProcess(['--output-file', '/dev/full', 'env'], { cwd: work });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'Error: no space left on the device the output goes to\n');
});

test('an empty path for a key or signature file is a usage error, not "  is a directory" (qa)', async () => {
  for (const args of [
    ['sign', '--key', '', 'oci:unused'],
    ['verify-blob', '--key', '', '--signature', 'sig', 'blob'],
    ['verify-blob', '--key', path.join(work, 'cosign.pub'), '--signature', '', path.join(work, 'blob')],
  ]) {
    const r = await runInProcess(args, { cwd: work });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^Error: an empty path was given for the (key|public key|signature) file; give a file name\n$/);
  }
});

test('an empty file flag (--bundle "$OUT" with OUT unset) is not given, as in cosign; it resolved to the working directory (qa)', async () => {
  const env = { COSIGN_PASSWORD: 'secret' };
  const s = await runInProcess(['sign-blob', '--key', path.join(work, 'cosign.key'), '--bundle', '', '--output-signature', '', path.join(work, 'blob')], {
    cwd: work,
    env,
  });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^[A-Za-z0-9+/]+=*\n$/, 'the signature goes to stdout');
  const o = await runInProcess(['--output-file', '', 'env'], { cwd: work });
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /COSIGN_PASSWORD=/);
  const p = await runInProcess(['public-key', '--key', path.join(work, 'cosign.key'), '--outfile', ''], { cwd: work, env });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^-----BEGIN PUBLIC KEY-----\n/);
});

test("seal version prints cosign version's fields; --json for scripts; --version stays the bare number", async () => {
  const text = await runInProcess(['version']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^GitVersion: +v\d+\.\d+\.\d+\n(.+\n)*Platform: +\w+\/\w+\n$/);
  const json = await runInProcess(['version', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.match(JSON.parse(json.stdout).gitVersion, /^v\d+\.\d+\.\d+$/);
});
