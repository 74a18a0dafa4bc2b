// The scanner-neutral shape of a vulnerability finding, shared by the grype and trivy readers, the
// gate, the policy engine and the report. Severities and fix states follow grype's vocabulary.

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FIX_STATES = ['fixed', 'not-fixed', 'wont-fix', 'unknown'] as const;
export type FixState = (typeof FIX_STATES)[number];

export interface Finding {
  /** CVE-…, GHSA-…, ALAS-…: the scanner's primary id. */
  id: string;
  severity: Severity;
  package: string;
  version: string;
  /** Package type in grype's words: deb, apk, rpm, python, npm, go-module, java-archive, … */
  type: string;
  /** Versions that fix it, when the scanner knows them. */
  fixedIn?: string[];
  fixState: FixState;
  /** Other ids for the same issue (grype relatedVulnerabilities), e.g. the CVE behind a GHSA. */
  aliases?: string[];
  purl?: string;
}

/**
 * Ranks for comparisons. `unknown` ranks below `negligible`, as in grype's --fail-on: a finding the
 * scanner could not rate only fails a gate whose limit is `none`.
 */
export const SEVERITY_RANK: Record<Severity, number> = {
  unknown: 0,
  negligible: 1,
  low: 2,
  medium: 3,
  high: 4,
  critical: 5,
};

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'critical',
  high: 'high',
  important: 'high', // Red Hat
  medium: 'medium',
  moderate: 'medium', // Red Hat, GHSA
  low: 'low',
  negligible: 'negligible',
  minimal: 'negligible',
  unknown: 'unknown',
};

export function normalizeSeverity(value: unknown): Severity {
  if (typeof value !== 'string') return 'unknown';
  return SEVERITY_WORDS[value.trim().toLowerCase()] ?? 'unknown';
}

/** RFC 3339 date-time (what Go's time.Time accepts); fractional seconds of any length. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time; undefined when the text is not one. JS Dates keep milliseconds only. */
export function parseRfc3339(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const frac = m[7] ? m[7].slice(0, 4).padEnd(4, '0') : '';
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac}${m[8].toUpperCase()}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2024-02-31 over to March; RFC 3339 does not.
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) {
    return undefined;
  }
  const daysInMonth = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  return new Date(ms);
}

/** RFC 3339 in UTC with whole seconds, as cosign writes times. */
export function formatRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type FindingCounts = Record<Severity, Record<FixState, number>>;

export function emptyCounts(): FindingCounts {
  const out = {} as FindingCounts;
  for (const s of SEVERITIES) out[s] = { fixed: 0, 'not-fixed': 0, 'wont-fix': 0, unknown: 0 };
  return out;
}

/**
 * Merges findings that name the same id in the same package version (grype reports one match per
 * matcher or location; trivy one per target). Fix versions are unioned.
 */
export function dedupeFindings(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.id}\u0000${f.type}\u0000${f.package}\u0000${f.version}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...f, fixedIn: f.fixedIn ? [...f.fixedIn] : undefined });
      continue;
    }
    if (f.fixedIn?.length) {
      seen.fixedIn = [...new Set([...(seen.fixedIn ?? []), ...f.fixedIn])];
      if (seen.fixState !== 'fixed') seen.fixState = 'fixed';
    }
    if (SEVERITY_RANK[f.severity] > SEVERITY_RANK[seen.severity]) seen.severity = f.severity;
  }
  return [...byKey.values()].map((f) => {
    if (!f.fixedIn) delete f.fixedIn;
    return f;
  });
}

/** Most severe first, then by id, package and version, so output is stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || cmp(a.id, b.id) || cmp(a.package, b.package) || cmp(a.version, b.version);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** "openssl 3.0.2" plus the fix: "fixed in 3.0.7", "no fix available", "won't fix". */
export function describeFix(f: Finding): string {
  if (f.fixedIn?.length) return `fixed in ${f.fixedIn.join(', ')}`;
  if (f.fixState === 'wont-fix') return "won't fix";
  if (f.fixState === 'not-fixed') return 'no fix available';
  return 'fix status unknown';
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
