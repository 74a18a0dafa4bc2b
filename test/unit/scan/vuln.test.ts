import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVulnPredicate, buildVulnPredicateFromBytes, detectScanFormat, summarizeVulns } from '../../../src/scan/vuln.ts';
import { parseRfc3339 } from '../../../src/scan/findings.ts';
import { decodeEnvelopePayload, parseEnvelope } from '../../../src/attest/dsse.ts';
import { parseStatement } from '../../../src/attest/statement.ts';
import { SealError } from '../../../src/errors.ts';
import { cosignFixture, localJson } from '../attest/shared.ts';

const now = new Date('2024-06-01T00:00:00Z');
const grype = () => localJson('grype/python-debian.json') as Record<string, any>;
const trivy = () => localJson('trivy/python-debian.json') as Record<string, any>;
const err = (kind: string, re: RegExp) => (e: unknown) => e instanceof SealError && e.kind === kind && re.test(e.message);

test('detectScanFormat tells grype, trivy and a cosign vuln predicate apart', () => {
  assert.equal(detectScanFormat(grype()), 'grype');
  assert.equal(detectScanFormat(localJson('grype/alpine-one-high.json')), 'grype');
  assert.equal(detectScanFormat(trivy()), 'trivy');
  assert.equal(detectScanFormat(JSON.parse(new TextDecoder().decode(cosignFixture('predicates/vuln-predicate.json')))), 'cosign-vuln');
  assert.equal(detectScanFormat({ matches: [], descriptor: { name: 'syft' } }), undefined);
  assert.equal(detectScanFormat({ bomFormat: 'CycloneDX' }), undefined);
  assert.equal(detectScanFormat([]), undefined);
});

test('grype report → cosign vuln predicate with the whole report as result', () => {
  const doc = grype();
  const built = buildVulnPredicate(doc, { now });
  const p = built.predicate;
  assert.deepEqual(Object.keys(p), ['invocation', 'scanner', 'metadata']);
  assert.deepEqual(p.invocation, { parameters: doc.descriptor.configuration, uri: '', event_id: '', 'builder.id': '' });
  assert.equal(p.scanner.uri, 'https://github.com/anchore/grype');
  assert.equal(p.scanner.version, '0.74.7');
  assert.deepEqual(p.scanner.db, { uri: 'https://toolbox-data.anchore.io/grype/databases/listing.json', version: '5/2024-05-20T01:31:24Z' });
  assert.deepEqual(p.scanner.result, grype());
  assert.deepEqual(p.metadata, { scanStartedOn: '2024-05-20T09:41:27.336721419Z', scanFinishedOn: '2024-05-20T09:41:27.336721419Z' });
  assert.equal(built.timeSource, 'scan');
  assert.equal(built.input, 'grype');
  assert.equal(built.findings, 13);
});

test('grype schema v6 database status is read', () => {
  const p = buildVulnPredicate(localJson('grype/alpine-one-high.json'), { now }).predicate;
  assert.equal(p.scanner.db.version, 'v6.0.2/2025-06-08T04:14:57Z');
  assert.match(p.scanner.db.uri, /^https:\/\/grype\.anchore\.io\/databases\/v6\//);
  assert.equal(p.metadata.scanFinishedOn, '2025-06-08T10:02:11.918273645+02:00');
});

test('trivy report → predicate with trivy scanner and CreatedAt times', () => {
  const built = buildVulnPredicate(trivy(), { now });
  assert.equal(built.predicate.scanner.uri, 'https://github.com/aquasecurity/trivy');
  assert.equal(built.predicate.scanner.version, '0.52.2');
  assert.equal(built.predicate.invocation.parameters, null);
  assert.equal(built.predicate.metadata.scanFinishedOn, '2024-05-21T07:12:44.551283904Z');
  assert.equal(built.timeSource, 'scan');
  assert.deepEqual(built.scanner, { name: 'trivy', version: '0.52.2' });
});

test('time flags override the scan; a lone finish flag dates the start too when the report has no time', () => {
  const both = buildVulnPredicate(grype(), { now, scanStarted: '2024-05-20T09:00:00Z', scanFinished: new Date('2024-05-20T10:00:00Z') });
  assert.deepEqual(both.predicate.metadata, { scanStartedOn: '2024-05-20T09:00:00Z', scanFinishedOn: '2024-05-20T10:00:00Z' });
  assert.deepEqual(both.timeSources, { started: 'flags', finished: 'flags' });
  const doc = grype();
  delete doc.descriptor.timestamp;
  const lone = buildVulnPredicate(doc, { now, scanFinished: '2024-05-30T00:00:00Z' });
  assert.deepEqual(lone.predicate.metadata, { scanStartedOn: '2024-05-30T00:00:00Z', scanFinishedOn: '2024-05-30T00:00:00Z' });
  assert.equal(lone.timeSource, 'flags');
});

test('"now" is used only when nothing else gives a time', () => {
  const doc = grype();
  delete doc.descriptor.timestamp;
  const built = buildVulnPredicate(doc, { now: new Date('2024-06-01T08:09:10.555Z') });
  assert.equal(built.timeSource, 'now');
  assert.equal(built.predicate.metadata.scanFinishedOn, '2024-06-01T08:09:10Z');
});

test('bad times are errors: flags are usage errors, documents input errors', () => {
  assert.throws(() => buildVulnPredicate(grype(), { now, scanFinished: 'yesterday' }), err('usage', /scan finish time "yesterday" is not an RFC 3339 time/));
  assert.throws(() => buildVulnPredicate(grype(), { now, scanStarted: new Date('x') }), err('usage', /not a valid time/));
  assert.throws(
    () => buildVulnPredicate(grype(), { now, scanStarted: '2024-05-21T00:00:00Z', scanFinished: '2024-05-20T00:00:00Z' }),
    err('usage', /start time .* is after the scan finish time/),
  );
  const doc = trivy();
  doc.CreatedAt = '2024-05-21 07:12:44';
  assert.throws(() => buildVulnPredicate(doc, { now, filename: 't.json' }), err('input', /^t\.json: CreatedAt "2024-05-21 07:12:44" is not an RFC 3339 time$/));
});

test('an already-formed cosign predicate keeps its times and fields', () => {
  const built = buildVulnPredicateFromBytes(cosignFixture('predicates/vuln-predicate.json'), { now });
  assert.equal(built.input, 'cosign-vuln');
  assert.equal(built.timeSource, 'predicate');
  assert.equal(built.predicate.invocation.uri, 'invocation.example.com/cosign-testing');
  assert.equal(built.predicate.scanner.uri, 'fakescanner.example.com/cosign-testing');
  assert.deepEqual(built.predicate.metadata, { scanStartedOn: '2022-04-12T00:00:00Z', scanFinishedOn: '2022-04-12T00:10:00Z' });
  assert.equal(built.scanner.name, 'cosign-testing');
});

test('a cosign predicate without times takes them from its grype result; extra fields survive', () => {
  const built = buildVulnPredicate(
    { invocation: { uri: 'ci://run/1' }, scanner: { uri: 'https://github.com/anchore/grype', result: grype() }, metadata: {}, note: 'kept' },
    { now },
  );
  assert.equal(built.timeSource, 'scan');
  assert.equal(built.predicate.metadata.scanFinishedOn, '2024-05-20T09:41:27.336721419Z');
  assert.equal((built.predicate as unknown as Record<string, unknown>).note, 'kept');
  assert.deepEqual(built.predicate.invocation, { uri: 'ci://run/1', parameters: null, event_id: '', 'builder.id': '' });
  assert.equal(built.predicate.scanner.version, '');
  assert.equal(built.scanner.version, '0.74.7');
  assert.throws(() => buildVulnPredicate({ scanner: { uri: 5 }, metadata: {} }, { now }), err('input', /scanner\.uri must be a string/));
});

test('what is not a scan is rejected with a hint', () => {
  assert.throws(
    () => buildVulnPredicateFromBytes(new TextEncoder().encode('{"bomFormat":"CycloneDX"}'), { now, filename: 'bom.json' }),
    (e: unknown) =>
      e instanceof SealError &&
      e.code === 'VULN_FORMAT' &&
      /bom\.json is not a grype or trivy JSON report/.test(e.message) &&
      /grype -o json/.test(e.hint ?? ''),
  );
  assert.throws(
    () => buildVulnPredicateFromBytes(new TextEncoder().encode('nope'), { now, filename: 'x' }),
    err('input', /predicate file x is not valid JSON/),
  );
});

test('summarizeVulns on grype: deduplicated findings, severity × fix counts, aliases, package types', () => {
  const s = summarizeVulns(buildVulnPredicate(grype(), { now }).predicate);
  assert.equal(s.result, 'grype');
  assert.deepEqual(s.scanner, { name: 'grype', version: '0.74.7', uri: 'https://github.com/anchore/grype' });
  assert.equal(s.total, 13); // 14 matches, werkzeug listed twice
  assert.deepEqual(s.bySeverity, { critical: 2, high: 5, medium: 3, low: 1, negligible: 1, unknown: 1 });
  assert.deepEqual(s.byFixState, { fixed: 8, 'not-fixed': 4, 'wont-fix': 1, unknown: 0 });
  assert.deepEqual(s.counts.critical, { fixed: 1, 'not-fixed': 0, 'wont-fix': 1, unknown: 0 });
  assert.deepEqual(s.findings[0], {
    id: 'CVE-2023-38545',
    severity: 'critical',
    package: 'libcurl4',
    version: '7.88.1-10+deb12u3',
    type: 'deb',
    fixState: 'fixed',
    fixedIn: ['7.88.1-10+deb12u4'],
    purl: 'pkg:deb/debian/libcurl4@7.88.1-10%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=curl',
  });
  const requests = s.findings.find((f) => f.package === 'requests')!;
  assert.deepEqual(requests.aliases, ['CVE-2024-35195']);
  assert.deepEqual([...new Set(s.findings.map((f) => f.type))].sort(), ['deb', 'go-module', 'npm', 'python']);
  assert.equal(s.scanFinishedAt?.toISOString(), '2024-05-20T09:41:27.336Z');
  assert.equal(s.target.name, 'registry.example.com/team/api:1.4.2');
});

test('summarizeVulns on trivy: statuses, types and split fix versions are normalised', () => {
  const s = summarizeVulns(buildVulnPredicate(trivy(), { now }).predicate);
  assert.equal(s.result, 'trivy');
  assert.equal(s.total, 9); // semver appears in two targets
  const by = (id: string) => s.findings.find((f) => f.id === id)!;
  assert.equal(by('CVE-2023-45853').fixState, 'wont-fix');
  assert.equal(by('CVE-2024-28182').fixState, 'not-fixed');
  assert.equal(by('CVE-2024-28182').severity, 'unknown');
  assert.equal(by('CVE-2011-3374').fixState, 'not-fixed');
  assert.deepEqual(by('CVE-2022-25883').fixedIn, ['7.5.2', '6.3.1', '5.7.2']);
  assert.equal(by('CVE-2022-25883').type, 'npm');
  assert.equal(by('CVE-2023-44487').type, 'go-module');
  assert.equal(by('CVE-2024-35195').type, 'python');
  assert.equal(by('CVE-2023-38545').type, 'deb');
  assert.equal(s.target.digest, 'sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316');
});

test('trivy reports from before Status existed use FixedVersion', () => {
  const s = summarizeVulns({
    SchemaVersion: 2,
    ArtifactName: 'alpine:3.12',
    Results: [
      {
        Target: 'alpine',
        Type: 'alpine',
        Vulnerabilities: [
          { VulnerabilityID: 'CVE-1', PkgName: 'a', InstalledVersion: '1', FixedVersion: '2', Severity: 'HIGH' },
          { VulnerabilityID: 'CVE-2', PkgName: 'b', InstalledVersion: '1', Severity: 'MEDIUM' },
        ],
      },
    ],
  });
  assert.deepEqual(
    s.findings.map((f) => [f.id, f.fixState, f.type]),
    [
      ['CVE-1', 'fixed', 'apk'],
      ['CVE-2', 'not-fixed', 'apk'],
    ],
  );
  assert.equal(s.scanFinishedOn, undefined);
});

test('summarizeVulns takes a statement, a bare report, or a predicate without a result', () => {
  const predicate = buildVulnPredicate(trivy(), { now }).predicate;
  assert.equal(summarizeVulns({ _type: 'x', predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1', subject: [], predicate }).total, 9);
  assert.equal(summarizeVulns(grype()).total, 13);
  const statement = parseStatement(decodeEnvelopePayload(parseEnvelope(cosignFixture('policies/attestation-payloads/valid-vuln.json'))));
  const s = summarizeVulns(statement);
  assert.equal(s.result, 'none');
  assert.equal(s.total, 0);
  assert.equal(s.scanFinishedOn, '0001-01-01T00:00:00Z');
  assert.equal(s.scanFinishedAt?.getUTCFullYear(), 1);
  assert.equal(summarizeVulns({ scanner: { result: { other: true } } }).result, 'unrecognized');
  assert.throws(
    () => summarizeVulns({ spdxVersion: 'SPDX-2.3' }),
    (e: unknown) => e instanceof SealError && e.code === 'VULN_FORMAT',
  );
});

test('parseRfc3339 accepts RFC 3339 only', () => {
  assert.equal(parseRfc3339('2024-05-20T09:41:27.336721419Z')?.toISOString(), '2024-05-20T09:41:27.336Z');
  assert.equal(parseRfc3339('2025-06-08T10:02:11.9+02:00')?.toISOString(), '2025-06-08T08:02:11.900Z');
  for (const bad of ['2024-05-20', '2024-05-20T09:41:27', '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', 'x', 5]) {
    assert.equal(parseRfc3339(bad), undefined, String(bad));
  }
});
