// The vulnerability gate: judge the newest verified scan of an image against a severity limit and a
// maximum age. Reasons are sentences a CI log can show as they are.
import { usageError } from '../errors.ts';
import { type Finding, type Severity, SEVERITY_RANK, describeFix } from './findings.ts';
import type { VulnSummary } from './vuln.ts';
import type { VexOutcome, VexSuppression } from '../vex/apply.ts';

export type MaxSeverity = 'none' | 'negligible' | 'low' | 'medium' | 'high' | 'critical';
export const MAX_SEVERITIES: readonly MaxSeverity[] = ['none', 'negligible', 'low', 'medium', 'high', 'critical'];

export interface GateOptions {
  /** Findings above this fail the gate; 'none' fails on any finding, unknown severity included. */
  maxSeverity?: MaxSeverity;
  /** The newest scan must have finished at most this long before `now`. */
  maxAgeMs?: number;
  /** Only findings with a fix available count (trivy's --ignore-unfixed). */
  ignoreUnfixed?: boolean;
  /** Trusted VEX statements: findings they cover as not_affected or fixed leave the gate. */
  vex?: (findings: readonly Finding[]) => VexOutcome;
  now: Date;
}

export interface GateResult {
  ok: boolean;
  /** scanFinishedOn of the scan that was judged. */
  scanTime?: Date;
  /** The scan that was judged. */
  summary?: VulnSummary;
  reasons: string[];
  /** Findings above the limit, most severe first. */
  violations: Finding[];
  /** Findings a trusted VEX statement took out of the gate (present when VEX was applied). */
  suppressed?: VexSuppression[];
  /** What the VEX statements did besides suppressing (for --verbose). */
  vexNotes?: string[];
}

/** Scans dated this far ahead of `now` are still taken as current (clock skew between machines). */
const FUTURE_SKEW_MS = 5 * 60_000;

/** Picks the newest scan by scanFinishedOn; scans without a readable time sort last. */
export function newestScan(summaries: readonly VulnSummary[]): VulnSummary | undefined {
  let best: VulnSummary | undefined;
  for (const s of summaries) {
    if (!best) best = s;
    else if ((s.scanFinishedAt?.getTime() ?? -Infinity) > (best.scanFinishedAt?.getTime() ?? -Infinity)) best = s;
  }
  return best;
}

/** True when a finding of this severity is above the limit. */
export function exceeds(severity: Severity, max: MaxSeverity): boolean {
  if (max === 'none') return true;
  return SEVERITY_RANK[severity] > SEVERITY_RANK[max];
}

export function evaluateVulnGate(summaries: readonly VulnSummary[], opts: GateOptions): GateResult {
  const summary = newestScan(summaries);
  if (!summary) {
    return { ok: false, reasons: ['no verified vulnerability scan found'], violations: [] };
  }
  const reasons: string[] = [];
  let violations: Finding[] = [];
  let vex: Pick<GateResult, 'suppressed' | 'vexNotes'> | undefined;
  const scanTime = summary.scanFinishedAt;

  if (opts.maxAgeMs !== undefined) {
    if (!scanTime) {
      reasons.push(`the newest scan has no valid scanFinishedOn time, so its age cannot be checked against --max-age ${formatDurationShort(opts.maxAgeMs)}`);
    } else {
      const age = opts.now.getTime() - scanTime.getTime();
      if (age > opts.maxAgeMs) {
        reasons.push(`newest scan is ${formatAge(age)} old, older than --max-age ${formatDurationShort(opts.maxAgeMs)}`);
      } else if (age < -FUTURE_SKEW_MS) {
        reasons.push(`newest scan is dated ${formatAge(-age)} in the future (${summary.scanFinishedOn}); its age cannot be trusted`);
      }
    }
  }

  if (opts.maxSeverity !== undefined) {
    const max = opts.maxSeverity;
    if (summary.result === 'none' || summary.result === 'unrecognized') {
      reasons.push(
        summary.result === 'none'
          ? `the newest scan carries no scanner result, so --max-severity ${max} cannot be checked`
          : `the newest scan's scanner result is not a grype or trivy report, so --max-severity ${max} cannot be checked`,
      );
    } else {
      let findings = summary.findings;
      if (opts.vex) {
        const outcome = opts.vex(findings);
        findings = outcome.kept;
        vex = { suppressed: outcome.suppressed, vexNotes: outcome.notes };
      }
      violations = findings.filter((f) => exceeds(f.severity, max) && (!opts.ignoreUnfixed || f.fixState === 'fixed'));
      for (const f of violations) {
        reasons.push(`${f.id} (${f.severity}, ${f.package} ${f.version}, ${describeFix(f)}) is above --max-severity ${max}`);
      }
    }
  }
  const result: GateResult = { ok: reasons.length === 0, summary, reasons, violations, ...vex };
  if (scanTime) result.scanTime = scanTime;
  return result;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** '90m', '36h', '14d', '2w', '1d12h' → milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = /^(?:\d+[smhdw])+$/.test(trimmed) ? [...trimmed.matchAll(/(\d+)([smhdw])/g)] : [];
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit], 0);
  if (parts.length === 0 || !Number.isSafeInteger(ms) || ms <= 0) {
    throw usageError(`invalid duration ${JSON.stringify(text)}`, {
      code: 'DURATION_INVALID',
      hint: 'use a positive number and a unit: 90m, 36h, 14d, 2w',
    });
  }
  return ms;
}

/** The shortest exact spelling: 14d, 36h, 90m, 45s (2w is shown as 14d). */
export function formatDurationShort(ms: number): string {
  for (const [unit, size] of [
    ['d', UNITS.d],
    ['h', UNITS.h],
    ['m', UNITS.m],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** Human age, whole units rounded down: "19 days", "5 hours", "1 minute", "30 seconds". */
export function formatAge(ms: number): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms >= UNITS.d) return plural(Math.floor(ms / UNITS.d), 'day');
  if (ms >= UNITS.h) return plural(Math.floor(ms / UNITS.h), 'hour');
  if (ms >= UNITS.m) return plural(Math.floor(ms / UNITS.m), 'minute');
  return plural(Math.max(0, Math.floor(ms / 1000)), 'second');
}

/** Validates a --max-severity value. */
export function parseMaxSeverity(text: string): MaxSeverity {
  const value = text.trim().toLowerCase();
  if ((MAX_SEVERITIES as readonly string[]).includes(value)) return value as MaxSeverity;
  throw usageError(`invalid severity ${JSON.stringify(text)}`, {
    code: 'SEVERITY_INVALID',
    hint: `use one of ${MAX_SEVERITIES.join(', ')}`,
  });
}
