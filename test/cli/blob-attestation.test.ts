// attest-blob / verify-blob-attestation, including cosign's real DSSE envelopes and bundles.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const cosign = new URL('../fixtures/cosign/', import.meta.url).pathname;
const fixtures = new URL('../fixtures/', import.meta.url).pathname;

const { dir: work, key, pub } = await workspace('seal-blobatt-');

test('attest-blob then verify-blob-attestation round trip; another file or type fails', async () => {
  const blob = path.join(work, 'app.tar.gz');
  await writeFile(blob, 'release bytes');
  const bundle = path.join(work, 'app.att.json');
  const a = await runCli(['attest-blob', '--key', key, '--predicate', `${fixtures}grype/alpine-one-high.json`, '--type', 'vuln', '--bundle', bundle, blob]);
  assert.equal(a.code, 0, a.stderr);
  const v = await runCli(['verify-blob-attestation', '--key', pub, '--bundle', bundle, '--type', 'vuln', blob]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).subject[0].name, 'app.tar.gz');
  const other = path.join(work, 'other');
  await writeFile(other, 'other bytes');
  assert.equal((await runCli(['verify-blob-attestation', '--key', pub, '--bundle', bundle, other])).code, 3);
  assert.equal((await runCli(['verify-blob-attestation', '--key', pub, '--bundle', bundle, '--type', 'spdxjson', blob])).code, 3);
  // Re-running a release script works, as with cosign: the bundle is replaced.
  assert.equal(
    (await runCli(['attest-blob', '--key', key, '--predicate', `${fixtures}grype/alpine-one-high.json`, '--type', 'vuln', '--bundle', bundle, blob])).code,
    0,
    'replaced',
  );
  assert.equal((await runCli(['verify-blob-attestation', '--key', pub, '--bundle', bundle, '--type', 'vuln', blob])).code, 0);
});

test("relative paths are read and written in the command's working directory, not the process's", async () => {
  // runCliInProcess runs the command in `cwd` while this process stays where it is: every file
  // named below exists only in `rel`, as a shell user in that directory would name them.
  const rel = path.join(work, 'rel');
  await mkdir(rel);
  assert.notEqual(process.cwd(), rel);
  await copyFile(key, path.join(rel, 'key.pem'));
  await copyFile(pub, path.join(rel, 'key.pub'));
  await copyFile(`${fixtures}grype/alpine-one-high.json`, path.join(rel, 'scan.json'));
  await copyFile(`${cosign}trust/empty-trusted-root.json`, path.join(rel, 'root.json'));
  await writeFile(path.join(rel, 'app.bin'), 'release bytes');
  const inRel = (args: string[]) => runCli(args, { cwd: rel });
  const a = await inRel([
    'attest-blob',
    '--key',
    'key.pem',
    '--predicate',
    'scan.json',
    '--type',
    'vuln',
    '--bundle',
    'app.att.json',
    '--output-signature',
    'app.dsse.json',
    'app.bin',
  ]);
  assert.equal(a.code, 0, a.stderr);
  const fromStatement = await inRel([
    'attest-blob',
    '--key',
    'key.pem',
    '--output-attestation',
    'statement.json',
    '--bundle',
    'again.json',
    '--predicate',
    'scan.json',
    'app.bin',
  ]);
  assert.equal(fromStatement.code, 0, fromStatement.stderr);
  assert.equal((await inRel(['attest-blob', '--key', 'key.pem', '--statement', 'statement.json', '--bundle', 'restated.json'])).code, 0);
  for (const args of [
    ['--bundle', 'app.att.json', '--type', 'vuln', 'app.bin'],
    ['--bundle', 'app.att.json', '--trusted-root', 'root.json', 'app.bin'],
    ['--signature', 'app.dsse.json', '--type', 'vuln', 'app.bin'],
    ['--bundle', 'restated.json', 'app.bin'],
  ]) {
    const v = await inRel(['verify-blob-attestation', '--key', 'key.pub', ...args]);
    assert.equal(v.code, 0, `${args.join(' ')}: ${v.stderr}`);
    assert.equal(JSON.parse(v.stdout).subject[0].name, 'app.bin');
  }
  // A relative file that is not in the command's directory is missing, whatever the process's holds.
  const missing = await inRel(['verify-blob-attestation', '--key', 'key.pub', '--bundle', 'app.att.json', '--trusted-root', 'nothere.json', 'app.bin']);
  assert.equal(missing.code, 1, missing.stderr);
  assert.match(missing.stderr, /nothere\.json/);
});

describe('cosign DSSE fixtures', () => {
  const cases: [string, string[], number][] = [
    ['blob-slsa-provenance.dsse.json', ['--type', 'slsaprovenance', 'blob-some-payload.txt'], 0],
    ['blob-slsa-provenance.dsse.json', ['--type', 'custom', 'blob-some-payload.txt'], 3],
    ['blob-slsa-provenance.dsse.json', ['--type', 'slsaprovenance', 'blob-another-blob.txt'], 3],
    ['blob-slsa-provenance.dsse.json', ['--type', 'slsaprovenance', '--digest', '658781cd4ed9bca60dacd09f7bb914bb51502e8b5d619f57f39a1d652596cc24'], 0],
    ['blob-slsa-provenance.dsse.json', ['--check-claims=false', 'blob-another-blob.txt'], 0],
    ['dsse-predicate-empty-subject.dsse.json', ['blob-some-payload.txt'], 3],
    ['dsse-predicate-missing-sha256.dsse.json', ['blob-some-payload.txt'], 3],
    ['dsse-predicate-multiple-subjects.dsse.json', ['--type', 'slsaprovenance', 'blob-some-payload.txt'], 0],
    ['dsse-predicate-multiple-subjects.dsse.json', ['--type', 'https://example.com/notreallyslsaprovenance', 'blob-some-payload.txt'], 3],
    ['dsse-predicate-multiple-subjects-invalid.dsse.json', ['blob-some-payload.txt'], 3],
  ];
  for (const [file, args, code] of cases) {
    test(`${file} ${args.join(' ')} → exit ${code}`, async () => {
      const full = args.map((a) => (a.endsWith('.txt') ? `${cosign}dsse/${a}` : a));
      const r = await runCli([
        'verify-blob-attestation',
        '--key',
        `${cosign}keys/public/verify-blob-attestation-test.pub`,
        '--signature',
        `${cosign}dsse/${file}`,
        ...full,
      ]);
      assert.equal(r.code, code, r.stderr);
    });
  }

  test('cosign key bundle verifies; the bad-signature bundle does not', async () => {
    const k = `${cosign}keys/public/verify-blob-attestation-test.pub`;
    const blob = `${cosign}dsse/blob-some-payload.txt`;
    const ok = await runCli([
      'verify-blob-attestation',
      '--key',
      k,
      '--bundle',
      `${cosign}bundles/blob-slsa-provenance.pubkey.sigstore.json`,
      '--type',
      'slsaprovenance',
      blob,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['verify-blob-attestation', '--key', k, '--bundle', `${cosign}bundles/blob-slsa-provenance.badsig.sigstore.json`, blob]);
    assert.equal(bad.code, 3, bad.stderr);
  });
});
