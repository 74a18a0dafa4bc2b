// Bad input to the image commands: one line on stderr, the documented exit code, and checks that
// happen before a password is asked for.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, pub } = await workspace('seal-errs-');
const ref = `oci:${(await makeImageLayout(path.join(work, 'img'))).dir}:latest`;

function oneLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('Error:'));
  assert.equal(lines.length, 1, stderr);
  assert.equal(stderr.trim().split('\n').at(-1), lines[0], 'the error is the last line');
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace without --verbose');
  return lines[0]!;
}

test('missing --key: usage error on one line', async () => {
  const r = await runCli(['sign', ref], { env: { SIGSTORE_ID_TOKEN: undefined } });
  assert.equal(r.code, 2);
  assert.match(
    oneLine(r.stderr),
    /sign needs --key, or an identity token for keyless signing .*pass --identity-token TOKEN\|FILE or set SIGSTORE_ID_TOKEN.*or sign with --key/,
  );
});

test('an invalid --concurrency: usage error on one line (was a TypeError)', async () => {
  for (const value of ['abc', '0', '1.5']) {
    const r = await runCli(['sign', '--key', 'x', '--concurrency', value, ref]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneLine(r.stderr), /invalid --concurrency "[^"]*": use a whole number from 1/);
  }
});

test('an invalid --format value: usage error on one line', async () => {
  const r = await runCli(['sign', '--key', 'x', '--format', 'x', ref]);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /Invalid values: Argument: format/);
});

test('a bad predicate or type fails before the key is opened (no password prompt)', async () => {
  const notJson = path.join(work, 'scan.txt');
  await writeFile(notJson, 'not json');
  // The key does not exist: reaching it would be a different error.
  const r = await runCli(['attest', '--key', path.join(work, 'missing.key'), '--type', 'vuln', '--predicate', notJson, ref]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /predicate file .* is not valid JSON/);
  const t = await runCli(['attest', '--key', path.join(work, 'missing.key'), '--type', 'bogus', '--predicate', notJson, ref]);
  assert.equal(t.code, 2);
  assert.match(oneLine(t.stderr), /invalid predicate type: "bogus"/);
});

test('a private key given to verify is refused with the way out', async () => {
  const { key } = makeOpensslKeyPair(work, 'priv');
  const r = await runCli(['verify', '--key', key, ref]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /private key.*seal public-key/);
});

test('an unreachable registry is a network error (exit 4)', async () => {
  const r = await runCli(['verify', '--key', pub, '127.0.0.1:1/app:v1']);
  assert.equal(r.code, 4);
  assert.match(oneLine(r.stderr), /cannot connect to 127\.0\.0\.1:1/);
});

test('--verbose adds the stack trace', async () => {
  const r = await runCli(['verify', '--verbose', '--key', pub, 'oci:/nonexistent/layout:v1']);
  assert.equal(r.code, 11);
  assert.match(r.stderr, /\n\s+at /);
});

test('verify needs a key or an identity and issuer (exit 2); identity on key-signed signatures is exit 13', async () => {
  const none = await runCli(['verify', ref]);
  assert.equal(none.code, 2);
  assert.match(oneLine(none.stderr), /say who must have signed/);
  const { key } = makeOpensslKeyPair(work, 'signer');
  assert.equal((await runCli(['sign', '--key', key, ref])).code, 0);
  const keyless = await runCli(['verify', '--certificate-identity', 'dev@example.com', '--certificate-oidc-issuer', 'https://issuer.example', ref]);
  assert.equal(keyless.code, 13, keyless.stderr);
  assert.match(oneLine(keyless.stderr), /no certificate found/);
});
