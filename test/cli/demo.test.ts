// The README's first set-up command, end to end: scripts/demo.sh must keep working after every
// change (key pair, sign, attest a fresh scan, SBOM, verify, the 14-day gate, the refusal, report).
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../helpers/run-cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let out: string;
before(async () => {
  out = await mkdtemp(path.join(tmpdir(), 'seal-demo-'));
});
after(() => rm(out, { recursive: true, force: true }));

test('scripts/demo.sh runs the main job on an OCI layout and exits 0', async () => {
  const r = await runCommand('bash', ['scripts/demo.sh', path.join(out, 'demo')], {
    cwd: ROOT,
    env: { SEAL_DEMO_NO_BUILD: '1' },
    timeoutMs: 240_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /vulnerability gate passed \(scan by grype/);
  assert.match(r.stderr, /vulnerability gate FAILED/);
  assert.match(r.stderr, /SBOM bytes identical/);
  assert.match(r.stdout, /^IMAGE +CRITICAL +HIGH/m, 'the scan summary table');
  const statement = JSON.parse(await readFile(path.join(out, 'demo', 'scan-statement.json'), 'utf8'));
  assert.equal(statement.predicateType ?? statement[0]?.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
});
