import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  STATEMENT_V01,
  STATEMENT_V1,
  buildStatement,
  checkSubjectClaim,
  imageSubject,
  matchingSubjects,
  parseStatement,
  subjectMatches,
  validateStatement,
} from '../../../src/attest/statement.ts';
import { decodeEnvelopePayload, parseEnvelope } from '../../../src/attest/dsse.ts';
import { SealError } from '../../../src/errors.ts';
import { cosignFixture } from './shared.ts';

const dec = new TextDecoder();
const HEX = 'a'.repeat(64);
const code = (c: string) => (err: unknown) => err instanceof SealError && err.code === c;

test('legacy statements use v0.1 and cosign attest key order', () => {
  const { bytes, statement } = buildStatement({
    subject: [imageSubject('registry.example.com/team/app', `sha256:${HEX}`)],
    predicateType: 'https://slsa.dev/provenance/v0.2',
    predicate: { builder: { id: 'x' } },
    format: 'legacy',
  });
  assert.equal(
    dec.decode(bytes),
    `{"_type":"${STATEMENT_V01}","predicateType":"https://slsa.dev/provenance/v0.2","subject":[{"name":"registry.example.com/team/app","digest":{"sha256":"${HEX}"}}],"predicate":{"builder":{"id":"x"}}}`,
  );
  assert.equal(statement._type, STATEMENT_V01);
});

test('legacy statements with a string predicate (SPDX tag-value) have alphabetical keys like cosign', () => {
  const { bytes } = buildStatement({
    subject: [imageSubject('r/a', HEX)],
    predicateType: 'https://spdx.dev/Document',
    predicate: 'SPDXVersion: SPDX-2.2\n',
    format: 'legacy',
  });
  assert.deepEqual(Object.keys(JSON.parse(dec.decode(bytes))), ['_type', 'predicate', 'predicateType', 'subject']);
});

test('bundle statements use v1 and protojson order; _type can be overridden', () => {
  const subject = [{ digest: { sha256: HEX }, annotations: {} }];
  const v1 = buildStatement({ subject, predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {}, format: 'bundle' });
  assert.equal(
    dec.decode(v1.bytes),
    `{"_type":"${STATEMENT_V1}","subject":[{"digest":{"sha256":"${HEX}"},"annotations":{}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`,
  );
  const v01 = buildStatement({ subject, predicateType: 'x:y', predicate: {}, format: 'bundle', statementType: STATEMENT_V01 });
  assert.deepEqual(Object.keys(v01.statement), ['_type', 'subject', 'predicateType', 'predicate']);
  assert.equal(v01.statement._type, STATEMENT_V01);
});

test('subject key order is name, digest, annotations whatever the input order', () => {
  const { bytes } = buildStatement({
    subject: [{ annotations: { a: 'b' }, digest: { sha256: HEX }, name: 'n' }],
    predicateType: 'x:y',
    predicate: {},
    format: 'bundle',
  });
  assert.match(dec.decode(bytes), /"subject":\[\{"name":"n","digest":\{"sha256":"a+"\},"annotations":\{"a":"b"\}\}\]/);
});

test('imageSubject rejects what is not a sha256 digest', () => {
  assert.throws(() => imageSubject('r/a', 'sha256:abc'), code('DIGEST_INVALID'));
  assert.throws(() => imageSubject('r/a', `sha512:${HEX}`), code('DIGEST_INVALID'));
  assert.equal(imageSubject('r/a', HEX.toUpperCase()).digest.sha256, HEX);
});

test('validateStatement: one error code per rule', () => {
  const ok = { _type: STATEMENT_V1, subject: [{ digest: { sha256: HEX } }], predicateType: 'x:y', predicate: {} };
  const cases: [unknown, string][] = [
    ['str', 'STATEMENT_NOT_OBJECT'],
    [[], 'STATEMENT_NOT_OBJECT'],
    [{ ...ok, _type: 'https://in-toto.io/Statement/v2' }, 'STATEMENT_TYPE'],
    [{ ...ok, _type: undefined }, 'STATEMENT_TYPE'],
    [{ ...ok, subject: [] }, 'SUBJECT_REQUIRED'],
    [{ ...ok, subject: undefined }, 'SUBJECT_REQUIRED'],
    [{ ...ok, subject: {} }, 'SUBJECT_REQUIRED'],
    [{ ...ok, subject: [null] }, 'SUBJECT_NULL'],
    [{ ...ok, subject: ['x'] }, 'SUBJECT_INVALID'],
    [{ ...ok, subject: [{ name: 'a' }] }, 'DIGEST_REQUIRED'],
    [{ ...ok, subject: [{ digest: {} }] }, 'DIGEST_REQUIRED'],
    [{ ...ok, subject: [{ digest: { sha256: 1 } }] }, 'DIGEST_INVALID'],
    [{ ...ok, predicateType: undefined }, 'PREDICATE_TYPE_REQUIRED'],
    [{ ...ok, predicateType: '' }, 'PREDICATE_TYPE_REQUIRED'],
  ];
  for (const [value, expected] of cases) {
    assert.throws(() => validateStatement(value), code(expected), JSON.stringify(value));
  }
  assert.equal(validateStatement(ok), ok);
  assert.ok(validateStatement({ ...ok, _type: STATEMENT_V01, predicate: undefined }));
});

test('parseStatement reports non-JSON and uses the requested error kind', () => {
  assert.throws(() => parseStatement('{'), code('STATEMENT_NOT_JSON'));
  assert.throws(() => parseStatement(new Uint8Array([0xff])), code('STATEMENT_NOT_JSON'));
  assert.throws(
    () => parseStatement('{}', 'verification'),
    (e: unknown) => e instanceof SealError && e.kind === 'verification',
  );
});

test('subjectMatches compares sha256 case-insensitively, with or without the prefix', () => {
  const st = validateStatement({
    _type: STATEMENT_V1,
    subject: [
      { name: 'a', digest: { sha512: HEX } },
      { name: 'b', digest: { sha256: HEX.toUpperCase() } },
    ],
    predicateType: 'x:y',
  });
  assert.ok(subjectMatches(st, { sha256: HEX }));
  assert.ok(subjectMatches(st, { sha256: `sha256:${HEX}` }));
  assert.deepEqual(
    matchingSubjects(st, { sha256: HEX }).map((s) => s.name),
    ['b'],
  );
  assert.equal(subjectMatches(st, { sha256: 'b'.repeat(64) }), false);
  assert.equal(subjectMatches(st, { sha256: '' }), false);
});

// The cosign DSSE fixtures, through the claim check (blob sha256 from the fixture README).
const BLOB = '658781cd4ed9bca60dacd09f7bb914bb51502e8b5d619f57f39a1d652596cc24';

function claimPasses(file: string, sha256: string): boolean {
  try {
    checkSubjectClaim(decodeEnvelopePayload(parseEnvelope(cosignFixture(file))), { sha256 });
    return true;
  } catch (err) {
    assert.ok(err instanceof SealError, String(err));
    return false;
  }
}

test('the blob digest in the README is the fixture blob', () => {
  assert.equal(createHash('sha256').update(cosignFixture('dsse/blob-some-payload.txt')).digest('hex'), BLOB);
});

test('dsse fixtures: subject check outcomes from the fixture README', () => {
  const another = createHash('sha256').update(cosignFixture('dsse/blob-another-blob.txt')).digest('hex');
  assert.equal(claimPasses('dsse/blob-slsa-provenance.dsse.json', BLOB), true);
  assert.equal(claimPasses('dsse/blob-slsa-provenance.dsse.json', another), false);
  assert.equal(claimPasses('dsse/dsse-predicate-empty-subject.dsse.json', BLOB), false);
  assert.equal(claimPasses('dsse/dsse-predicate-missing-sha256.dsse.json', BLOB), false);
  assert.equal(claimPasses('dsse/dsse-predicate-multiple-subjects.dsse.json', BLOB), true);
  assert.equal(claimPasses('dsse/dsse-predicate-multiple-subjects-invalid.dsse.json', BLOB), false);
});

test('dsse fixtures fail for the right reason', () => {
  const payload = (f: string) => decodeEnvelopePayload(parseEnvelope(cosignFixture(f)));
  assert.throws(() => checkSubjectClaim(payload('dsse/dsse-predicate-empty-subject.dsse.json'), { sha256: BLOB }), code('SUBJECT_REQUIRED'));
  assert.throws(() => checkSubjectClaim(payload('dsse/dsse-predicate-missing-sha256.dsse.json'), { sha256: BLOB }), code('DIGEST_REQUIRED'));
  assert.throws(
    () => checkSubjectClaim(payload('dsse/dsse-predicate-multiple-subjects-invalid.dsse.json'), { sha256: BLOB }),
    (e: unknown) => e instanceof SealError && e.code === 'SUBJECT_MISMATCH' && e.kind === 'verification' && /sha256:a6823f9c/.test(e.hint ?? ''),
  );
});

test('claim-verifier vectors give their listed outcomes', () => {
  const valid = '6c6fd6a4115c6e998ff357cd914680931bb9a6c1a7cd5f5cb2f5e1c0932ab6ed';
  const spdx = '9925d3017788558fa8f27e8bb160b791e56202b60c91fbcc5c867de3175986c8';
  const dir = 'dsse/claim-verifier';
  assert.equal(claimPasses(`${dir}/valid-intoto-statement.json`, valid), true);
  assert.equal(claimPasses(`${dir}/valid-intoto-statement.json`, ''), false);
  assert.equal(claimPasses(`${dir}/valid-intoto-statement.json`, spdx), false);
  assert.equal(claimPasses(`${dir}/valid-intoto-statement-string-predicate.json`, spdx), true);
  assert.equal(claimPasses(`${dir}/valid-intoto-statement-missing-subject.json`, valid), false);
  assert.equal(claimPasses(`${dir}/invalid-intoto-statement-bad-encoding.json`, valid), false);
  assert.equal(claimPasses(`${dir}/intoto-statement-null-subject.json`, valid), false);
  assert.throws(
    () => checkSubjectClaim(decodeEnvelopePayload(parseEnvelope(cosignFixture(`${dir}/intoto-statement-null-subject.json`))), { sha256: valid }),
    (e: unknown) => e instanceof SealError && e.message === 'invalid in-toto statement: null subject entry (subject[0])',
  );
  const spdxStatement = parseStatement(decodeEnvelopePayload(parseEnvelope(cosignFixture(`${dir}/valid-intoto-statement-string-predicate.json`))));
  assert.equal(typeof spdxStatement.predicate, 'string');
});
