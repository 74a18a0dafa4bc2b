// The report's data model: one entry per image, built from the newest verified scan summary. The
// same object feeds the fixed formats and user templates (docs/report.md lists every field).
import { type Finding, type Severity, SEVERITIES } from '../scan/findings.ts';
import type { GateResult } from '../scan/gate.ts';
import type { VulnSummary } from '../scan/vuln.ts';
import type { VexSuppression } from '../vex/apply.ts';

export interface ReportInput {
  /** The image as the user named it. */
  image: string;
  digest?: string;
  /** The newest verified scan; absent when none was found or verification failed. */
  summary?: VulnSummary;
  /** Why there is no summary (one line). */
  error?: string;
  /** Set when a gate was applied to this image. */
  gate?: Pick<GateResult, 'ok' | 'reasons'>;
  /** Findings trusted OpenVEX statements took out (the summary's findings no longer hold them). */
  suppressed?: VexSuppression[];
}

/** A finding a VEX statement suppressed, flattened for tables and templates. */
export interface ReportSuppressed {
  id: string;
  severity: Severity;
  package: string;
  version: string;
  status: string;
  justification: string;
  author: string;
  timestamp: string;
  source: string;
}

export interface ReportImage {
  image: string;
  digest: string;
  scanned: boolean;
  error: string;
  scanner: string;
  scannerName: string;
  scannerVersion: string;
  scanStartedOn: string;
  scanFinishedOn: string;
  /** Milliseconds between scanFinishedOn and the report time; null when unknown. */
  ageMs: number | null;
  /** Short age: "3d", "5h", "12m", "40s"; "" when unknown. (Not `age`: that name is the template helper.) */
  scanAge: string;
  counts: Record<Severity, number>;
  fixed: number;
  notFixed: number;
  total: number;
  findings: Finding[];
  /** Findings taken out by trusted OpenVEX statements (not counted above). */
  suppressed: number;
  suppressedFindings: ReportSuppressed[];
  gate: { ok: boolean; reasons: string[] } | null;
}

export interface ReportTotals {
  images: number;
  scanned: number;
  unscanned: number;
  counts: Record<Severity, number>;
  fixed: number;
  notFixed: number;
  total: number;
  suppressed: number;
  gateFailed: number;
}

export interface ReportModel {
  generatedAt: string;
  images: ReportImage[];
  totals: ReportTotals;
}

const zeroCounts = (): Record<Severity, number> => Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;

/** "3d", "5h", "12m", "40s"; whole units rounded down. Negative (future) ages read "future". */
export function shortAge(ms: number): string {
  if (ms < 0) return 'future';
  if (ms >= 86_400_000) return `${Math.floor(ms / 86_400_000)}d`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)}h`;
  if (ms >= 60_000) return `${Math.floor(ms / 60_000)}m`;
  return `${Math.floor(ms / 1000)}s`;
}

export function buildReportModel(rows: readonly ReportInput[], opts: { now: Date }): ReportModel {
  const totals: ReportTotals = {
    images: rows.length,
    scanned: 0,
    unscanned: 0,
    counts: zeroCounts(),
    fixed: 0,
    notFixed: 0,
    total: 0,
    suppressed: 0,
    gateFailed: 0,
  };
  const images = rows.map((row): ReportImage => {
    const s = row.summary;
    const counts = zeroCounts();
    let fixed = 0;
    if (s) {
      for (const sev of SEVERITIES) counts[sev] = s.bySeverity[sev];
      fixed = s.byFixState.fixed;
    }
    const ageMs = s?.scanFinishedAt ? opts.now.getTime() - s.scanFinishedAt.getTime() : null;
    const image: ReportImage = {
      image: row.image,
      digest: row.digest ?? s?.target.digest ?? '',
      scanned: Boolean(s),
      error: s ? '' : (row.error ?? 'no verified vulnerability scan'),
      scanner: s ? [s.scanner.name, s.scanner.version].filter(Boolean).join(' ') : '',
      scannerName: s?.scanner.name ?? '',
      scannerVersion: s?.scanner.version ?? '',
      scanStartedOn: s?.scanStartedOn ?? '',
      scanFinishedOn: s?.scanFinishedOn ?? '',
      ageMs,
      scanAge: ageMs === null ? '' : shortAge(ageMs),
      counts,
      fixed,
      notFixed: s ? s.total - fixed : 0,
      total: s?.total ?? 0,
      findings: s?.findings ?? [],
      suppressed: row.suppressed?.length ?? 0,
      suppressedFindings: (row.suppressed ?? []).map((x) => ({
        id: x.finding.id,
        severity: x.finding.severity,
        package: x.finding.package,
        version: x.finding.version,
        status: x.status,
        justification: x.justification ?? x.impactStatement ?? '',
        author: x.author,
        timestamp: x.timestamp,
        source: x.source,
      })),
      gate: row.gate ? { ok: row.gate.ok, reasons: [...row.gate.reasons] } : null,
    };
    if (s) totals.scanned++;
    else totals.unscanned++;
    for (const sev of SEVERITIES) totals.counts[sev] += counts[sev];
    totals.fixed += image.fixed;
    totals.notFixed += image.notFixed;
    totals.total += image.total;
    totals.suppressed += image.suppressed;
    if (image.gate && !image.gate.ok) totals.gateFailed++;
    return image;
  });
  return { generatedAt: opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z'), images, totals };
}
