// The VEX-aware gate end to end on OCI layouts, through the CLI (in process): CI signs a grype scan, the
// security team signs OpenVEX statements with its own key, and verify-attestation --max-severity
// honours only the trusted, latest statements about this image.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { workspace } from '../helpers/workspace.ts';
import { runInProcess as runCli } from '../helpers/in-process.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const scan = `${fixtures}grype/python-debian.json`;
const {
  dir: work,
  keys: { ci, security: sec },
} = await workspace('seal-vex-', ['ci', 'security']);

async function scannedImage(name: string, format = 'legacy'): Promise<{ ref: string; digest: string }> {
  const img = await makeImageLayout(path.join(work, name));
  const ref = `oci:${img.dir}:latest`;
  const a = await runCli(['attest', '--key', ci.key, '--format', format, '--type', 'vuln', '--predicate', scan, ref]);
  assert.equal(a.code, 0, a.stderr);
  return { ref, digest: img.digest };
}

/** seal vex create … --output-file; returns the file. */
async function vexFile(name: string, product: string, args: string[]): Promise<string> {
  const out = path.join(work, name);
  const r = await runCli(['vex', 'create', product, '--author', 'Security Team <security@example.com>', '--output-file', out, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

const attestVex = async (ref: string, file: string, key = sec.key, format = 'legacy') => {
  const r = await runCli(['attest', '--key', key, '--format', format, '--type', 'openvex', '--predicate', file, ref]);
  assert.equal(r.code, 0, r.stderr);
  return r;
};

const gate = (ref: string, ...extra: string[]) => runCli(['verify-attestation', '--key', ci.pub, '--type', 'vuln', '--max-severity', 'high', ...extra, ref]);
const gateJson = async (ref: string, ...extra: string[]) => {
  const r = await gate(ref, '-o', 'json', ...extra);
  return { r, report: JSON.parse(r.stdout)[0] };
};
const violationIds = (report: { gate: { violations: { id: string; package: string }[] } }) => report.gate.violations.map((v) => `${v.id} ${v.package}`).sort();

const CRITICALS = ['CVE-2023-38545 libcurl4', 'CVE-2023-45853 zlib1g'];

for (const format of ['legacy', 'bundle'] as const) {
  describe(`grype finds CVEs, the security team signs VEX, the gate passes and says why (${format})`, () => {
    let ref: string;
    let digest: string;
    before(async () => {
      ({ ref, digest } = await scannedImage(`flow-${format}`, format));
    });

    test('without VEX the gate refuses both criticals', async () => {
      const { r, report } = await gateJson(ref);
      assert.equal(r.code, 14, r.stderr);
      assert.deepEqual(violationIds(report), CRITICALS);
    });

    test('a not_affected statement signed by the security team suppresses exactly that CVE and package', async () => {
      const file = await vexFile(`zlib-${format}.json`, ref, [
        '--vuln',
        'CVE-2023-45853',
        '--status',
        'not_affected',
        '--justification',
        'vulnerable_code_not_in_execute_path',
        '--subcomponent',
        'pkg:deb/debian/zlib1g',
        '--timestamp',
        '2024-05-21T10:00:00Z',
      ]);
      const doc = JSON.parse(await readFile(file, 'utf8'));
      assert.equal(doc.statements[0].products[0]['@id'], `pkg:oci/flow-${format}@${digest.replace(':', '%3A')}`);
      const a = await attestVex(ref, file, sec.key, format);
      assert.match(
        a.stderr,
        /OpenVEX document by Security Team <security@example.com>, 1 statement\(s\): CVE-2023-45853 not_affected \(vulnerable_code_not_in_execute_path\)/,
      );

      // Trusted only through --vex-key: the scan key does not make the security team's VEX count.
      const untrusted = await gateJson(ref);
      assert.equal(untrusted.r.code, 14);
      assert.deepEqual(violationIds(untrusted.report), CRITICALS);
      assert.match(untrusted.r.stderr, /ignored 1 attestation/);

      const { r, report } = await gateJson(ref, '--vex-key', sec.pub);
      assert.equal(r.code, 14, r.stderr);
      assert.deepEqual(violationIds(report), ['CVE-2023-38545 libcurl4']);
      assert.equal(report.gate.suppressed.length, 1);
      const s = report.gate.suppressed[0];
      assert.deepEqual(
        { id: s.finding.id, pkg: s.finding.package, status: s.status, justification: s.justification, author: s.author, timestamp: s.timestamp },
        {
          id: 'CVE-2023-45853',
          pkg: 'zlib1g',
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          author: 'Security Team <security@example.com>',
          timestamp: '2024-05-21T10:00:00Z',
        },
      );
      assert.match(s.source, /^attestation sha256:[0-9a-f]{64}$/);
      // The refusal names what was suppressed and by whom.
      assert.match(
        r.stderr,
        /CVE-2023-45853 \(critical, zlib1g 1:1.2.13.dfsg-1\) suppressed: not_affected \(vulnerable_code_not_in_execute_path\), by Security Team <security@example.com> at 2024-05-21T10:00:00Z/,
      );
      assert.match(r.stderr, /CVE-2023-38545 \(critical, libcurl4/);
      assert.doesNotMatch(r.stderr, /ignored 1 attestation/);

      // Listed as verified (no gate) when its own signer is given.
      const list = await runCli(['verify-attestation', '--key', ci.pub, '--vex-key', sec.pub, '--type', 'openvex', '-o', 'json', ref]);
      assert.equal(list.code, 0, list.stderr);
      const st = JSON.parse(list.stdout)[0].statements[0];
      assert.equal(st.predicateType, 'https://openvex.dev/ns');
      assert.equal(st.predicate.statements[0].vulnerability.name, 'CVE-2023-45853');
      assert.equal((await runCli(['verify-attestation', '--key', ci.pub, '--type', 'openvex', ref])).code, 12);
    });

    test('a fixed statement for the other CVE lets the gate pass, saying why; --no-vex refuses again', async () => {
      const file = await vexFile(`curl-${format}.json`, ref, [
        '--vuln',
        'CVE-2023-38545',
        '--status',
        'fixed',
        '--subcomponent',
        'pkg:deb/debian/libcurl4',
        '--timestamp',
        '2024-05-21T11:00:00Z',
      ]);
      await attestVex(ref, file, sec.key, format);
      const r = await gate(ref, '--vex-key', sec.pub);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /vulnerability gate passed/);
      assert.match(r.stderr, /CVE-2023-38545 \(critical, libcurl4 7.88.1-10\+deb12u3\) suppressed: fixed, by Security Team/);
      assert.match(r.stderr, /CVE-2023-45853 \(critical, zlib1g .*\) suppressed: not_affected/);
      const off = await gate(ref, '--vex-key', sec.pub, '--no-vex');
      assert.equal(off.code, 2, off.stderr); // --no-vex with --vex-key is a contradiction
      const plainOff = await gate(ref, '--no-vex');
      assert.equal(plainOff.code, 14, plainOff.stderr);
    });

    test('a newer affected statement supersedes the older not_affected', async () => {
      const file = await vexFile(`zlib-affected-${format}.json`, ref, [
        '--vuln',
        'CVE-2023-45853',
        '--status',
        'affected',
        '--action-statement',
        'rebuild on a zlib with the fix',
        '--subcomponent',
        'pkg:deb/debian/zlib1g',
        '--timestamp',
        '2024-05-22T09:00:00Z',
      ]);
      await attestVex(ref, file, sec.key, format);
      const { r, report } = await gateJson(ref, '--vex-key', sec.pub);
      assert.equal(r.code, 14, r.stderr);
      assert.deepEqual(violationIds(report), ['CVE-2023-45853 zlib1g']);
      assert.deepEqual(
        report.gate.suppressed.map((s: { finding: { id: string } }) => s.finding.id),
        ['CVE-2023-38545'],
      );
      const v = await gate(ref, '--vex-key', sec.pub, '--verbose');
      assert.match(
        v.stderr,
        /CVE-2023-45853 \(zlib1g 1:1.2.13.dfsg-1\) stays: the latest statement says affected, by Security Team <security@example.com> at 2024-05-22T09:00:00Z/,
      );
    });

    test('seal report shows the suppressed findings', async () => {
      const r = await runCli(['report', '--key', ci.pub, '--vex-key', sec.pub, '--format', 'json', ref]);
      assert.equal(r.code, 0, r.stderr);
      const img = JSON.parse(r.stdout).images[0];
      assert.equal(img.suppressed, 1);
      assert.equal(img.suppressedFindings[0].id, 'CVE-2023-38545');
      assert.equal(img.counts.critical, 1);
      const table = await runCli(['report', '--key', ci.pub, '--vex-key', sec.pub, ref]);
      assert.match(table.stdout.split('\n')[0], /SUPPRESSED/);
      const md = await runCli(['report', '--key', ci.pub, '--vex-key', sec.pub, '--template', 'findings.md', ref]);
      assert.match(
        md.stdout,
        /Left out by OpenVEX statements:\n\n- CRITICAL CVE-2023-38545: libcurl4 7.88.1-10\+deb12u3: fixed, by Security Team <security@example.com> at 2024-05-21T11:00:00Z/,
      );
      const summary = await runCli(['report', '--key', ci.pub, '--vex-key', sec.pub, '--template', 'summary.md', ref]);
      assert.match(summary.stdout, /1 finding left out by signed OpenVEX statements/);
    });
  });
}

describe('VEX trusted by the scan signer, and local files', () => {
  test('VEX signed with the same key as the scan is honoured without --vex-key; one by an untrusted key changes nothing', async () => {
    const { ref } = await scannedImage('same-key');
    const file = await vexFile('same-key.json', ref, [
      '--vuln',
      'CVE-2023-45853',
      '--status',
      'not_affected',
      '--impact-statement',
      'zlib is only used at build time',
    ]);
    await attestVex(ref, file, ci.key);
    const { report } = await gateJson(ref);
    assert.deepEqual(violationIds(report), ['CVE-2023-38545 libcurl4']);
    assert.equal(report.gate.suppressed[0].justification, undefined);
    assert.equal(report.gate.suppressed[0].impactStatement, 'zlib is only used at build time');

    const { ref: ref2 } = await scannedImage('untrusted');
    const file2 = await vexFile('untrusted.json', ref2, ['--vuln', 'CVE-2023-45853', '--status', 'not_affected', '--justification', 'component_not_present']);
    await attestVex(ref2, file2, sec.key);
    const other = makeOpensslKeyPair(work, 'stranger');
    const { r, report: rep2 } = await gateJson(ref2, '--vex-key', other.pub);
    assert.equal(r.code, 14);
    assert.deepEqual(violationIds(rep2), CRITICALS);
    assert.equal(rep2.gate.suppressed.length, 0);
    assert.match(r.stderr, /ignored VEX attestation sha256:[0-9a-f]+: it does not verify with the VEX signer/);
  });

  test('--vex FILE applies a local document; one about another image is ignored and --verbose says so', async () => {
    const { ref } = await scannedImage('local');
    const { ref: elsewhere } = await scannedImage('elsewhere');
    const mine = await vexFile('local.json', ref, [
      '--vuln',
      'CVE-2023-45853',
      '--status',
      'not_affected',
      '--justification',
      'inline_mitigations_already_exist',
    ]);
    const theirs = await vexFile('elsewhere.json', elsewhere, ['--vuln', 'CVE-2023-38545', '--status', 'fixed']);
    const { report } = await gateJson(ref, '--vex', mine, '--vex', theirs);
    assert.deepEqual(violationIds(report), ['CVE-2023-38545 libcurl4']);
    assert.equal(report.gate.suppressed[0].source, `--vex ${mine}`);
    const v = await gate(ref, '--verbose', '--vex', theirs);
    assert.equal(v.code, 14);
    assert.match(v.stderr, /--vex .*elsewhere.json: statement 0 \(CVE-2023-38545\) is about pkg:oci\/elsewhere@sha256%3A[0-9a-f]+, not sha256:/);
    assert.match(v.stderr, /is about another image/);
  });

  test('a GHSA finding is suppressed by a statement naming its CVE (grype relatedVulnerabilities)', async () => {
    const { ref } = await scannedImage('alias');
    const file = await vexFile('alias.json', ref, ['--vuln', 'CVE-2023-46136', '--status', 'not_affected', '--justification', 'vulnerable_code_not_present']);
    const r = await runCli(['verify-attestation', '--key', ci.pub, '--max-severity', 'medium', '--vex', file, '-o', 'json', ref]);
    const rep = JSON.parse(r.stdout)[0];
    assert.deepEqual(
      rep.gate.suppressed.map((s: { finding: { id: string; package: string } }) => `${s.finding.id} ${s.finding.package}`),
      ['GHSA-hrfv-mqp8-q5rw werkzeug'],
    );
    assert.ok(!rep.gate.violations.some((v: { id: string }) => v.id === 'GHSA-hrfv-mqp8-q5rw'));
    assert.ok(rep.gate.violations.some((v: { id: string }) => v.id === 'GHSA-qppj-fm5r-hxr3'));
  });
});

describe('bad VEX input', () => {
  test('attest --type openvex refuses malformed documents, a missing justification and another image', async () => {
    const img = await makeImageLayout(path.join(work, 'bad'));
    const ref = `oci:${img.dir}:latest`;
    const bad = path.join(work, 'bad.json');
    await writeFile(bad, '{"@context": "https://openvex.dev/ns/v0.2.0", ');
    let r = await runCli(['attest', '--key', sec.key, '--type', 'openvex', '--predicate', bad, ref]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is not valid JSON/);

    const doc = JSON.parse(await readFile(`${fixtures}openvex/grype/openvex-demo2.json`, 'utf8'));
    delete doc.statements[4].justification;
    delete doc.statements[4].impact_statement;
    await writeFile(bad, JSON.stringify(doc));
    r = await runCli(['attest', '--key', sec.key, '--type', 'openvex', '--predicate', bad, ref]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /statements\[4\]: status not_affected needs a justification/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // one line, no stack

    // grype's demo document is about alpine@sha256:124c7d…, not this image.
    r = await runCli(['attest', '--key', sec.key, '--type', 'openvex', '--predicate', `${fixtures}openvex/grype/openvex-demo1.json`, ref]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /statements\[0\] \(CVE-2023-1255\) is about pkg:oci\/alpine@sha256%3A124c7d.*, not this image sha256:/);
    // A package product is about whatever image the attestation names.
    r = await runCli(['attest', '--key', sec.key, '--type', 'openvex', '--predicate', `${fixtures}openvex/grype/openvex-package-product.json`, ref]);
    assert.equal(r.code, 0, r.stderr);

    r = await runCli(['vex', 'create', ref, '--vuln', 'CVE-1', '--status', 'not_affected', '--author', 'x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /needs --justification/);
    // A malformed package URL is a usage error, not an image looked up on Docker Hub (qa).
    r = await runCli(['vex', 'create', 'pkg:broken', '--vuln', 'CVE-1', '--status', 'fixed', '--author', 'x']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^Error: "pkg:broken" is not a package URL; give pkg:TYPE\/NAME@VERSION/);
    r = await runCli(['verify-attestation', '--key', ci.pub, '--max-severity', 'high', '--vex', `${fixtures}openvex/go-vex/v020-1.vex.json`, ref]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /v020-1.vex.json: timestamp: is required/);
  });
});
