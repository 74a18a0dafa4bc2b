// in-toto Statements (in-toto/attestation spec/v1/statement.md; docs/formats/cosign-formats.md d.1, b.6). Building
// fixes the key order cosign uses, because the serialised bytes are what gets signed; parsing
// validates one rule at a time (attestation go/v1/statement.go) so each failure has its own code.
import { SealError, type ErrorKind } from '../errors.ts';

/** The DSSE payload type of an in-toto statement (the one constant for it). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export const STATEMENT_V01 = 'https://in-toto.io/Statement/v0.1';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

export interface Subject {
  name?: string;
  /** Algorithm → lowercase hex, e.g. `{ sha256: "…" }`. */
  digest: Record<string, string>;
  annotations?: Record<string, unknown>;
}

export interface Statement {
  _type: string;
  subject: Subject[];
  predicateType: string;
  predicate?: unknown;
}

export interface BuildStatementOptions {
  subject: Subject[];
  predicateType: string;
  predicate: unknown;
  /**
   * 'legacy': what `cosign attest` writes to `.att` (Go encoding/json): `_type` v0.1, keys
   * `_type, predicateType, subject, predicate`; a string predicate (SPDX tag-value) comes out with
   * alphabetical keys as cosign's map marshalling does.
   * 'bundle': protojson order `_type, subject, predicateType, predicate`, `_type` v1.
   */
  format: 'legacy' | 'bundle';
  /** Overrides `_type` (cosign 3 puts v0.1 statements into bundles). */
  statementType?: string;
}

const encoder = new TextEncoder();
const HEX64 = /^[0-9a-f]{64}$/;

/** The subject cosign attaches for an image: `{name: registry/repo, digest: {sha256}}`. */
export function imageSubject(repository: string, digest: string): Subject {
  return { name: repository, digest: { sha256: sha256Hex(digest) } };
}

/** `sha256:<hex>` or bare hex → lowercase hex; anything else is an input error. */
export function sha256Hex(digest: string): string {
  const hex = (digest.startsWith('sha256:') ? digest.slice(7) : digest).toLowerCase();
  if (!HEX64.test(hex)) {
    throw new SealError('input', `not a sha256 digest: ${digest}`, { code: 'DIGEST_INVALID' });
  }
  return hex;
}

function orderedSubject(s: Subject): Subject {
  const out: Subject = {} as Subject;
  if (s.name !== undefined) out.name = s.name;
  out.digest = s.digest;
  if (s.annotations !== undefined) out.annotations = s.annotations;
  return out;
}

/** Builds a statement and the exact bytes to sign. */
export function buildStatement(opts: BuildStatementOptions): { statement: Statement; bytes: Uint8Array } {
  const subject = opts.subject.map(orderedSubject);
  let statement: Statement;
  if (opts.format === 'legacy') {
    const _type = opts.statementType ?? STATEMENT_V01;
    statement =
      typeof opts.predicate === 'string'
        ? ({ _type, predicate: opts.predicate, predicateType: opts.predicateType, subject } as Statement)
        : { _type, predicateType: opts.predicateType, subject, predicate: opts.predicate };
  } else {
    const _type = opts.statementType ?? STATEMENT_V1;
    statement = { _type, subject, predicateType: opts.predicateType, predicate: opts.predicate };
  }
  validateStatement(statement, 'input');
  return { statement, bytes: encoder.encode(JSON.stringify(statement)) };
}

function invalid(kind: ErrorKind, code: string, message: string, cause?: unknown): SealError {
  return new SealError(kind, `invalid in-toto statement: ${message}`, { code, cause });
}

/**
 * Parses statement bytes (normally the verified DSSE payload). `kind` is the error kind to raise:
 * 'input' for a file the user gave, 'verification' for signed content that turns out unusable.
 */
export function parseStatement(bytes: Uint8Array | string, kind: ErrorKind = 'input'): Statement {
  let value: unknown;
  try {
    const text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(kind, 'STATEMENT_NOT_JSON', 'not JSON', err);
  }
  return validateStatement(value, kind);
}

/** Checks the statement rules one by one; returns the value typed as a Statement. */
export function validateStatement(value: unknown, kind: ErrorKind = 'input'): Statement {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(kind, 'STATEMENT_NOT_OBJECT', 'expected a JSON object');
  }
  const s = value as Record<string, unknown>;
  if (s._type !== STATEMENT_V01 && s._type !== STATEMENT_V1) {
    throw invalid(kind, 'STATEMENT_TYPE', `_type must be ${STATEMENT_V1} or ${STATEMENT_V01}, got ${JSON.stringify(s._type ?? null)}`);
  }
  if (!Array.isArray(s.subject) || s.subject.length === 0) {
    throw invalid(kind, 'SUBJECT_REQUIRED', 'subject must be a non-empty array');
  }
  s.subject.forEach((entry: unknown, i: number) => {
    if (entry === null) throw invalid(kind, 'SUBJECT_NULL', `null subject entry (subject[${i}])`);
    if (typeof entry !== 'object' || Array.isArray(entry)) {
      throw invalid(kind, 'SUBJECT_INVALID', `subject[${i}] must be an object`);
    }
    const digest = (entry as Record<string, unknown>).digest;
    if (typeof digest !== 'object' || digest === null || Array.isArray(digest) || Object.keys(digest).length === 0) {
      throw invalid(kind, 'DIGEST_REQUIRED', `subject[${i}] has no digest`);
    }
    for (const [alg, hex] of Object.entries(digest)) {
      if (typeof hex !== 'string') throw invalid(kind, 'DIGEST_INVALID', `subject[${i}].digest.${alg} must be a string`);
    }
  });
  if (typeof s.predicateType !== 'string' || s.predicateType === '') {
    throw invalid(kind, 'PREDICATE_TYPE_REQUIRED', 'predicateType is required');
  }
  return s as unknown as Statement;
}

/** The subjects whose `digest.sha256` equals the given digest (hex or `sha256:hex`, any case). */
export function matchingSubjects(statement: Statement, want: { sha256: string }): Subject[] {
  const hex = (want.sha256.startsWith('sha256:') ? want.sha256.slice(7) : want.sha256).toLowerCase();
  if (!HEX64.test(hex)) return [];
  return statement.subject.filter((s) => typeof s?.digest?.sha256 === 'string' && s.digest.sha256.toLowerCase() === hex);
}

/** cosign's IntotoSubjectClaimVerifier: some subject carries this sha256. */
export function subjectMatches(statement: Statement, want: { sha256: string }): boolean {
  return matchingSubjects(statement, want).length > 0;
}

/**
 * The claim check after DSSE verification: parse the verified payload and require a subject with
 * this sha256 (cosign's IntotoSubjectClaimVerifier). Failures are verification errors.
 */
export function checkSubjectClaim(payload: Uint8Array, want: { sha256: string }): Statement {
  const statement = parseStatement(payload, 'verification');
  if (!subjectMatches(statement, want)) {
    const hex = want.sha256.startsWith('sha256:') ? want.sha256.slice(7) : want.sha256;
    const found = statement.subject.map((s) => s.digest?.sha256).filter(Boolean);
    throw new SealError('verification', `the attestation is not about sha256:${hex}`, {
      code: 'SUBJECT_MISMATCH',
      hint: found.length ? `its subjects are ${found.map((h) => `sha256:${h}`).join(', ')}` : 'its subjects carry no sha256 digest',
    });
  }
  return statement;
}
