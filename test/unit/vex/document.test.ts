// OpenVEX parsing and validation against the 0.2.0 schema's rules, on real documents from the
// OpenVEX project (go-vex test data) and grype's test data, plus broken variants of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  COMPONENT_FIELDS,
  DOCUMENT_FIELDS,
  DOCUMENT_REQUIRED,
  HASH_NAMES,
  IDENTIFIER_TYPES,
  JUSTIFICATIONS,
  STATEMENT_FIELDS,
  STATUSES,
  SUBCOMPONENT_FIELDS,
  VULNERABILITY_FIELDS,
  isOpenVexPredicateType,
  parseVexDocument,
  statementTime,
  validateVexDocument,
} from '../../../src/vex/document.ts';
import { isSealError } from '../../../src/errors.ts';

const dir = new URL('../../fixtures/openvex/', import.meta.url).pathname;
const read = (p: string) => readFileSync(dir + p);
const json = (p: string) => JSON.parse(read(p).toString()) as Record<string, any>;

const refuses = (value: unknown, pattern: RegExp) =>
  assert.throws(
    () => validateVexDocument(value, 'doc.json'),
    (err: unknown) => {
      assert.ok(isSealError(err, 'input'), String(err));
      assert.match((err as Error).message, pattern);
      return true;
    },
  );

test('the encoded rules are the vendored OpenVEX 0.2.0 schema’s', () => {
  const schema = json('spec/openvex_json_schema.json');
  const stmt = schema.properties.statements.items;
  assert.equal(schema.$id, 'https://github.com/openvex/spec/openvex_json_schema_0.2.0.json');
  assert.deepEqual([...DOCUMENT_FIELDS].sort(), Object.keys(schema.properties).sort());
  assert.deepEqual([...DOCUMENT_REQUIRED].sort(), [...schema.required].sort());
  assert.deepEqual([...STATEMENT_FIELDS].sort(), Object.keys(stmt.properties).sort());
  assert.deepEqual([...STATUSES], stmt.properties.status.enum);
  assert.deepEqual([...JUSTIFICATIONS], stmt.properties.justification.enum);
  assert.deepEqual([...VULNERABILITY_FIELDS].sort(), Object.keys(schema.$defs.vulnerability.properties).sort());
  assert.deepEqual([...COMPONENT_FIELDS].sort(), Object.keys(schema.$defs.component.properties).sort());
  assert.deepEqual([...SUBCOMPONENT_FIELDS].sort(), Object.keys(schema.$defs.subcomponent.properties).sort());
  assert.deepEqual([...HASH_NAMES].sort(), Object.keys(schema.$defs.hashes.properties).sort());
  assert.deepEqual([...IDENTIFIER_TYPES].sort(), Object.keys(schema.$defs.identifiers.properties).sort());
  // The two conditional rules: not_affected needs justification or impact_statement; affected needs action_statement.
  assert.deepEqual(stmt.allOf[0].then.anyOf, [{ required: ['justification'] }, { required: ['impact_statement'] }]);
  assert.deepEqual(stmt.allOf[1].then.required, ['action_statement']);
});

test('real documents that follow the schema parse', () => {
  for (const f of [
    'go-vex/v0.2.0.json',
    'grype/openvex-demo1.json',
    'grype/openvex-demo2.json',
    'grype/openvex-debian.json',
    'grype/openvex-image-no-subcomponents.json',
    'grype/openvex-package-product.json',
    'grype/under_investigation.openvex.json',
  ]) {
    const doc = parseVexDocument(read(f), f);
    assert.ok(doc.statements.length > 0, f);
  }
  const demo2 = parseVexDocument(read('grype/openvex-demo2.json'));
  assert.deepEqual(
    demo2.statements.map((s) => s.status),
    ['fixed', 'fixed', 'fixed', 'not_affected', 'not_affected'],
  );
});

test('real documents that break the schema are refused, naming the field', () => {
  // go-vex loads these two, but the 0.2.0 schema requires a document timestamp and version.
  assert.throws(() => parseVexDocument(read('go-vex/v020-1.vex.json'), 'v020-1'), /v020-1: timestamp: is required/);
  assert.throws(() => parseVexDocument(read('go-vex/v020-2.vex.json'), 'v020-2'), /timestamp: is required/);
  // grype's "affected" document has no action_statement, which the schema demands for affected.
  assert.throws(() => parseVexDocument(read('grype/affected.openvex.json'), 'affected'), /statements\[0\]: status affected needs an action_statement/);
});

test('not_affected without a justification or impact statement is refused', () => {
  const doc = json('grype/openvex-demo2.json');
  delete doc.statements[3].justification;
  assert.doesNotThrow(() => validateVexDocument(structuredClone(doc))); // impact_statement alone is enough
  delete doc.statements[3].impact_statement;
  refuses(doc, /doc.json: statements\[3\]: status not_affected needs a justification/);
});

test('malformed documents are refused with one line', () => {
  const base = () => json('grype/openvex-demo1.json');
  assert.throws(() => parseVexDocument('{"@context": ', 'x.json'), /x.json is not valid JSON/);
  assert.throws(() => parseVexDocument(new Uint8Array([0xff, 0xfe]), 'x.json'), /not valid JSON/);
  refuses([], /must be a JSON object/);
  refuses({ ...base(), '@context': 'https://example.com/ns' }, /@context: .* is not an OpenVEX context/);
  refuses({ ...base(), extra: 1 }, /unknown field "extra"/);
  refuses({ ...base(), version: 0 }, /version: must be an integer of at least 1/);
  refuses({ ...base(), version: '1' }, /version: must be an integer/);
  refuses({ ...base(), timestamp: 'yesterday' }, /timestamp: "yesterday" is not an RFC 3339 date-time/);
  refuses({ ...base(), statements: [] }, /statements: must be a non-empty array/);
  const d1 = base();
  d1.statements[0].status = 'maybe';
  refuses(d1, /statements\[0\].status: "maybe" is not one of not_affected, affected, fixed, under_investigation/);
  const d2 = base();
  d2.statements[0].justification = 'trust_me';
  refuses(d2, /statements\[0\].justification: "trust_me" is not one of/);
  const d3 = base();
  delete d3.statements[0].vulnerability.name;
  refuses(d3, /statements\[0\].vulnerability.name: is required/);
  const d4 = base();
  d4.statements[0].products[0] = { hashes: { 'sha-256': 'ab' } };
  refuses(d4, /statements\[0\].products\[0\]: needs an @id or identifiers/);
  const d5 = base();
  d5.statements[0].products[0].identifiers = {};
  refuses(d5, /identifiers: needs at least one of purl, cpe22, cpe23/);
  const d6 = base();
  d6.statements.push(structuredClone(d6.statements[0]));
  refuses(d6, /statements\[1\]: repeats an earlier entry/);
  const d7 = base();
  d7.statements[0].vulnerability.aliases = ['GHSA-x', 'GHSA-x'];
  refuses(d7, /aliases\[1\]: repeats/);
  const d8 = base();
  d8.statements[0].products[0].hashes = { sha256: 'abc' };
  refuses(d8, /hashes: unknown field "sha256"/);
});

test('statements inherit the document timestamp unless they carry their own', () => {
  const doc = parseVexDocument(read('grype/under_investigation.openvex.json'));
  assert.equal(statementTime(doc, doc.statements[0]).toISOString(), '2023-07-17T00:28:47.696Z');
  const demo = parseVexDocument(read('grype/openvex-demo1.json'));
  assert.equal(statementTime(demo, demo.statements[0]).toISOString(), '2023-07-18T00:28:47.696Z');
});

test('predicate types: cosign’s and vexctl’s spellings', () => {
  assert.ok(isOpenVexPredicateType('https://openvex.dev/ns'));
  assert.ok(isOpenVexPredicateType('https://openvex.dev/ns/v0.2.0'));
  assert.ok(!isOpenVexPredicateType('https://openvex.dev/nsx'));
  assert.ok(!isOpenVexPredicateType(undefined));
});
