// @sigstore/verify checks a DSSE signature but not what it is about: binding the envelope to
// the artifact is the caller's job, done here by finding the artifact's digest among the in-toto
// statement's subjects. Subjects may be sha256, sha384 or sha512 (npm provenance names its
// tarball by sha512). in-toto Statement v1: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
import { IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import { SealError } from '../errors.ts';

/** The subject digest algorithms seal can compute an artifact's digest in. */
export const SUBJECT_ALGORITHMS = ['sha256', 'sha384', 'sha512'] as const;
export type SubjectAlgorithm = (typeof SUBJECT_ALGORITHMS)[number];

/** The artifact's digests, hex by algorithm; a bare string is a sha256. */
export type ArtifactDigests = string | Partial<Record<SubjectAlgorithm, string>>;

/**
 * Throws a verification error unless one of the statement's subjects names the artifact: a
 * subject digest equal to the artifact's digest in the same algorithm.
 */
export function checkStatementSubject(payloadType: string, payload: Uint8Array, artifact: ArtifactDigests): void {
  const subject = statementSubjects(payloadType, payload);
  const want = Object.entries(typeof artifact === 'string' ? { sha256: artifact } : artifact)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([alg, hex]) => [alg, hex.toLowerCase()] as const);
  const seen: string[] = [];
  for (const s of subject) {
    const digest = (s as { digest?: Record<string, unknown> }).digest ?? {};
    for (const [alg, hex] of want) {
      const got = digest[alg];
      if (typeof got !== 'string') continue;
      if (got.toLowerCase() === hex) return;
      seen.push(`${alg}:${got}`);
    }
  }
  const algs = want.map(([alg]) => alg).join('/');
  const listed = seen.length === 0 ? `no ${algs} subject digests` : `subjects ${seen.slice(0, 3).join(', ')}${seen.length > 3 ? ', …' : ''}`;
  const [alg, hex] = want[0] ?? ['sha256', ''];
  throw fail(`artifact digest ${alg}:${hex} is not a subject of the attestation (${listed})`, 'SUBJECT_MISMATCH');
}

/**
 * The digest algorithms seal supports that the statement's subjects use, strongest first; the
 * payload is parsed leniently (it is only used to decide which digests of a file to compute).
 */
export function subjectAlgorithms(payload: Uint8Array): SubjectAlgorithm[] {
  let statement: unknown;
  try {
    statement = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return [];
  }
  const subjects = (statement as { subject?: unknown } | null)?.subject;
  if (!Array.isArray(subjects)) return [];
  const found = new Set<SubjectAlgorithm>();
  for (const s of subjects) {
    const digest = (s as { digest?: unknown } | null)?.digest;
    if (typeof digest !== 'object' || digest === null) continue;
    for (const alg of SUBJECT_ALGORITHMS) if (typeof (digest as Record<string, unknown>)[alg] === 'string') found.add(alg);
  }
  return [...SUBJECT_ALGORITHMS].reverse().filter((a) => found.has(a));
}

function statementSubjects(payloadType: string, payload: Uint8Array): unknown[] {
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
  for (const s of subject) {
    if (typeof s !== 'object' || s === null) throw fail('the in-toto statement has a null or non-object subject entry');
  }
  return subject;
}

const fail = (message: string, code = 'STATEMENT_INVALID'): SealError => new SealError('verification', message, { code });
