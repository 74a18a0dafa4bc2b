import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CUSTOM_PREDICATE_TYPE, PREDICATE_ALIASES, aliasesFor, buildPredicate, resolvePredicateType } from '../../../src/attest/predicates.ts';
import { SealError } from '../../../src/errors.ts';
import { cosignFixture, localFixture } from './shared.ts';

const enc = new TextEncoder();
const now = new Date('2024-06-01T12:34:56.789Z');

test("the alias table is cosign's (d.1)", () => {
  assert.deepEqual(PREDICATE_ALIASES, {
    custom: 'https://cosign.sigstore.dev/attestation/v1',
    slsaprovenance: 'https://slsa.dev/provenance/v0.2',
    slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
    slsaprovenance1: 'https://slsa.dev/provenance/v1',
    link: 'https://in-toto.io/Link/v1',
    spdx: 'https://spdx.dev/Document',
    spdxjson: 'https://spdx.dev/Document',
    cyclonedx: 'https://cyclonedx.org/bom',
    vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
    openvex: 'https://openvex.dev/ns',
  });
  assert.deepEqual(aliasesFor('https://spdx.dev/Document'), ['spdx', 'spdxjson']);
});

test('any absolute URI is taken verbatim; anything else is a usage error listing the aliases', () => {
  assert.equal(resolvePredicateType('https://example.com/p/v1'), 'https://example.com/p/v1');
  assert.equal(resolvePredicateType('urn:example:predicate'), 'urn:example:predicate');
  for (const bad of ['cosign.sigstore.dev/attestation/v1', 'SLSAProvenance', '', 'https:', 'a b:c']) {
    assert.throws(
      () => resolvePredicateType(bad),
      (e: unknown) => e instanceof SealError && e.kind === 'usage' && /invalid predicate type/.test(e.message) && /slsaprovenance1/.test(e.hint ?? ''),
      bad,
    );
  }
});

test('custom wraps the file in {Data, Timestamp} with whole-second UTC time', () => {
  const built = buildPredicate('custom', enc.encode('{"passed": true}\n'), { now });
  assert.equal(built.predicateType, CUSTOM_PREDICATE_TYPE);
  assert.deepEqual(built.predicate, { Data: '{"passed": true}\n', Timestamp: '2024-06-01T12:34:56Z' });
  assert.deepEqual(Object.keys(built.predicate as object), ['Data', 'Timestamp']);
});

test('custom keeps non-JSON and replaces invalid UTF-8 like Go', () => {
  const built = buildPredicate('custom', new Uint8Array([0x61, 0xff, 0x62]), { now });
  assert.equal((built.predicate as { Data: string }).Data, 'a\ufffdb');
});

test('spdx carries tag-value text as a JSON string', () => {
  const bytes = cosignFixture('sbom/bom-go-mod.spdx');
  const built = buildPredicate('spdx', bytes, { now });
  assert.equal(built.predicateType, 'https://spdx.dev/Document');
  assert.equal(built.predicate, new TextDecoder().decode(bytes));
});

test('JSON types need a JSON object and say which file is wrong', () => {
  for (const type of ['spdxjson', 'cyclonedx', 'openvex', 'slsaprovenance', 'slsaprovenance02', 'https://example.com/x']) {
    assert.throws(
      () => buildPredicate(type, enc.encode('[1,2]'), { now, filename: 'pred.json' }),
      (e: unknown) => e instanceof SealError && e.message === 'predicate file pred.json is not a JSON object' && e.kind === 'input',
      type,
    );
    assert.throws(
      () => buildPredicate(type, enc.encode('{oops'), { now, filename: 'pred.json' }),
      (e: unknown) => e instanceof SealError && e.message === 'predicate file pred.json is not valid JSON',
      type,
    );
  }
  assert.deepEqual(buildPredicate('https://example.com/x', enc.encode('{"a":1}'), { now }).predicate, { a: 1 });
});

test('an empty predicate, and nothing on stdin for --predicate -, say so (qa)', () => {
  for (const type of ['vuln', 'spdxjson', 'https://example.com/x']) {
    assert.throws(
      () => buildPredicate(type, enc.encode(''), { now, filename: '-' }),
      (e: unknown) => e instanceof SealError && e.message === 'the predicate on stdin is empty' && e.kind === 'input',
      type,
    );
    assert.throws(
      () => buildPredicate(type, enc.encode(''), { now, filename: 'scan.json' }),
      (e: unknown) => e instanceof SealError && e.message === 'predicate file scan.json is empty',
      type,
    );
  }
});

test('SLSA predicates are kept as given, unknown fields included', () => {
  const doc = { builder: { id: 'b' }, buildType: 't', invocation: {}, extra: { n: 12345678901 }, 'x-vendor': true };
  const built = buildPredicate('slsaprovenance', enc.encode(JSON.stringify(doc)), { now });
  assert.equal(built.predicateType, 'https://slsa.dev/provenance/v0.2');
  assert.deepEqual(built.predicate, doc);
});

test('slsaprovenance1 renames runDetails.metadata.invocationID like cosign, in place', () => {
  const doc = { buildDefinition: {}, runDetails: { builder: { id: 'b' }, metadata: { invocationID: 'i-1', startedOn: 's' } } };
  const built = buildPredicate('slsaprovenance1', enc.encode(JSON.stringify(doc)), { now });
  const meta = (built.predicate as { runDetails: { metadata: Record<string, unknown> } }).runDetails.metadata;
  assert.deepEqual(Object.keys(meta), ['invocationId', 'startedOn']);
  assert.equal(meta.invocationId, 'i-1');
  const both = { runDetails: { metadata: { invocationID: 'old', invocationId: 'new' } } };
  assert.deepEqual(buildPredicate('slsaprovenance1', enc.encode(JSON.stringify(both)), { now }).predicate, both);
});

test('link needs every in-toto link field', () => {
  const link = { _type: 'link', name: 'build', materials: {}, products: {}, byproducts: {}, command: [], environment: {} };
  assert.deepEqual(buildPredicate('link', enc.encode(JSON.stringify(link)), { now }).predicate, link);
  const { byproducts: _b, environment: _e, ...partial } = link;
  assert.throws(
    () => buildPredicate('link', enc.encode(JSON.stringify(partial)), { now, filename: 'l.json' }),
    (e: unknown) => e instanceof SealError && e.message === 'predicate file l.json is not an in-toto link: missing byproducts, environment',
  );
});

test('vuln delegates to the vuln builder and reports the time source', () => {
  const built = buildPredicate('vuln', localFixture('grype/alpine-one-high.json'), { now });
  assert.equal(built.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
  assert.deepEqual(built.vuln, { timeSource: 'scan', input: 'grype', scanner: { name: 'grype', version: '0.92.2' }, findings: 2 });
});
