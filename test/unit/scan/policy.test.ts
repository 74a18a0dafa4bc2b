import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { evaluatePolicy, loadPolicy, parsePath, readPath, statementTime } from '../../../src/scan/policy.ts';
import { buildStatement, type Statement } from '../../../src/attest/statement.ts';
import { buildVulnPredicate } from '../../../src/scan/vuln.ts';
import { SealError } from '../../../src/errors.ts';
import { localJson } from '../attest/shared.ts';

const HEX = 'b'.repeat(64);
const subject = [{ name: 'registry.example.com/team/api', digest: { sha256: HEX } }];
const policyFile = (name: string) => {
  const url = new URL(`../../fixtures/policies/${name}`, import.meta.url);
  return loadPolicy(readFileSync(url, 'utf8'), name);
};
const statement = (predicateType: string, predicate: unknown): Statement => buildStatement({ subject, predicateType, predicate, format: 'legacy' }).statement;
const vulnStatement = (file: string, finished: string): Statement =>
  statement(
    'https://cosign.sigstore.dev/attestation/vuln/v1',
    buildVulnPredicate(localJson(file), { now: new Date(), scanStarted: finished, scanFinished: finished }).predicate,
  );
const slsa = (builderId: string, buildType = 'https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1') =>
  statement('https://slsa.dev/provenance/v1', {
    buildDefinition: { buildType, externalParameters: {} },
    runDetails: { builder: { id: builderId }, metadata: { invocationId: 'run-1', finishedOn: '2024-05-30T10:00:00Z' } },
  });
const spdx = (created: string, version = 'SPDX-2.3') =>
  statement('https://spdx.dev/Document', {
    spdxVersion: version,
    SPDXID: 'SPDXRef-DOCUMENT',
    creationInfo: { created, creators: ['Tool: syft'] },
    packages: [],
  });
const now = new Date('2024-06-01T00:00:00Z');
const invalid = (re: RegExp) => (e: unknown) => e instanceof SealError && e.code === 'POLICY_INVALID' && re.test(e.message);

test('vuln policy passes a recent scan within its limits', () => {
  const r = evaluatePolicy(policyFile('vuln.yaml'), [vulnStatement('grype/alpine-one-high.json', '2024-05-30T00:00:00Z')], { now });
  assert.deepEqual(r, {
    ok: true,
    results: [{ rule: 'vuln-scan', ok: true, message: 'newest scan (grype 0.92.2, 2024-05-30T00:00:00Z) is within limits: critical 0/0, high 1/2' }],
  });
});

test('vuln policy fails naming the CVEs and the limit; unfixed findings are ignored as configured', () => {
  const r = evaluatePolicy(policyFile('vuln.yaml'), [vulnStatement('grype/python-debian.json', '2024-05-30T00:00:00Z')], { now });
  assert.equal(r.ok, false);
  assert.equal(
    r.results[0].message,
    'critical: 1 finding with a fix (CVE-2023-38545), more than the allowed 0; high: 5 findings with a fix (CVE-2023-5363, CVE-2024-2961, GHSA-hrfv-mqp8-q5rw, GHSA-qppj-fm5r-hxr3), more than the allowed 2',
  );
});

test('vuln policy fails on age and uses only the newest scan', () => {
  const old = vulnStatement('grype/alpine-one-high.json', '2024-05-01T00:00:00Z');
  const aged = evaluatePolicy(policyFile('vuln.yaml'), [old], { now });
  assert.equal(aged.results[0].message, 'metadata.scanFinishedOn is 31 days old, older than maxAge 14d');
  const newerDirty = vulnStatement('grype/python-debian.json', '2024-05-31T00:00:00Z');
  const olderClean = vulnStatement('grype/alpine-one-high.json', '2024-05-30T00:00:00Z');
  assert.equal(evaluatePolicy(policyFile('vuln.yaml'), [olderClean, newerDirty], { now }).ok, false);
  assert.equal(evaluatePolicy(policyFile('vuln.yaml'), [newerDirty, vulnStatement('grype/alpine-one-high.json', '2024-05-31T12:00:00Z')], { now }).ok, true);
});

test('a missing attestation type fails and lists what was found', () => {
  const r = evaluatePolicy(policyFile('vuln.yaml'), [slsa('x')], { now });
  assert.deepEqual(r.results[0], {
    rule: 'vuln-scan',
    ok: false,
    message: 'no verified attestation of type https://cosign.sigstore.dev/attestation/vuln/v1 (found: https://slsa.dev/provenance/v1)',
  });
  assert.equal(
    evaluatePolicy(policyFile('vuln.yaml'), [], { now }).results[0].message,
    'no verified attestation of type https://cosign.sigstore.dev/attestation/vuln/v1',
  );
});

test('SLSA builder policy: matches is anchored, oneOf checks build type', () => {
  const good = 'https://github.com/example-org/.github/.github/workflows/build.yml@refs/tags/v1.2.3';
  const policy = policyFile('slsa-builder.yaml');
  const pass = evaluatePolicy(policy, [slsa(good)], { now });
  assert.deepEqual(pass.results, [{ rule: 'slsa-builder', ok: true, message: 'a verified https://slsa.dev/provenance/v1 attestation meets 2 condition(s)' }]);
  const forked = evaluatePolicy(policy, [slsa(`https://evil.example/${good}`)], { now });
  assert.equal(forked.ok, false);
  assert.match(forked.results[0].message, /^predicate\.runDetails\.builder\.id is "https:\/\/evil\.example\/.*", which does not match https:\/\/github/);
  const branch = evaluatePolicy(policy, [slsa(good.replace('refs/tags/v1.2.3', 'refs/heads/main'), 'https://example.com/other')], { now });
  assert.match(branch.results[0].message, /does not match .*; predicate\.buildDefinition\.buildType is "https:\/\/example\.com\/other", not one of \["https:/);
});

test('any one passing attestation satisfies a non-vuln rule', () => {
  const good = 'https://github.com/example-org/.github/.github/workflows/build.yml@refs/tags/v2.0.0';
  const r = evaluatePolicy(policyFile('slsa-builder.yaml'), [slsa('nope'), slsa(good)], { now });
  assert.equal(r.ok, true);
  const bad = evaluatePolicy(policyFile('slsa-builder.yaml'), [slsa('nope'), slsa('also-nope')], { now });
  assert.match(bad.results[0].message, /^none of 2 attestations passes; first: predicate\.runDetails\.builder\.id is "nope"/);
});

test('SBOM presence and freshness (JSON policy)', () => {
  const policy = policyFile('sbom-present.json');
  const ok = evaluatePolicy(policy, [spdx('2024-05-20T00:00:00Z')], { now });
  assert.deepEqual(
    ok.results.map((r) => [r.rule, r.ok, r.message]),
    [
      ['sbom-present', true, 'found 1 verified https://spdx.dev/Document attestation'],
      ['sbom-fresh', true, 'a verified https://spdx.dev/Document attestation meets 2 condition(s)'],
    ],
  );
  const cdx = evaluatePolicy(policy, [statement('https://cyclonedx.org/bom', { bomFormat: 'CycloneDX' })], { now });
  assert.deepEqual(
    cdx.results.map((r) => r.ok),
    [true, false],
  );
  const stale = evaluatePolicy(policy, [spdx('2024-01-01T00:00:00Z', 'SPDX-2.1')], { now });
  assert.equal(
    stale.results[1].message,
    'creationInfo.created is 152 days old, older than maxAge 30d; predicate.spdxVersion is "SPDX-2.1", not one of ["SPDX-2.2","SPDX-2.3"]',
  );
});

test('equals and exists conditions, and paths with dotted keys and indexes', () => {
  const p = loadPolicy(
    `rules:
  - name: r
    predicateType: https://example.com/p/v1
    require:
      - path: predicate.invocation["builder.id"]
        equals: ci
      - path: subject[0].name
        equals: registry.example.com/team/api
      - path: predicate.debug
        exists: false
      - path: predicate.tags
        equals: [a, b]
`,
    'p.yaml',
  );
  const st = (pred: unknown) => statement('https://example.com/p/v1', pred);
  assert.equal(evaluatePolicy(p, [st({ invocation: { 'builder.id': 'ci' }, tags: ['a', 'b'] })], { now }).ok, true);
  const r = evaluatePolicy(p, [st({ invocation: { 'builder.id': 'cd' }, debug: true, tags: ['b', 'a'] })], { now });
  assert.equal(
    r.results[0].message,
    'predicate.invocation["builder.id"] is "cd", expected "ci"; predicate.debug is present but must be absent; predicate.tags is ["b","a"], expected ["a","b"]',
  );
  assert.match(evaluatePolicy(p, [st({})], { now }).results[0].message, /^predicate\.invocation\["builder\.id"\] is missing/);
});

test('paths never read through the prototype', () => {
  assert.deepEqual(readPath({ a: {} }, parsePath('a.constructor')!), { found: false });
  assert.deepEqual(readPath({ a: [1, 2] }, parsePath('a[1]')!), { found: true, value: 2 });
  assert.deepEqual(readPath({ a: [1] }, parsePath('a[3]')!), { found: false });
  assert.deepEqual(parsePath(`a['b.c']["d\\"e"].f-g`), ['a', 'b.c', 'd"e', 'f-g']);
  for (const bad of ['', '.a', 'a..b', 'a[x]', 'a.', 'a b']) assert.equal(parsePath(bad), undefined, bad);
});

test('statementTime knows where each predicate type keeps its time', () => {
  assert.equal(statementTime(slsa('x')).field, 'predicate.runDetails.metadata.finishedOn');
  assert.equal(
    statementTime(statement('https://cosign.sigstore.dev/attestation/v1', { Data: '', Timestamp: '2024-01-01T00:00:00Z' })).at?.toISOString(),
    '2024-01-01T00:00:00.000Z',
  );
  assert.deepEqual(statementTime(statement('https://example.com/x', {})), {});
});

test('validation errors name the field', () => {
  const cases: [string, RegExp][] = [
    ['rules: []', /^p\.yaml: rules: must be a non-empty list$/],
    ['[1]', /a policy must be a mapping/],
    ['version: 2\nrules: [{predicateType: vuln}]', /^p\.yaml: version: must be 1$/],
    ['rules: [{name: x}]', /rules\[0\]\.predicateType: is required/],
    ['rules: [{predicateType: bogus}]', /rules\[0\]\.predicateType: invalid predicate type: "bogus"; use one of custom/],
    ['rules: [{predicateType: vuln, maxCount: {critical: -1}}]', /rules\[0\]\.maxCount\.critical: must be a non-negative integer/],
    ['rules: [{predicateType: vuln, maxCount: {severe: 1}}]', /rules\[0\]\.maxCount: unknown field "severe"/],
    ['rules: [{predicateType: vuln, maxCount: {}}]', /rules\[0\]\.maxCount: must map severities/],
    ['rules: [{predicateType: spdxjson, maxCount: {critical: 0}}]', /rules\[0\]\.maxCount: applies only to predicateType vuln/],
    ['rules: [{predicateType: vuln, ignoreUnfixed: true}]', /rules\[0\]\.ignoreUnfixed: only makes sense with maxCount/],
    ['rules: [{predicateType: vuln, maxAge: 14}]', /rules\[0\]\.maxAge: must be a duration/],
    ['rules: [{predicateType: vuln, maxAge: 2 weeks}]', /rules\[0\]\.maxAge: invalid duration "2 weeks"/],
    ['rules: [{predicateType: vuln, require: {path: a}}]', /rules\[0\]\.require: must be a list/],
    ['rules: [{predicateType: vuln, require: [{path: a}]}]', /rules\[0\]\.require\[0\]: give exactly one of equals, matches, oneOf, exists/],
    ['rules: [{predicateType: vuln, require: [{path: a, equals: 1, oneOf: [1]}]}]', /rules\[0\]\.require\[0\]: give exactly one/],
    ['rules: [{predicateType: vuln, require: [{path: "a..b", equals: 1}]}]', /rules\[0\]\.require\[0\]\.path: cannot read "a\.\.b"/],
    ['rules: [{predicateType: vuln, require: [{path: a, matches: "("}]}]', /rules\[0\]\.require\[0\]\.matches: invalid regular expression/],
    ['rules: [{predicateType: vuln, require: [{path: a, oneOf: []}]}]', /rules\[0\]\.require\[0\]\.oneOf: must be a non-empty list/],
    ['rules: [{predicateType: vuln, require: [{path: a, exists: yes}]}]', /rules\[0\]\.require\[0\]\.exists: must be true or false/],
    ['rules: [{name: a, predicateType: vuln}, {name: a, predicateType: spdx}]', /rules\[1\]\.name: duplicate rule name "a"/],
    ['rules: [{predicateType: vuln, extra: 1}]', /rules\[0\]: unknown field "extra"/],
    ['rules: [{predicateType: vuln}]\nrulez: []', /^p\.yaml: unknown field "rulez"/],
    ['rules: [{predicateType: vuln', /^p\.yaml: not valid YAML/],
  ];
  for (const [text, re] of cases) assert.throws(() => loadPolicy(text, 'p.yaml'), invalid(re), text);
  assert.throws(() => loadPolicy('{"rules": [', 'p.json'), invalid(/^p\.json: not valid JSON/));
  assert.throws(() => policyFile('invalid-typo.yaml'), invalid(/rules\[0\]: unknown field "maxcount"/));
});

test('rules without a name are named after their position and types', () => {
  const p = loadPolicy('rules:\n  - predicateType: [spdxjson, cyclonedx]\n', 'p.yml');
  assert.equal(p.rules[0].name, 'rules[0] (spdxjson, cyclonedx)');
  assert.deepEqual(p.rules[0].predicateTypes, ['https://spdx.dev/Document', 'https://cyclonedx.org/bom']);
});
