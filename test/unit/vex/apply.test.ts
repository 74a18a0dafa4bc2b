// VEX applied to findings: grype's own OpenVEX test cases (documents and matches from grype's
// tests, outcomes as grype asserts them), then seal's rules: latest statement wins, aliases,
// other images, statements without products, package purl matching.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Finding } from '../../../src/scan/findings.ts';
import { summarizeVulns } from '../../../src/scan/vuln.ts';
import { applyVex, describeSuppression, type VexSource } from '../../../src/vex/apply.ts';
import { parseVexDocument, validateVexDocument, type VexDocument } from '../../../src/vex/document.ts';
import { imageRelation } from '../../../src/vex/match.ts';
import { parsePurl, purlMatches } from '../../../src/vex/purl.ts';

const fixtures = new URL('../../fixtures/', import.meta.url).pathname;
const ALPINE = 'sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126';
const OTHER = 'sha256:' + 'e'.repeat(64);
const vexDoc = (p: string) => parseVexDocument(readFileSync(`${fixtures}openvex/${p}`), p);
const report = (p: string) => summarizeVulns(JSON.parse(readFileSync(`${fixtures}grype/${p}`, 'utf8'))).findings;
const file = (doc: VexDocument, origin = 'test'): VexSource => ({ doc, origin, aboutImage: false });
const keyOf = (f: Finding) => `${f.id} ${f.package}`;
const kept = (findings: Finding[], sources: VexSource[], digest = ALPINE) => applyVex(findings, sources, digest).kept.map(keyOf).sort();

const alpine = report('alpine-3.17-vex-cases.json');
const ALL = ['CVE-2023-1255 curl', 'CVE-2023-1255 libcrypto3', 'CVE-2023-1255 libssl3', 'CVE-2023-2975 libcrypto3', 'CVE-2023-3817 libcrypto3'];

test('the grype fixture holds the five matches of grype’s tests', () => {
  assert.deepEqual(alpine.map(keyOf).sort(), ALL);
});

test('grype processor_test: openvex-demo1 suppresses CVE-2023-1255 on the listed subcomponents only', () => {
  assert.deepEqual(kept(alpine, [file(vexDoc('grype/openvex-demo1.json'))]), ['CVE-2023-1255 curl', 'CVE-2023-2975 libcrypto3', 'CVE-2023-3817 libcrypto3']);
});

test('grype processor_test: openvex-demo2 suppresses fixed and not_affected on libcrypto3 (default rules)', () => {
  const out = applyVex(alpine, [file(vexDoc('grype/openvex-demo2.json'), '--vex demo2.json')], ALPINE);
  assert.deepEqual(out.kept.map(keyOf), ['CVE-2023-1255 curl']);
  const byKey = Object.fromEntries(out.suppressed.map((s) => [keyOf(s.finding), s]));
  assert.equal(byKey['CVE-2023-3817 libcrypto3'].status, 'not_affected');
  assert.equal(byKey['CVE-2023-3817 libcrypto3'].justification, 'vulnerable_code_not_present');
  assert.equal(byKey['CVE-2023-3817 libcrypto3'].impactStatement, 'affected functions were removed before packaging');
  assert.equal(byKey['CVE-2023-2975 libcrypto3'].status, 'fixed');
  assert.equal(byKey['CVE-2023-1255 libssl3'].author, 'The OpenVEX Project <openvex@openssf.org>');
  assert.equal(byKey['CVE-2023-1255 libssl3'].timestamp, '2023-07-17T18:28:47.696004345-06:00');
  assert.match(
    describeSuppression(byKey['CVE-2023-3817 libcrypto3']),
    /^CVE-2023-3817 \(medium, libcrypto3 3.0.8-r3\) suppressed: not_affected \(vulnerable_code_not_present\), by The OpenVEX Project <openvex@openssf.org> at 2023-07-17T18:28:47.696004345-06:00 \[--vex demo2.json\]$/,
  );
});

test('grype implementation_test: an image product without subcomponents covers every package', () => {
  assert.deepEqual(kept(alpine, [file(vexDoc('grype/openvex-image-no-subcomponents.json'))]), ['CVE-2023-2975 libcrypto3', 'CVE-2023-3817 libcrypto3']);
});

test('grype implementation_test: a package product covers that package only', () => {
  assert.deepEqual(
    kept(alpine, [file(vexDoc('grype/openvex-package-product.json'))]),
    ALL.filter((k) => k !== 'CVE-2023-1255 libcrypto3'),
  );
});

test('go-vex v0.2.0.json on the same image: the same outcome as grype’s demo2', () => {
  assert.deepEqual(kept(alpine, [file(vexDoc('go-vex/v0.2.0.json'))]), ['CVE-2023-1255 curl']);
});

test('a document about another image changes nothing and says so', () => {
  for (const doc of [vexDoc('grype/openvex-demo2.json'), vexDoc('grype/openvex-image-no-subcomponents.json')]) {
    const out = applyVex(alpine, [file(doc, 'other.json')], OTHER);
    assert.deepEqual(out.kept.map(keyOf).sort(), ALL);
    assert.equal(out.suppressed.length, 0);
    assert.ok(
      out.notes.some((n) => n.includes(`is about pkg:oci/alpine@sha256%3A124c7d`) && n.includes(`not ${OTHER}`)),
      out.notes.join('\n'),
    );
  }
});

// A two-statement history about one finding, in the OpenVEX spec's "Updating Statements" shape.
function history(first: [string, string], second: [string, string], productless = false): VexDocument {
  const stmt = ([status, timestamp]: [string, string]) => ({
    timestamp,
    vulnerability: { name: 'CVE-2023-3817' },
    ...(productless ? {} : { products: [{ '@id': `pkg:oci/alpine@${ALPINE.replace(':', '%3A')}` }] }),
    status,
    ...(status === 'not_affected' ? { justification: 'vulnerable_code_not_in_execute_path' } : {}),
    ...(status === 'affected' ? { action_statement: 'upgrade to 3.0.10-r0' } : {}),
  });
  return validateVexDocument({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'https://openvex.dev/docs/example/seal-history',
    author: 'Security <security@example.com>',
    timestamp: '2023-08-01T00:00:00Z',
    version: 2,
    statements: [stmt(first), stmt(second)],
  });
}
const cve3817 = alpine.filter((f) => f.id === 'CVE-2023-3817');

test('latest statement wins: an older affected superseded by a newer not_affected', () => {
  const out = applyVex(cve3817, [file(history(['affected', '2023-07-20T00:00:00Z'], ['not_affected', '2023-07-25T00:00:00Z']))], ALPINE);
  assert.equal(out.suppressed.length, 1);
  assert.equal(out.suppressed[0].timestamp, '2023-07-25T00:00:00Z');
});

test('latest statement wins: an older not_affected superseded by a newer affected keeps the finding', () => {
  // Document order does not matter, only time: the newer statement is listed first here.
  const out = applyVex(cve3817, [file(history(['affected', '2023-07-25T00:00:00Z'], ['not_affected', '2023-07-20T00:00:00Z']))], ALPINE);
  assert.equal(out.suppressed.length, 0);
  assert.deepEqual(
    out.affirmed.map((a) => [a.status, a.timestamp]),
    [['affected', '2023-07-25T00:00:00Z']],
  );
});

test('latest statement wins across documents; a tie keeps the finding', () => {
  const older = history(['not_affected', '2023-07-20T00:00:00Z'], ['not_affected', '2023-07-19T00:00:00Z']);
  const newer = history(['under_investigation', '2023-07-21T00:00:00Z'], ['under_investigation', '2023-07-18T00:00:00Z']);
  assert.equal(applyVex(cve3817, [file(newer), file(older)], ALPINE).suppressed.length, 0);
  const tie = history(['not_affected', '2023-07-20T00:00:00Z'], ['affected', '2023-07-20T00:00:00Z']);
  assert.equal(applyVex(cve3817, [file(tie)], ALPINE).suppressed.length, 0);
});

test('statements without products: about the image in an attestation, about nothing in a bare file', () => {
  const doc = history(['not_affected', '2023-07-20T00:00:00Z'], ['not_affected', '2023-07-21T00:00:00Z'], true);
  assert.equal(applyVex(cve3817, [{ doc, origin: 'attestation', aboutImage: true }], ALPINE).suppressed.length, 1);
  const out = applyVex(cve3817, [file(doc)], ALPINE);
  assert.equal(out.suppressed.length, 0);
  assert.match(out.notes[0], /names no product/);
});

test('aliases: a statement by CVE covers grype’s GHSA finding whose related id is that CVE, and the reverse', () => {
  const findings = report('python-debian.json');
  const werkzeug = findings.filter((f) => f.package === 'werkzeug');
  assert.equal(werkzeug[0].id, 'GHSA-hrfv-mqp8-q5rw');
  const byCve = history(['not_affected', '2023-07-20T00:00:00Z'], ['not_affected', '2023-07-21T00:00:00Z'], true);
  byCve.statements.pop();
  byCve.statements[0].vulnerability = { name: 'CVE-2023-46136' };
  const out = applyVex(findings, [{ doc: byCve, origin: 'a', aboutImage: true }], OTHER);
  assert.deepEqual(
    out.suppressed.map((s) => keyOf(s.finding)),
    ['GHSA-hrfv-mqp8-q5rw werkzeug'],
  );
  assert.match(describeSuppression(out.suppressed[0]), /suppressed as CVE-2023-46136/);
  // A statement naming the GHSA with the CVE as an alias covers a finding reported under the CVE.
  const cveFinding: Finding = { ...werkzeug[0], id: 'CVE-2023-46136', aliases: [] };
  byCve.statements[0].vulnerability = { name: 'GHSA-hrfv-mqp8-q5rw', aliases: ['CVE-2023-46136'] };
  assert.equal(applyVex([cveFinding], [{ doc: byCve, origin: 'a', aboutImage: true }], OTHER).suppressed.length, 1);
  // Exact per vulnerability: another CVE on the same package stays.
  byCve.statements[0].vulnerability = { name: 'CVE-2023-99999' };
  assert.equal(applyVex(findings, [{ doc: byCve, origin: 'a', aboutImage: true }], OTHER).suppressed.length, 0);
});

test('product identifiers: pkg:oci purls, name@digest, sha-256 hashes', () => {
  assert.equal(imageRelation({ '@id': `pkg:oci/alpine@${ALPINE.replace(':', '%3A')}?repository_url=index.docker.io/library` }, ALPINE), 'this');
  assert.equal(imageRelation({ '@id': `alpine@${ALPINE}` }, ALPINE), 'this');
  assert.equal(imageRelation({ '@id': 'x', hashes: { 'sha-256': ALPINE.slice(7) } }, ALPINE), 'this');
  assert.equal(imageRelation({ identifiers: { purl: `pkg:oci/alpine@${OTHER}` } }, ALPINE), 'other');
  assert.equal(imageRelation({ '@id': 'pkg:apk/alpine/libcrypto3@3.0.8-r3' }, ALPINE), 'none');
  assert.equal(imageRelation({ '@id': 'pkg:oci/alpine?tag=3.17' }, ALPINE), 'none');
});

test('purl matching follows go-vex: versionless and qualifier-free VEX purls are general', () => {
  const m = (a: string, b: string) => purlMatches(parsePurl(a)!, parsePurl(b)!);
  const pkg = 'pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl';
  assert.ok(m('pkg:deb/debian/libssl3@3.0.11-1~deb12u1', pkg));
  assert.ok(m('pkg:deb/debian/libssl3', pkg));
  assert.ok(m('pkg:deb/debian/libssl3?arch=amd64', pkg));
  assert.ok(!m('pkg:deb/debian/libssl3?arch=arm64', pkg));
  assert.ok(!m('pkg:deb/debian/libssl3@3.0.11-1~deb12u2', pkg));
  assert.ok(!m('pkg:deb/debian/openssl@3.0.11-1~deb12u1', pkg));
  assert.ok(!m('pkg:apk/debian/libssl3', pkg));
  assert.ok(m('pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1', 'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64'));
  assert.ok(m('pkg:pypi/Werkzeug@2.3.7', 'pkg:pypi/werkzeug@2.3.7'));
  assert.equal(parsePurl('not-a-purl'), undefined);
  assert.equal(parsePurl('pkg:'), undefined);
});

test('a suppressing statement dated in the future is ignored when the time is known; one keeping the finding counts', () => {
  const now = new Date('2023-07-22T00:00:00Z');
  const future = history(['affected', '2023-07-21T00:00:00Z'], ['not_affected', '2030-01-01T00:00:00Z']);
  const out = applyVex(cve3817, [file(future, 'f.json')], ALPINE, now);
  assert.equal(out.suppressed.length, 0);
  assert.match(out.notes.join('\n'), /f.json: statement 1 \(CVE-2023-3817, not_affected\) is dated in the future \(2030-01-01T00:00:00Z\); ignored/);
  // Within five minutes of skew it counts.
  const soon = history(['affected', '2023-07-21T00:00:00Z'], ['not_affected', '2023-07-22T00:04:00Z']);
  assert.equal(applyVex(cve3817, [file(soon)], ALPINE, now).suppressed.length, 1);
  const keep = history(['not_affected', '2023-07-21T00:00:00Z'], ['affected', '2030-01-01T00:00:00Z']);
  assert.equal(applyVex(cve3817, [file(keep)], ALPINE, now).suppressed.length, 0);
});
