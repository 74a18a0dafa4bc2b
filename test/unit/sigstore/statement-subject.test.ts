import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SealError } from '../../../src/errors.ts';
import { IN_TOTO_PAYLOAD_TYPE } from '../../../src/attest/statement.ts';
import { checkStatementSubject } from '../../../src/sigstore/statement-subject.ts';

const testDir = fileURLToPath(new URL('../../', import.meta.url));
const dsseDir = `${testDir}fixtures/cosign/dsse/`;
const BLOB = '658781cd4ed9bca60dacd09f7bb914bb51502e8b5d619f57f39a1d652596cc24';

const payloadOf = (file: string): Buffer => Buffer.from(JSON.parse(readFileSync(dsseDir + file, 'utf8')).payload, 'base64');
const rejects = (re: RegExp) => (err: unknown) => err instanceof SealError && err.kind === 'verification' && re.test(err.message);
const stmt = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('checkStatementSubject', () => {
  it('follows the cosign DSSE claim vectors', () => {
    checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('blob-slsa-provenance.dsse.json'), BLOB);
    checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('blob-slsa-provenance.dsse.json'), BLOB.toUpperCase());
    checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('dsse-predicate-multiple-subjects.dsse.json'), BLOB);
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('dsse-predicate-empty-subject.dsse.json'), BLOB), rejects(/no subjects/));
    assert.throws(
      () => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('dsse-predicate-missing-sha256.dsse.json'), BLOB),
      rejects(/not a subject .*no sha256 subject digests/),
    );
    assert.throws(
      () => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('dsse-predicate-multiple-subjects-invalid.dsse.json'), BLOB),
      rejects(/is not a subject of the attestation/),
    );
    assert.throws(
      () => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, payloadOf('blob-slsa-provenance.dsse.json'), '0'.repeat(64)),
      rejects(/sha256:0{64} is not a subject/),
    );
  });

  it('rejects null subjects, non-statements and other payload types', () => {
    const ok = { _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: BLOB } }] };
    checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, stmt(ok), BLOB);
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, stmt({ ...ok, subject: [null] }), BLOB), rejects(/null or non-object subject/));
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, stmt({ ...ok, _type: 'x' }), BLOB), rejects(/not an in-toto statement/));
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, stmt({ subject: ok.subject }), BLOB), rejects(/not an in-toto statement/));
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{'), BLOB), rejects(/not JSON/));
    assert.throws(() => checkStatementSubject(IN_TOTO_PAYLOAD_TYPE, stmt([ok]), BLOB), rejects(/not a JSON object/));
    assert.throws(() => checkStatementSubject('text/plain', stmt(ok), BLOB), rejects(/"text\/plain" is not an in-toto statement/));
  });
});
