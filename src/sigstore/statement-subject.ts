// @sigstore/verify checks a DSSE signature but not what it is about: binding the envelope to
// the artifact is the caller's job, done here by finding the artifact's sha256 among the in-toto
// statement's subjects. in-toto Statement v1: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
import { SealError } from '../errors.ts';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Throws a verification error unless `sha256Hex` is the sha256 of one of the statement's subjects. */
export function checkStatementSubject(payloadType: string, payload: Uint8Array, sha256Hex: string): void {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw fail(`DSSE payload type ${JSON.stringify(payloadType)} is not an in-toto statement, so it cannot name the artifact`);
  }
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw fail('the in-toto statement in the DSSE envelope is not JSON');
  }
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
    throw fail('the in-toto statement is not a JSON object');
  }
  const { _type: type, subject } = statement as { _type?: unknown; subject?: unknown };
  if (typeof type !== 'string' || !type.startsWith('https://in-toto.io/Statement/')) {
    throw fail(`the DSSE payload is not an in-toto statement (_type ${JSON.stringify(type ?? null)})`);
  }
  if (!Array.isArray(subject) || subject.length === 0) throw fail('the in-toto statement has no subjects');
  const want = sha256Hex.toLowerCase();
  const seen: string[] = [];
  for (const s of subject) {
    if (typeof s !== 'object' || s === null) throw fail('the in-toto statement has a null or non-object subject entry');
    const got = (s as { digest?: { sha256?: unknown } }).digest?.sha256;
    if (typeof got !== 'string') continue;
    if (got.toLowerCase() === want) return;
    seen.push(`sha256:${got}`);
  }
  const listed = seen.length === 0 ? 'no sha256 subject digests' : `subjects ${seen.slice(0, 3).join(', ')}${seen.length > 3 ? ', …' : ''}`;
  throw fail(`artifact digest sha256:${want} is not a subject of the attestation (${listed})`, 'SUBJECT_MISMATCH');
}

const fail = (message: string, code = 'STATEMENT_INVALID'): SealError => new SealError('verification', message, { code });
