// Gate decisions with and without VEX on real grype reports (DefectDojo's parser test data:
// grype 0.96 on a RHEL 8.7 + Maven image, grype 0.24 on an npm/PyPI directory) and on grype's own
// VEX test cases. Each case: the scan, the VEX documents, the gate's verdict and what remains.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { evaluateVulnGate, type MaxSeverity } from '../../../src/scan/gate.ts';
import { summarizeVulns } from '../../../src/scan/vuln.ts';
import { applyVex, type VexSource } from '../../../src/vex/apply.ts';
import { parseVexDocument, validateVexDocument, type VexStatement } from '../../../src/vex/document.ts';

const fixtures = new URL('../../fixtures/', import.meta.url).pathname;
const scan = (p: string) => summarizeVulns(JSON.parse(readFileSync(fixtures + p, 'utf8')));
const now = new Date('2024-03-01T00:00:00Z');
const KAFKA = 'sha256:11557074a2e35fcbb2f367ffe1c6bb90968a56c3a08a48bf9370f8445ae2cc36';
const ALPINE = 'sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126';

function doc(statements: Partial<VexStatement>[], timestamp = '2024-02-25T12:00:00Z') {
  return validateVexDocument({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/example/seal-corpus',
    author: 'Security Team <security@example.com>',
    timestamp,
    version: 1,
    statements,
  });
}
const image = (digest: string, ...subs: string[]) => ({
  '@id': `pkg:oci/app@${digest.replace(':', '%3A')}`,
  ...(subs.length ? { subcomponents: subs.map((s) => ({ '@id': s })) } : {}),
});

function decide(scanFile: string, digest: string, max: MaxSeverity, sources: VexSource[]) {
  const s = scan(scanFile);
  const gate = evaluateVulnGate([s], { maxSeverity: max, now, ...(sources.length ? { vex: (f) => applyVex(f, sources, digest) } : {}) });
  return {
    ok: gate.ok,
    violations: gate.violations.map((v) => `${v.id} ${v.package} ${v.version}`),
    suppressed: (gate.suppressed ?? []).map((x) => `${x.finding.id} ${x.finding.package} ${x.finding.version}`),
  };
}

const kafkaVex: VexSource = {
  origin: 'attestation',
  aboutImage: true,
  doc: doc([
    // The critical: cups-libs is a dependency of the base image, never loaded by the connector.
    {
      vulnerability: { name: 'CVE-2023-44981' },
      products: [image(KAFKA, 'pkg:rpm/rhel/cups-libs')],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
    // By its GHSA id, for the old avro only: the 1.11.1 jar stays.
    {
      vulnerability: { name: 'GHSA-rhrv-645h-fjfh' },
      products: [image(KAFKA, 'pkg:maven/org.apache.avro/avro@1.9.2')],
      status: 'not_affected',
      justification: 'component_not_present',
    },
    // An image-wide fixed statement (no subcomponents): every package with that CVE.
    { vulnerability: { name: 'CVE-2023-50387' }, products: [image(KAFKA)], status: 'fixed' },
  ]),
};

test('kafka-connect image (grype 0.96, RHEL 8.7 + Maven): high gate without and with VEX', () => {
  const without = decide('defectdojo/grype-issue_9618.json', KAFKA, 'high', []);
  assert.equal(without.ok, false);
  assert.deepEqual(without.violations, ['CVE-2023-44981 cups-libs 1:2.2.6-50.el8']);
  const withVex = decide('defectdojo/grype-issue_9618.json', KAFKA, 'high', [kafkaVex]);
  assert.equal(withVex.ok, true);
  assert.deepEqual(withVex.suppressed.sort(), [
    'CVE-2023-39410 avro 1.9.2',
    'CVE-2023-44981 cups-libs 1:2.2.6-50.el8',
    'CVE-2023-50387 bind-libs 32:9.11.36-5.el8_7.2',
    'CVE-2023-50387 bind-libs-lite 32:9.11.36-5.el8_7.2',
    'CVE-2023-50387 bind-license 32:9.11.36-5.el8_7.2',
  ]);
});

test('kafka-connect image: medium gate, exact per CVE and package; a related CVE is not an alias of another CVE', () => {
  const without = decide('defectdojo/grype-issue_9618.json', KAFKA, 'medium', []);
  assert.equal(without.violations.length, 19);
  const withVex = decide('defectdojo/grype-issue_9618.json', KAFKA, 'medium', [kafkaVex]);
  assert.equal(withVex.violations.length, 14);
  assert.ok(withVex.violations.includes('CVE-2023-39410 avro 1.11.1')); // same CVE, other version
  assert.ok(withVex.violations.includes('CVE-2023-50868 bind-libs 32:9.11.36-5.el8_7.2')); // other CVE, same package
  // grype lists CVE-2023-50387 as related to bind-utils' CVE-2023-37920 (low, so it is not a
  // violation at medium), but the statement about CVE-2023-50387 does not suppress it.
  const low = decide('defectdojo/grype-issue_9618.json', KAFKA, 'negligible', [kafkaVex]);
  assert.ok(low.violations.includes('CVE-2023-37920 bind-utils 32:9.11.36-5.el8_7.2'));
  assert.ok(!low.suppressed.some((s) => s.startsWith('CVE-2023-37920')));
});

test('kafka-connect image: the same VEX about another image, or unsigned-by-nobody (no sources), changes nothing', () => {
  const other = decide('defectdojo/grype-issue_9618.json', 'sha256:' + '0'.repeat(64), 'high', [kafkaVex]);
  assert.deepEqual(other.violations, ['CVE-2023-44981 cups-libs 1:2.2.6-50.el8']);
  assert.deepEqual(other.suppressed, []);
});

test('npm/PyPI directory (grype 0.24): package products, a GHSA finding covered by its CVE', () => {
  const without = decide('defectdojo/grype-many_vulns4.json', KAFKA, 'high', []);
  assert.deepEqual(without.violations, ['CVE-2021-29940 through 2.3.8', 'GHSA-8v27-2fg9-7h62 static-eval 2.1.0']);
  const file: VexSource = {
    origin: '--vex dir.json',
    aboutImage: false,
    doc: doc([
      {
        vulnerability: { name: 'CVE-2021-23334' },
        products: [{ '@id': 'pkg:npm/static-eval@2.1.0' }],
        status: 'not_affected',
        justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
      },
      {
        vulnerability: { name: 'CVE-2021-29940' },
        products: [{ '@id': 'pkg:npm/through' }],
        status: 'affected',
        action_statement: 'replace through with a maintained stream library',
      },
    ]),
  };
  const withVex = decide('defectdojo/grype-many_vulns4.json', KAFKA, 'high', [file]);
  assert.equal(withVex.ok, false);
  assert.deepEqual(withVex.violations, ['CVE-2021-29940 through 2.3.8']);
  assert.deepEqual(withVex.suppressed, ['GHSA-8v27-2fg9-7h62 static-eval 2.1.0']);
});

test('grype’s alpine cases at --max-severity low: demo1 leaves four, demo2 one, image-wide statement two', () => {
  const f = 'grype/alpine-3.17-vex-cases.json';
  const src = (p: string): VexSource[] => [{ doc: parseVexDocument(readFileSync(`${fixtures}openvex/${p}`)), origin: p, aboutImage: false }];
  assert.equal(decide(f, ALPINE, 'low', []).violations.length, 5);
  assert.equal(decide(f, ALPINE, 'low', src('grype/openvex-demo1.json')).violations.length, 3);
  assert.deepEqual(decide(f, ALPINE, 'low', src('grype/openvex-demo2.json')).violations, ['CVE-2023-1255 curl 8.1.2-r0']);
  assert.equal(decide(f, ALPINE, 'low', src('grype/openvex-image-no-subcomponents.json')).violations.length, 2);
  assert.equal(decide(f, ALPINE, 'low', src('grype/openvex-package-product.json')).violations.length, 4);
  assert.equal(decide(f, ALPINE, 'low', src('grype/under_investigation.openvex.json')).violations.length, 5);
});

test('trivy report: its package purls match subcomponents the same way', () => {
  const digest = 'sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316';
  const src: VexSource = {
    origin: 'attestation',
    aboutImage: true,
    doc: doc([{ vulnerability: { name: 'CVE-2023-38545' }, products: [image(digest, 'pkg:deb/debian/libcurl4')], status: 'fixed' }]),
  };
  const without = decide('trivy/python-debian.json', digest, 'high', []);
  const withVex = decide('trivy/python-debian.json', digest, 'high', [src]);
  assert.ok(without.violations.some((v) => v.startsWith('CVE-2023-38545 libcurl4')));
  assert.deepEqual(withVex.suppressed, ['CVE-2023-38545 libcurl4 7.88.1-10+deb12u3']);
  assert.equal(withVex.violations.length, without.violations.length - 1);
});
