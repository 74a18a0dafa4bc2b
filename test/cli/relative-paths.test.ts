// Relative file arguments of the image commands are read in the command's working directory, not
// the process's: runInProcess runs each command in `rel` while this process stays elsewhere, and
// every file named below exists only in `rel` (--predicate, --sbom, --policy, --template, --key).
// (attest-blob and verify-blob-attestation: test/cli/blob-attestation.test.ts.) OCI layouts, no network.
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const { dir: work, key, pub } = await workspace('seal-relative-');
const rel = path.join(work, 'rel');
await mkdir(rel);
const seal = (args: string[]) => runInProcess(args, { cwd: rel, env: { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent', SIGSTORE_ID_TOKEN: undefined } });

test('attest --predicate, attach sbom --sbom, verify-attestation --policy and report --template: relative to the command', async () => {
  assert.notEqual(process.cwd(), rel);
  await copyFile(key, path.join(rel, 'key.pem'));
  await copyFile(pub, path.join(rel, 'key.pub'));
  await copyFile(`${fixtures}grype/alpine-one-high.json`, path.join(rel, 'scan.json'));
  await writeFile(path.join(rel, 'sbom.json'), JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] }));
  await writeFile(path.join(rel, 'policy.yaml'), 'version: 1\nrules:\n  - predicateType: vuln\n    maxCount:\n      critical: 0\n');
  // Named as a built-in template: a file that exists wins, in the command's directory.
  await writeFile(path.join(rel, 'summary.md'), 'a template of our own\n');
  await makeImageLayout(path.join(rel, 'layout'));
  const img = 'oci:layout';
  const ok = async (args: string[]) => {
    const r = await seal(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  await ok(['attest', '--key', 'key.pem', '--predicate', 'scan.json', '--type', 'vuln', '-y', img]);
  await ok(['attach', 'sbom', '--sbom', 'sbom.json', img]);
  await ok(['verify-attestation', '--key', 'key.pub', '--type', 'vuln', '--policy', 'policy.yaml', img]);
  const report = await ok(['report', '--key', 'key.pub', '--template', 'summary.md', img]);
  assert.equal(report.stdout, 'a template of our own\n', 'the file in the command directory, not a built-in template');
});
