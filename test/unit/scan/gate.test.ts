import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateVulnGate, formatAge, formatDurationShort, parseDuration, parseMaxSeverity } from '../../../src/scan/gate.ts';
import { buildVulnPredicate, summarizeVulns, type VulnSummary } from '../../../src/scan/vuln.ts';
import { SealError } from '../../../src/errors.ts';
import { localJson } from '../attest/shared.ts';

const DAY = 86_400_000;
const scan = (file: string, finished?: string): VulnSummary =>
  summarizeVulns(buildVulnPredicate(localJson(file), { now: new Date(), scanFinished: finished, scanStarted: finished }).predicate);
const python = () => scan('grype/python-debian.json'); // finished 2024-05-20T09:41:27Z
const alpine = () => scan('grype/alpine-one-high.json');
const negligible = () => scan('grype/debian-negligible-only.json');
const soon = new Date('2024-05-25T00:00:00Z');

test('the gate fails on severity and names every CVE above the limit', () => {
  const r = evaluateVulnGate([python()], { maxSeverity: 'high', now: soon });
  assert.equal(r.ok, false);
  assert.deepEqual(r.reasons, [
    'CVE-2023-38545 (critical, libcurl4 7.88.1-10+deb12u3, fixed in 7.88.1-10+deb12u4) is above --max-severity high',
    "CVE-2023-45853 (critical, zlib1g 1:1.2.13.dfsg-1, won't fix) is above --max-severity high",
  ]);
  assert.deepEqual(
    r.violations.map((v) => v.id),
    ['CVE-2023-38545', 'CVE-2023-45853'],
  );
  assert.equal(r.scanTime?.toISOString(), '2024-05-20T09:41:27.336Z');
});

test('--ignore-unfixed counts only findings that have a fix', () => {
  const r = evaluateVulnGate([python()], { maxSeverity: 'high', ignoreUnfixed: true, now: soon });
  assert.deepEqual(
    r.violations.map((v) => v.id),
    ['CVE-2023-38545'],
  );
  const medium = evaluateVulnGate([python()], { maxSeverity: 'medium', ignoreUnfixed: true, now: soon });
  assert.deepEqual(
    medium.violations.map((v) => `${v.id} ${v.package}`),
    [
      'CVE-2023-38545 libcurl4',
      'CVE-2023-5363 libssl3',
      'CVE-2023-5363 openssl',
      'CVE-2024-2961 libc6',
      'GHSA-hrfv-mqp8-q5rw werkzeug',
      'GHSA-qppj-fm5r-hxr3 golang.org/x/net',
    ],
  );
  const fixedOnlyLow = evaluateVulnGate([negligible()], { maxSeverity: 'none', ignoreUnfixed: true, now: soon });
  assert.equal(fixedOnlyLow.ok, true);
});

test('the gate passes when everything is at or below the limit', () => {
  const r = evaluateVulnGate([python()], { maxSeverity: 'critical', maxAgeMs: 14 * DAY, now: soon });
  assert.deepEqual(r, { ok: true, summary: r.summary, reasons: [], violations: [], scanTime: r.scanTime });
  assert.equal(evaluateVulnGate([alpine()], { maxSeverity: 'high', now: soon }).ok, true);
  const medium = evaluateVulnGate([alpine()], { maxSeverity: 'medium', now: soon });
  assert.deepEqual(medium.reasons, ['CVE-2024-6119 (high, libcrypto3 3.1.5-r0, fixed in 3.1.7-r0) is above --max-severity medium']);
});

test('unknown severity only fails --max-severity none; negligible passes negligible', () => {
  assert.equal(evaluateVulnGate([negligible()], { maxSeverity: 'negligible', now: soon }).ok, true);
  assert.equal(evaluateVulnGate([negligible()], { maxSeverity: 'low', now: soon }).ok, true);
  const none = evaluateVulnGate([negligible()], { maxSeverity: 'none', now: soon });
  assert.equal(none.ok, false);
  assert.equal(none.violations.length, 4);
  assert.match(none.reasons.at(-1)!, /^CVE-2024-28085 \(unknown, bsdutils 1:2\.38\.1-5\+deb12u1, fix status unknown\) is above --max-severity none$/);
});

test('the gate fails on age with the age and the limit', () => {
  const r = evaluateVulnGate([python()], { maxAgeMs: parseDuration('14d'), now: new Date('2024-06-08T09:41:28Z') });
  assert.equal(r.ok, false);
  assert.deepEqual(r.reasons, ['newest scan is 19 days old, older than --max-age 14d']);
  assert.equal(evaluateVulnGate([python()], { maxAgeMs: parseDuration('2w'), now: new Date('2024-06-03T09:41:27Z') }).ok, true);
  const hours = evaluateVulnGate([python()], { maxAgeMs: parseDuration('36h'), now: new Date('2024-05-22T09:41:28Z') });
  assert.deepEqual(hours.reasons, ['newest scan is 2 days old, older than --max-age 36h']);
});

test('severity and age reasons are reported together', () => {
  const r = evaluateVulnGate([python()], { maxSeverity: 'high', ignoreUnfixed: true, maxAgeMs: 7 * DAY, now: new Date('2024-06-08T00:00:00Z') });
  assert.equal(r.reasons.length, 2);
  assert.match(r.reasons[0], /^newest scan is 18 days old/);
  assert.match(r.reasons[1], /^CVE-2023-38545 /);
});

test('only the newest scan counts, whatever the input order', () => {
  const oldDirty = scan('grype/python-debian.json', '2024-05-01T00:00:00Z');
  const newClean = scan('grype/alpine-one-high.json', '2024-05-20T00:00:00Z');
  for (const order of [
    [oldDirty, newClean],
    [newClean, oldDirty],
  ]) {
    const r = evaluateVulnGate(order, { maxSeverity: 'high', now: soon });
    assert.equal(r.ok, true);
    assert.equal(r.summary, newClean);
  }
  const newDirty = scan('grype/python-debian.json', '2024-05-21T00:00:00Z');
  assert.equal(evaluateVulnGate([newClean, newDirty], { maxSeverity: 'high', now: soon }).ok, false);
});

test('no scans, scans without results and future-dated scans fail closed', () => {
  assert.deepEqual(evaluateVulnGate([], { maxSeverity: 'high', now: soon }), {
    ok: false,
    reasons: ['no verified vulnerability scan found'],
    violations: [],
  });
  const empty = summarizeVulns({ scanner: { uri: 'x', result: null }, metadata: { scanFinishedOn: '2024-05-24T00:00:00Z' } });
  assert.match(evaluateVulnGate([empty], { maxSeverity: 'critical', now: soon }).reasons[0], /carries no scanner result/);
  assert.equal(evaluateVulnGate([empty], { maxAgeMs: DAY * 2, now: soon }).ok, true);
  const future = scan('grype/alpine-one-high.json', '2024-06-30T00:00:00Z');
  assert.match(evaluateVulnGate([future], { maxAgeMs: DAY, now: soon }).reasons[0], /^newest scan is dated 36 days in the future/);
  const noTime = summarizeVulns({ scanner: { result: null }, metadata: {} });
  assert.match(evaluateVulnGate([noTime], { maxAgeMs: DAY, now: soon }).reasons[0], /no valid scanFinishedOn time/);
});

test('parseDuration', () => {
  assert.equal(parseDuration('14d'), 14 * DAY);
  assert.equal(parseDuration('36h'), 36 * 3_600_000);
  assert.equal(parseDuration('2w'), 14 * DAY);
  assert.equal(parseDuration('90m'), 90 * 60_000);
  assert.equal(parseDuration('1d12h'), 36 * 3_600_000);
  assert.equal(parseDuration(' 45s '), 45_000);
  for (const bad of ['', '14', 'd', '0d', '-1d', '1.5d', '14days', '1y', '1d 2h']) {
    assert.throws(
      () => parseDuration(bad),
      (e: unknown) => e instanceof SealError && e.kind === 'usage' && e.code === 'DURATION_INVALID',
      bad,
    );
  }
});

test('formatDurationShort and formatAge', () => {
  assert.equal(formatDurationShort(14 * DAY), '14d');
  assert.equal(formatDurationShort(36 * 3_600_000), '36h');
  assert.equal(formatDurationShort(90 * 60_000), '90m');
  assert.equal(formatDurationShort(45_000), '45s');
  assert.equal(formatAge(19.9 * DAY), '19 days');
  assert.equal(formatAge(DAY), '1 day');
  assert.equal(formatAge(3_600_000 * 5), '5 hours');
  assert.equal(formatAge(61_000), '1 minute');
  assert.equal(formatAge(500), '0 seconds');
});

test('parseMaxSeverity', () => {
  assert.equal(parseMaxSeverity('HIGH'), 'high');
  assert.equal(parseMaxSeverity('none'), 'none');
  assert.throws(
    () => parseMaxSeverity('severe'),
    (e: unknown) => e instanceof SealError && e.kind === 'usage' && /critical/.test(e.hint ?? ''),
  );
});
