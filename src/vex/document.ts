// OpenVEX documents (https://openvex.dev/ns/v0.2.0): parsing and validation. The rules are those
// of the OpenVEX 0.2.0 JSON schema (openvex/spec openvex_json_schema.json, CC0; a copy is in
// test/fixtures/openvex/, and test/unit/vex/schema.test.ts checks these lists against it) plus the
// specification's own MUSTs that the schema cannot say: every timestamp is RFC 3339, and a
// statement needs a timestamp (its own or the document's).
import { inputError, type SealError } from '../errors.ts';
import { isObject, parseRfc3339 } from '../scan/findings.ts';

/** cosign's `--type openvex` predicate type; vexctl writes https://openvex.dev/ns/v0.2.0. */
export const OPENVEX_PREDICATE_TYPE = 'https://openvex.dev/ns';
export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

export const isOpenVexPredicateType = (t: string | undefined): boolean =>
  t === OPENVEX_PREDICATE_TYPE || (t !== undefined && t.startsWith(`${OPENVEX_PREDICATE_TYPE}/`));

export const STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;
export type VexStatus = (typeof STATUSES)[number];

export const JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof JUSTIFICATIONS)[number];

export const HASH_NAMES = [
  'md5',
  'sha1',
  'sha-256',
  'sha-384',
  'sha-512',
  'sha3-224',
  'sha3-256',
  'sha3-384',
  'sha3-512',
  'blake2s-256',
  'blake2b-256',
  'blake2b-512',
] as const;
export const IDENTIFIER_TYPES = ['purl', 'cpe22', 'cpe23'] as const;

export const DOCUMENT_FIELDS = ['@context', '@id', 'author', 'role', 'timestamp', 'last_updated', 'version', 'tooling', 'statements'] as const;
export const DOCUMENT_REQUIRED = ['@context', '@id', 'author', 'timestamp', 'version', 'statements'] as const;
export const STATEMENT_FIELDS = [
  '@id',
  'version',
  'vulnerability',
  'timestamp',
  'last_updated',
  'products',
  'status',
  'supplier',
  'status_notes',
  'justification',
  'impact_statement',
  'action_statement',
  'action_statement_timestamp',
] as const;
export const VULNERABILITY_FIELDS = ['@id', 'name', 'description', 'aliases'] as const;
export const COMPONENT_FIELDS = ['@id', 'identifiers', 'hashes', 'subcomponents'] as const;
export const SUBCOMPONENT_FIELDS = ['@id', 'identifiers', 'hashes'] as const;

export interface VexComponent {
  '@id'?: string;
  identifiers?: Partial<Record<(typeof IDENTIFIER_TYPES)[number], string>>;
  hashes?: Partial<Record<(typeof HASH_NAMES)[number], string>>;
  subcomponents?: VexComponent[];
}

export interface VexVulnerability {
  '@id'?: string;
  name: string;
  description?: string;
  aliases?: string[];
}

export interface VexStatement {
  '@id'?: string;
  version?: number;
  vulnerability: VexVulnerability;
  timestamp?: string;
  last_updated?: string;
  products?: VexComponent[];
  status: VexStatus;
  supplier?: string;
  status_notes?: string;
  justification?: VexJustification;
  impact_statement?: string;
  action_statement?: string;
  action_statement_timestamp?: string;
}

export interface VexDocument {
  '@context': string;
  '@id': string;
  author: string;
  role?: string;
  timestamp: string;
  last_updated?: string;
  version: number;
  tooling?: string;
  statements: VexStatement[];
}

class Checker {
  private readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  fail(path: string, message: string): SealError {
    return inputError(`${this.name}: ${path ? `${path}: ` : ''}${message}`, {
      code: 'VEX_INVALID',
      hint: 'see https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md (OpenVEX 0.2.0)',
    });
  }
  object(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
    if (!isObject(v)) throw this.fail(path, 'must be a JSON object');
    const extra = Object.keys(v).filter((k) => !allowed.includes(k));
    if (extra.length) throw this.fail(path, `unknown field ${JSON.stringify(extra[0])} (allowed: ${allowed.join(', ')})`);
    return v;
  }
  string(v: unknown, path: string, opts: { required?: boolean; nonEmpty?: boolean } = {}): void {
    if (v === undefined) {
      if (opts.required) throw this.fail(path, 'is required');
      return;
    }
    if (typeof v !== 'string') throw this.fail(path, 'must be a string');
    if (opts.nonEmpty && v.trim() === '') throw this.fail(path, 'must not be empty');
  }
  time(v: unknown, path: string, required = false): void {
    this.string(v, path, { required });
    if (v !== undefined && !parseRfc3339(v)) throw this.fail(path, `${JSON.stringify(v)} is not an RFC 3339 date-time`);
  }
  integer(v: unknown, path: string, required = false): void {
    if (v === undefined) {
      if (required) throw this.fail(path, 'is required');
      return;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw this.fail(path, 'must be an integer of at least 1');
  }
  unique(list: unknown[], path: string): void {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const key = canonical(item);
      if (seen.has(key)) throw this.fail(`${path}[${i}]`, 'repeats an earlier entry (items must be unique)');
      seen.add(key);
    });
  }
}

/** JSON with sorted keys, for the schema's uniqueItems (which compares values, not spellings). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

function checkComponent(c: Checker, v: unknown, path: string, sub: boolean): void {
  const comp = c.object(v, path, sub ? SUBCOMPONENT_FIELDS : COMPONENT_FIELDS);
  c.string(comp['@id'], `${path}.@id`, { nonEmpty: true });
  if (comp.identifiers !== undefined) {
    const ids = c.object(comp.identifiers, `${path}.identifiers`, IDENTIFIER_TYPES);
    for (const k of IDENTIFIER_TYPES) c.string(ids[k], `${path}.identifiers.${k}`, { nonEmpty: true });
    if (Object.keys(ids).length === 0) throw c.fail(`${path}.identifiers`, 'needs at least one of purl, cpe22, cpe23');
  }
  if (comp.hashes !== undefined) {
    const hashes = c.object(comp.hashes, `${path}.hashes`, HASH_NAMES);
    for (const k of HASH_NAMES) c.string(hashes[k], `${path}.hashes.${k}`, { nonEmpty: true });
  }
  if (comp['@id'] === undefined && comp.identifiers === undefined) {
    throw c.fail(path, 'needs an @id or identifiers to say which software it is');
  }
  if (!sub && comp.subcomponents !== undefined) {
    if (!Array.isArray(comp.subcomponents)) throw c.fail(`${path}.subcomponents`, 'must be an array');
    comp.subcomponents.forEach((s, i) => checkComponent(c, s, `${path}.subcomponents[${i}]`, true));
    c.unique(comp.subcomponents, `${path}.subcomponents`);
  }
}

function checkStatement(c: Checker, v: unknown, path: string, docHasTime: boolean): void {
  const s = c.object(v, path, STATEMENT_FIELDS);
  c.string(s['@id'], `${path}.@id`, { nonEmpty: true });
  c.integer(s.version, `${path}.version`);
  const vuln = c.object(s.vulnerability ?? missing(c, `${path}.vulnerability`), `${path}.vulnerability`, VULNERABILITY_FIELDS);
  c.string(vuln.name, `${path}.vulnerability.name`, { required: true, nonEmpty: true });
  c.string(vuln['@id'], `${path}.vulnerability.@id`);
  c.string(vuln.description, `${path}.vulnerability.description`);
  if (vuln.aliases !== undefined) {
    if (!Array.isArray(vuln.aliases)) throw c.fail(`${path}.vulnerability.aliases`, 'must be an array of strings');
    vuln.aliases.forEach((a, i) => c.string(a, `${path}.vulnerability.aliases[${i}]`, { nonEmpty: true }));
    c.unique(vuln.aliases, `${path}.vulnerability.aliases`);
  }
  c.time(s.timestamp, `${path}.timestamp`);
  c.time(s.last_updated, `${path}.last_updated`);
  c.time(s.action_statement_timestamp, `${path}.action_statement_timestamp`);
  if (s.timestamp === undefined && !docHasTime) throw c.fail(`${path}.timestamp`, 'is required when the document has no timestamp');
  if (s.products !== undefined) {
    if (!Array.isArray(s.products)) throw c.fail(`${path}.products`, 'must be an array');
    s.products.forEach((p, i) => checkComponent(c, p, `${path}.products[${i}]`, false));
    c.unique(s.products, `${path}.products`);
  }
  for (const k of ['supplier', 'status_notes', 'impact_statement', 'action_statement'] as const) c.string(s[k], `${path}.${k}`);
  if (s.status === undefined) throw c.fail(`${path}.status`, 'is required');
  if (!(STATUSES as readonly unknown[]).includes(s.status)) {
    throw c.fail(`${path}.status`, `${JSON.stringify(s.status)} is not one of ${STATUSES.join(', ')}`);
  }
  if (s.justification !== undefined && !(JUSTIFICATIONS as readonly unknown[]).includes(s.justification)) {
    throw c.fail(`${path}.justification`, `${JSON.stringify(s.justification)} is not one of ${JUSTIFICATIONS.join(', ')}`);
  }
  if (s.status === 'not_affected' && s.justification === undefined && s.impact_statement === undefined) {
    throw c.fail(path, 'status not_affected needs a justification (or an impact_statement) saying why');
  }
  if (s.status === 'affected' && s.action_statement === undefined) {
    throw c.fail(path, 'status affected needs an action_statement saying what to do');
  }
}

function missing(c: Checker, path: string): never {
  throw c.fail(path, 'is required');
}

/** Validates an OpenVEX 0.2 document; throws an input error naming the first bad field. */
export function validateVexDocument(value: unknown, name = 'OpenVEX document'): VexDocument {
  const c = new Checker(name);
  const doc = c.object(value, '', DOCUMENT_FIELDS);
  for (const k of DOCUMENT_REQUIRED) if (doc[k] === undefined) throw c.fail(k, 'is required');
  c.string(doc['@context'], '@context', { nonEmpty: true });
  if (!String(doc['@context']).startsWith(OPENVEX_PREDICATE_TYPE)) {
    throw c.fail('@context', `${JSON.stringify(doc['@context'])} is not an OpenVEX context (${OPENVEX_CONTEXT})`);
  }
  c.string(doc['@id'], '@id', { nonEmpty: true });
  c.string(doc.author, 'author', { nonEmpty: true });
  c.string(doc.role, 'role');
  c.string(doc.tooling, 'tooling');
  c.time(doc.timestamp, 'timestamp', true);
  c.time(doc.last_updated, 'last_updated');
  c.integer(doc.version, 'version', true);
  if (!Array.isArray(doc.statements) || doc.statements.length === 0) throw c.fail('statements', 'must be a non-empty array');
  doc.statements.forEach((s, i) => checkStatement(c, s, `statements[${i}]`, doc.timestamp !== undefined));
  c.unique(doc.statements, 'statements');
  return doc as unknown as VexDocument;
}

/** Parses bytes or text and validates them as an OpenVEX document. */
export function parseVexDocument(input: Uint8Array | string, name = 'OpenVEX document'): VexDocument {
  let value: unknown;
  try {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    value = JSON.parse(text);
  } catch (err) {
    throw inputError(`${name} is not valid JSON`, { cause: err, code: 'VEX_NOT_JSON' });
  }
  return validateVexDocument(value, name);
}

/** The time a statement speaks for: its own timestamp, else the document's (spec: Inheritance). */
export function statementTime(doc: VexDocument, s: VexStatement): Date {
  return parseRfc3339(s.timestamp ?? doc.timestamp)!;
}
