// seal's declarative attestation policy (docs/policy.md): rules that name a predicate type and the
// conditions verified statements of that type must meet. A small, closed vocabulary instead of
// CUE/Rego: unknown fields are errors, because a misspelt condition must never pass silently.
import { parse as parseYaml } from 'yaml';
import { SealError, flattenControls, isSealError } from '../errors.ts';
import { type Severity, SEVERITIES, isObject, parseRfc3339 } from './findings.ts';
import { formatAge, formatDurationShort, newestScan, parseDuration } from './gate.ts';
import { resolvePredicateType } from '../attest/predicates.ts';
import type { Statement } from '../attest/statement.ts';
import { VULN_PREDICATE_TYPE, type VulnSummary, summarizeVulns } from './vuln.ts';

export type CountKey = Severity | 'total';
const COUNT_KEYS: readonly CountKey[] = [...SEVERITIES, 'total'];

export type PathSegment = string | number;

export interface Requirement {
  /** As written, e.g. `predicate.builder.id`. */
  path: string;
  segments: PathSegment[];
  equals?: unknown;
  /** Whole-value match (the pattern is anchored). */
  matches?: RegExp;
  /** The pattern as written, for messages. */
  pattern?: string;
  oneOf?: unknown[];
  exists?: boolean;
}

export interface PolicyRule {
  name: string;
  description?: string;
  /** Resolved URIs; a statement of any of them satisfies the rule's "presence" part. */
  predicateTypes: string[];
  maxCount?: Partial<Record<CountKey, number>>;
  ignoreUnfixed: boolean;
  maxAgeMs?: number;
  require: Requirement[];
}

export interface Policy {
  /** The file name it was loaded from, for messages. */
  source: string;
  rules: PolicyRule[];
}

export interface RuleResult {
  rule: string;
  ok: boolean;
  message: string;
}

export interface PolicyResult {
  ok: boolean;
  results: RuleResult[];
}

const TOP_FIELDS = ['version', 'name', 'description', 'rules'];
const RULE_FIELDS = ['name', 'description', 'predicateType', 'maxCount', 'ignoreUnfixed', 'maxAge', 'require'];
const REQUIRE_FIELDS = ['path', 'equals', 'matches', 'oneOf', 'exists'];
const CONDITIONS = ['equals', 'matches', 'oneOf', 'exists'];

class PolicyInvalid extends Error {}

function fail(where: string, message: string): never {
  throw new PolicyInvalid(where ? `${where}: ${message}` : message);
}

function checkFields(where: string, value: Record<string, unknown>, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) fail(where, `unknown field ${JSON.stringify(key)} (expected ${allowed.join(', ')})`);
  }
}

/** Loads and validates a policy from JSON (`.json`) or YAML (anything else). */
export function loadPolicy(text: string, filename: string): Policy {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(filename) ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    // The parser's first line; JSON.parse quotes the raw input, so control characters (a CR) are flattened.
    const first = flattenControls(String((err as Error).message ?? err).split('\n')[0]!);
    throw new SealError('input', `${filename}: not valid ${/\.json$/i.test(filename) ? 'JSON' : 'YAML'}: ${first}`, {
      code: 'POLICY_INVALID',
      cause: err,
    });
  }
  try {
    return { source: filename, rules: validatePolicy(doc) };
  } catch (err) {
    if (err instanceof PolicyInvalid) {
      throw new SealError('input', `${filename}: ${err.message}`, {
        code: 'POLICY_INVALID',
        hint: 'see docs/policy.md for the policy format',
      });
    }
    throw err;
  }
}

function validatePolicy(doc: unknown): PolicyRule[] {
  if (!isObject(doc)) fail('', 'a policy must be a mapping with a "rules" list');
  checkFields('', doc, TOP_FIELDS);
  if (doc.version !== undefined && doc.version !== 1) fail('version', 'must be 1');
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) fail('rules', 'must be a non-empty list');
  const names = new Set<string>();
  return doc.rules.map((raw: unknown, i: number) => {
    const rule = validateRule(raw, `rules[${i}]`);
    if (names.has(rule.name)) fail(`rules[${i}].name`, `duplicate rule name ${JSON.stringify(rule.name)}`);
    names.add(rule.name);
    return rule;
  });
}

function validateRule(raw: unknown, where: string): PolicyRule {
  if (!isObject(raw)) fail(where, 'must be a mapping');
  checkFields(where, raw, RULE_FIELDS);
  const typeValues = typeof raw.predicateType === 'string' ? [raw.predicateType] : raw.predicateType;
  if (!Array.isArray(typeValues) || typeValues.length === 0 || !typeValues.every((t) => typeof t === 'string')) {
    fail(`${where}.predicateType`, 'is required: a type keyword (vuln, slsaprovenance1, spdxjson, …), a URI, or a list of them');
  }
  const predicateTypes = [
    ...new Set(
      (typeValues as string[]).map((t) => {
        try {
          return resolvePredicateType(t);
        } catch (err) {
          if (isSealError(err)) fail(`${where}.predicateType`, `${err.message}; ${err.hint ?? ''}`.replace(/; $/, ''));
          throw err;
        }
      }),
    ),
  ];
  if (raw.name !== undefined && (typeof raw.name !== 'string' || raw.name === '')) fail(`${where}.name`, 'must be a non-empty string');
  if (raw.description !== undefined && typeof raw.description !== 'string') fail(`${where}.description`, 'must be a string');
  const rule: PolicyRule = {
    name: (raw.name as string | undefined) ?? `${where} (${typeValues.join(', ')})`,
    predicateTypes,
    ignoreUnfixed: false,
    require: [],
  };
  if (raw.description !== undefined) rule.description = raw.description as string;
  const onlyVuln = predicateTypes.length === 1 && predicateTypes[0] === VULN_PREDICATE_TYPE;
  if (raw.maxCount !== undefined) {
    if (!onlyVuln) fail(`${where}.maxCount`, 'applies only to predicateType vuln');
    if (!isObject(raw.maxCount) || Object.keys(raw.maxCount).length === 0) {
      fail(`${where}.maxCount`, `must map severities to limits, e.g. {critical: 0, high: 5} (keys: ${COUNT_KEYS.join(', ')})`);
    }
    checkFields(`${where}.maxCount`, raw.maxCount, [...COUNT_KEYS]);
    for (const [k, v] of Object.entries(raw.maxCount)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) fail(`${where}.maxCount.${k}`, 'must be a non-negative integer');
    }
    rule.maxCount = raw.maxCount as Partial<Record<CountKey, number>>;
  }
  if (raw.ignoreUnfixed !== undefined) {
    if (typeof raw.ignoreUnfixed !== 'boolean') fail(`${where}.ignoreUnfixed`, 'must be true or false');
    if (raw.maxCount === undefined) fail(`${where}.ignoreUnfixed`, 'only makes sense with maxCount');
    rule.ignoreUnfixed = raw.ignoreUnfixed;
  }
  if (raw.maxAge !== undefined) {
    if (typeof raw.maxAge !== 'string') fail(`${where}.maxAge`, 'must be a duration such as 14d, 36h, 2w');
    try {
      rule.maxAgeMs = parseDuration(raw.maxAge);
    } catch {
      fail(`${where}.maxAge`, `invalid duration ${JSON.stringify(raw.maxAge)} (use 90m, 36h, 14d, 2w)`);
    }
  }
  if (raw.require !== undefined) {
    if (!Array.isArray(raw.require)) fail(`${where}.require`, 'must be a list of {path, equals|matches|oneOf|exists}');
    rule.require = raw.require.map((r: unknown, j: number) => validateRequirement(r, `${where}.require[${j}]`));
  }
  return rule;
}

function validateRequirement(raw: unknown, where: string): Requirement {
  if (!isObject(raw)) fail(where, 'must be a mapping with path and one of equals, matches, oneOf, exists');
  checkFields(where, raw, REQUIRE_FIELDS);
  if (typeof raw.path !== 'string' || raw.path === '') fail(`${where}.path`, 'is required');
  const segments = parsePath(raw.path);
  if (!segments) fail(`${where}.path`, `cannot read ${JSON.stringify(raw.path)}; write it like predicate.builder.id or predicate.invocation["builder.id"]`);
  const given = CONDITIONS.filter((c) => raw[c] !== undefined);
  if (given.length !== 1) fail(where, `give exactly one of ${CONDITIONS.join(', ')}`);
  const req: Requirement = { path: raw.path, segments };
  if (raw.equals !== undefined) req.equals = raw.equals;
  if (raw.matches !== undefined) {
    if (typeof raw.matches !== 'string') fail(`${where}.matches`, 'must be a regular expression string');
    try {
      req.matches = new RegExp(`^(?:${raw.matches})$`, 'u');
      req.pattern = raw.matches;
    } catch (err) {
      fail(`${where}.matches`, `invalid regular expression: ${(err as Error).message}`);
    }
  }
  if (raw.oneOf !== undefined) {
    if (!Array.isArray(raw.oneOf) || raw.oneOf.length === 0) fail(`${where}.oneOf`, 'must be a non-empty list');
    req.oneOf = raw.oneOf;
  }
  if (raw.exists !== undefined) {
    if (typeof raw.exists !== 'boolean') fail(`${where}.exists`, 'must be true or false');
    req.exists = raw.exists;
  }
  return req;
}

/** `a.b[0]["c.d"]` → ['a', 'b', 0, 'c.d']; undefined when it does not parse. */
export function parsePath(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  const re = /\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\['([^']*)'\]/y;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    const m = re.exec(path);
    if (!m || (pos === 0 && m[0].startsWith('.'))) return undefined;
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(`"${m[3]}"`) as string);
    else segments.push(m[4]);
    pos = re.lastIndex;
  }
  return segments.length ? segments : undefined;
}

/** Reads a path through own properties only (no prototype walking). */
export function readPath(value: unknown, segments: readonly PathSegment[]): { found: boolean; value?: unknown } {
  let cur: unknown = value;
  for (const seg of segments) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return { found: false };
      cur = cur[seg];
    } else {
      if (!isObject(cur) || !Object.hasOwn(cur, seg)) return { found: false };
      cur = cur[seg];
    }
  }
  return { found: true, value: cur };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
};

function checkRequirement(statement: Statement, req: Requirement): string | undefined {
  const got = readPath(statement, req.segments);
  if (req.exists !== undefined) {
    if (got.found && got.value !== null && req.exists === false) return `${req.path} is present but must be absent`;
    if ((!got.found || got.value === null) && req.exists) return `${req.path} is missing`;
    return undefined;
  }
  if (!got.found) return `${req.path} is missing`;
  if (req.equals !== undefined && !deepEqual(got.value, req.equals)) {
    return `${req.path} is ${show(got.value)}, expected ${show(req.equals)}`;
  }
  if (req.matches) {
    if (typeof got.value !== 'string') return `${req.path} is ${show(got.value)}, not a string to match`;
    if (!req.matches.test(got.value)) return `${req.path} is ${show(got.value)}, which does not match ${req.pattern}`;
  }
  if (req.oneOf && !req.oneOf.some((v) => deepEqual(got.value, v))) {
    return `${req.path} is ${show(got.value)}, not one of ${show(req.oneOf)}`;
  }
  return undefined;
}

/**
 * When an attestation says its content was produced, by predicate type: scan finish, build finish,
 * SBOM creation, custom Timestamp. Used by maxAge.
 */
export function statementTime(statement: Statement): { at?: Date; field?: string } {
  const candidates: string[] = [
    'predicate.metadata.scanFinishedOn', // vuln
    'predicate.runDetails.metadata.finishedOn', // SLSA v1
    'predicate.metadata.buildFinishedOn', // SLSA v0.2
    'predicate.creationInfo.created', // SPDX JSON
    'predicate.metadata.timestamp', // CycloneDX
    'predicate.timestamp', // OpenVEX
    'predicate.Timestamp', // cosign custom
  ];
  for (const path of candidates) {
    const got = readPath(statement, parsePath(path)!);
    if (got.found && typeof got.value === 'string') return { at: parseRfc3339(got.value), field: path };
  }
  return {};
}

function countFailures(rule: PolicyRule, summary: VulnSummary): string[] {
  if (!rule.maxCount) return [];
  if (summary.result === 'none' || summary.result === 'unrecognized') {
    return [`the scan has ${summary.result === 'none' ? 'no' : 'an unreadable'} scanner result, so maxCount cannot be checked`];
  }
  const findings = rule.ignoreUnfixed ? summary.findings.filter((f) => f.fixState === 'fixed') : summary.findings;
  const out: string[] = [];
  for (const key of COUNT_KEYS) {
    const limit = rule.maxCount[key];
    if (limit === undefined) continue;
    const hits = key === 'total' ? findings : findings.filter((f) => f.severity === key);
    if (hits.length > limit) {
      const ids = [...new Set(hits.map((f) => f.id))];
      const listed = ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
      const label = key === 'total' ? 'total' : key;
      out.push(
        `${label}: ${hits.length} finding${hits.length === 1 ? '' : 's'}${rule.ignoreUnfixed ? ' with a fix' : ''} (${listed}), more than the allowed ${limit}`,
      );
    }
  }
  return out;
}

function ageFailure(rule: PolicyRule, statement: Statement, now: Date): string | undefined {
  if (rule.maxAgeMs === undefined) return undefined;
  const { at, field } = statementTime(statement);
  const limit = formatDurationShort(rule.maxAgeMs);
  if (!at)
    return field
      ? `${field} is not an RFC 3339 time, so maxAge ${limit} cannot be checked`
      : `the attestation carries no time to check maxAge ${limit} against`;
  const age = now.getTime() - at.getTime();
  if (age > rule.maxAgeMs) return `${field!.replace(/^predicate\./, '')} is ${formatAge(age)} old, older than maxAge ${limit}`;
  if (age < -5 * 60_000) return `${field!.replace(/^predicate\./, '')} is ${formatAge(-age)} in the future`;
  return undefined;
}

function describeVuln(summary: VulnSummary, rule: PolicyRule): string {
  const scanner = [summary.scanner.name, summary.scanner.version].filter(Boolean).join(' ');
  const counts = rule.maxCount
    ? COUNT_KEYS.filter((k) => rule.maxCount![k] !== undefined)
        .map((k) => {
          const pool = rule.ignoreUnfixed ? summary.findings.filter((f) => f.fixState === 'fixed') : summary.findings;
          const n = k === 'total' ? pool.length : pool.filter((f) => f.severity === k).length;
          return `${k} ${n}/${rule.maxCount![k]}`;
        })
        .join(', ')
    : `${summary.total} findings`;
  return `newest scan (${scanner || 'unknown scanner'}, ${summary.scanFinishedOn ?? 'no time'}) is within limits: ${counts}`;
}

/** Evaluates each rule against the verified statements; the policy passes when every rule does. */
export function evaluatePolicy(policy: Policy, given: readonly Statement[], opts: { now: Date }): PolicyResult {
  // Callers pass verified, validated statements; anything else (a null, a statement without a
  // predicate type) cannot satisfy a rule and must not crash the evaluation (fuzz: policies).
  const statements = given.filter(
    (s): s is Statement => typeof s === 'object' && s !== null && typeof (s as { predicateType?: unknown }).predicateType === 'string',
  );
  const results = policy.rules.map((rule): RuleResult => {
    const matching = statements.filter((s) => rule.predicateTypes.includes(s.predicateType));
    if (matching.length === 0) {
      const found = [...new Set(statements.map((s) => s.predicateType))];
      return {
        rule: rule.name,
        ok: false,
        message: `no verified attestation of type ${rule.predicateTypes.join(' or ')}${found.length ? ` (found: ${found.join(', ')})` : ''}`,
      };
    }
    const isVuln = rule.predicateTypes.includes(VULN_PREDICATE_TYPE) && rule.predicateTypes.length === 1;
    // For scans only the newest counts: an old clean scan must not hide a newer dirty one.
    let candidates: { statement: Statement; summary?: VulnSummary }[];
    if (isVuln) {
      const summaries = matching.map((statement) => ({ statement, summary: safeSummary(statement) }));
      const newest = newestScan(summaries.map((s) => s.summary));
      candidates = summaries.filter((s) => s.summary === newest);
    } else {
      candidates = matching.map((statement) => ({ statement }));
    }
    let firstFailures: string[] | undefined;
    for (const { statement, summary } of candidates) {
      const failures: string[] = [];
      if (summary) failures.push(...countFailures(rule, summary));
      const age = ageFailure(rule, statement, opts.now);
      if (age) failures.push(age);
      for (const req of rule.require) {
        const why = checkRequirement(statement, req);
        if (why) failures.push(why);
      }
      if (failures.length === 0) {
        const message = summary
          ? describeVuln(summary, rule)
          : rule.require.length || rule.maxAgeMs !== undefined
            ? `a verified ${statement.predicateType} attestation meets ${rule.require.length + (rule.maxAgeMs === undefined ? 0 : 1)} condition(s)`
            : `found ${matching.length} verified ${statement.predicateType} attestation${matching.length === 1 ? '' : 's'}`;
        return { rule: rule.name, ok: true, message };
      }
      firstFailures ??= failures;
    }
    const prefix = candidates.length > 1 ? `none of ${candidates.length} attestations passes; first: ` : '';
    return { rule: rule.name, ok: false, message: prefix + firstFailures!.join('; ') };
  });
  return { ok: results.every((r) => r.ok), results };
}

function safeSummary(statement: Statement): VulnSummary {
  try {
    return summarizeVulns(statement.predicate);
  } catch {
    return summarizeVulns({ scanner: {}, metadata: {} });
  }
}
