// cosign's vulnerability predicate (https://cosign.sigstore.dev/attestation/vuln/v1, spec
// docs/formats/cosign-formats.md d.2) built from a grype or trivy report, and the summary the gate, policy and
// report work from. cosign copies the predicate from the file and never fills the scan times; seal
// takes them from the report itself so a signed scan always says when it ran (docs/vuln-predicate.md).
import { inputError, usageError } from '../errors.ts';
import {
  type Finding,
  type FindingCounts,
  type FixState,
  type Severity,
  FIX_STATES,
  SEVERITIES,
  compareFindings,
  dedupeFindings,
  emptyCounts,
  formatRfc3339,
  isObject,
  parseRfc3339,
  str,
} from './findings.ts';
import { type ScanReportInfo, grypeInfo, isGrypeReport } from './grype.ts';
import { isTrivyReport, trivyInfo } from './trivy.ts';

export { VULN_PREDICATE_TYPE } from '../attest/predicate-types.ts';

export interface VulnPredicate {
  invocation: { parameters: unknown; uri: string; event_id: string; 'builder.id': string };
  scanner: { uri: string; version: string; db: { uri: string; version: string }; result: unknown };
  metadata: { scanStartedOn: string; scanFinishedOn: string };
}

export type ScanInputFormat = 'grype' | 'trivy' | 'cosign-vuln';
/** Where a scan time came from: the report, --scan-started/--scan-finished, the given predicate, or the clock. */
export type TimeSource = 'scan' | 'flags' | 'now' | 'predicate';

/** Recognises a grype report, a trivy report or an already-formed cosign vuln predicate. */
export function detectScanFormat(doc: unknown): ScanInputFormat | undefined {
  if (isGrypeReport(doc)) return 'grype';
  if (isTrivyReport(doc)) return 'trivy';
  if (isObject(doc) && isObject(doc.scanner) && (isObject(doc.invocation) || isObject(doc.metadata))) return 'cosign-vuln';
  return undefined;
}

function reportInfo(doc: unknown): ScanReportInfo | undefined {
  if (isGrypeReport(doc)) return grypeInfo(doc);
  if (isTrivyReport(doc)) return trivyInfo(doc);
  return undefined;
}

export interface BuildVulnOptions {
  now: Date;
  /** Overrides (e.g. --scan-started / --scan-finished): RFC 3339 text or a Date. */
  scanStarted?: string | Date;
  scanFinished?: string | Date;
  /** Named in error messages. */
  filename?: string;
}

export interface BuiltVulnPredicate {
  predicate: VulnPredicate;
  input: ScanInputFormat;
  /** Source of scanFinishedOn, the time gates measure age from. */
  timeSource: TimeSource;
  timeSources: { started: TimeSource; finished: TimeSource };
  scanner: { name: string; version: string };
  findings: number;
}

function flagTime(value: string | Date | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw usageError(`${what} is not a valid time`);
    return formatRfc3339(value);
  }
  if (!parseRfc3339(value)) {
    throw usageError(`${what} ${JSON.stringify(value)} is not an RFC 3339 time`, {
      hint: 'write it like 2024-05-01T12:00:00Z',
    });
  }
  return value;
}

function docTime(value: unknown, what: string, filename: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (!parseRfc3339(value)) {
    throw inputError(`${filename}: ${what} ${JSON.stringify(value)} is not an RFC 3339 time`);
  }
  return value as string;
}

/** Parses the predicate file and builds the vuln predicate; see buildVulnPredicate. */
export function buildVulnPredicateFromBytes(bytes: Uint8Array, opts: BuildVulnOptions): BuiltVulnPredicate {
  const filename = opts.filename ?? 'predicate';
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    // As predicates.ts's predicateName (not imported: predicates.ts imports this module).
    const name = filename === '-' ? 'the predicate on stdin' : `predicate file ${filename}`;
    throw inputError(`${name} is ${bytes.length === 0 ? 'empty' : 'not valid JSON'}`, { cause: err });
  }
  return buildVulnPredicate(doc, opts);
}

/**
 * grype/trivy report → predicate whose `scanner.result` is the whole report, unchanged. A ready
 * cosign vuln predicate is taken as is, with missing fields filled with cosign's defaults.
 * Times: flag > predicate metadata > the report's own time > now.
 */
export function buildVulnPredicate(doc: unknown, opts: BuildVulnOptions): BuiltVulnPredicate {
  const filename = opts.filename ?? 'predicate';
  const input = detectScanFormat(doc);
  if (!input) {
    throw inputError(`predicate file ${filename} is not a grype or trivy JSON report or a cosign vuln predicate`, {
      code: 'VULN_FORMAT',
      hint: 'use `grype -o json`, `trivy image -f json`, or a predicate with invocation/scanner/metadata',
    });
  }
  const flagStarted = flagTime(opts.scanStarted, 'scan start time');
  const flagFinished = flagTime(opts.scanFinished, 'scan finish time');

  let predicate: VulnPredicate;
  let info: ScanReportInfo | undefined;
  let predStarted: string | undefined;
  let predFinished: string | undefined;
  if (input === 'cosign-vuln') {
    const given = doc as Record<string, unknown>;
    const inv = isObject(given.invocation) ? given.invocation : {};
    const scanner = isObject(given.scanner) ? given.scanner : {};
    const db = isObject(scanner.db) ? scanner.db : {};
    const meta = isObject(given.metadata) ? given.metadata : {};
    for (const [path, value] of [
      ['invocation.uri', inv.uri],
      ['invocation.event_id', inv.event_id],
      ['invocation.builder.id', inv['builder.id']],
      ['scanner.uri', scanner.uri],
      ['scanner.version', scanner.version],
      ['scanner.db.uri', db.uri],
      ['scanner.db.version', db.version],
    ] as const) {
      if (value !== undefined && value !== null && typeof value !== 'string') {
        throw inputError(`predicate file ${filename}: ${path} must be a string`);
      }
    }
    predStarted = docTime(meta.scanStartedOn, 'metadata.scanStartedOn', filename);
    predFinished = docTime(meta.scanFinishedOn, 'metadata.scanFinishedOn', filename);
    info = reportInfo(scanner.result);
    // Unknown fields are kept: seal signs the document as given (cosign drops them).
    predicate = {
      ...given,
      invocation: {
        ...inv,
        parameters: inv.parameters ?? null,
        uri: str(inv.uri),
        event_id: str(inv.event_id),
        'builder.id': str(inv['builder.id']),
      },
      scanner: {
        ...scanner,
        uri: str(scanner.uri),
        version: str(scanner.version),
        db: { ...db, uri: str(db.uri), version: str(db.version) },
        result: scanner.result ?? null,
      },
      metadata: { ...meta, scanStartedOn: '', scanFinishedOn: '' },
    } as VulnPredicate;
  } else {
    info = reportInfo(doc)!;
    predicate = {
      invocation: { parameters: info.parameters, uri: '', event_id: '', 'builder.id': '' },
      scanner: { uri: info.scanner.uri, version: info.scanner.version, db: info.db, result: doc },
      metadata: { scanStartedOn: '', scanFinishedOn: '' },
    };
  }
  const scanTime = info ? docTime(info.time, info.format === 'grype' ? 'descriptor.timestamp' : 'CreatedAt', filename) : undefined;
  const nowText = formatRfc3339(opts.now);
  const pick = (flag: string | undefined, pred: string | undefined): [string, TimeSource] =>
    flag ? [flag, 'flags'] : pred ? [pred, 'predicate'] : scanTime ? [scanTime, 'scan'] : [nowText, 'now'];
  let [started, startedSource] = pick(flagStarted, predStarted);
  let [finished, finishedSource] = pick(flagFinished, predFinished);
  // A single flag should not pair with the clock: a lone --scan-finished also dates the start.
  if (startedSource === 'now' && finishedSource !== 'now') [started, startedSource] = [finished, finishedSource];
  if (finishedSource === 'now' && startedSource !== 'now') [finished, finishedSource] = [started, startedSource];
  if (parseRfc3339(started)!.getTime() > parseRfc3339(finished)!.getTime()) {
    throw usageError(`the scan start time ${started} is after the scan finish time ${finished}`);
  }
  predicate.metadata.scanStartedOn = started;
  predicate.metadata.scanFinishedOn = finished;
  const scannerName = info?.scanner.name ?? scannerNameFromUri(predicate.scanner.uri);
  return {
    predicate,
    input,
    timeSource: finishedSource,
    timeSources: { started: startedSource, finished: finishedSource },
    scanner: { name: scannerName, version: predicate.scanner.version || info?.scanner.version || '' },
    findings: info ? dedupeFindings(info.findings).length : 0,
  };
}

function scannerNameFromUri(uri: string): string {
  const last = uri
    .replace(/[/#?]+$/, '')
    .split(/[/#?]/)
    .pop();
  return last || uri || 'unknown';
}

export interface VulnSummary {
  scanner: { name: string; version: string; uri: string };
  /** What `scanner.result` held: a readable report, nothing, or something seal cannot read. */
  result: 'grype' | 'trivy' | 'none' | 'unrecognized';
  scanStartedOn?: string;
  scanFinishedOn?: string;
  /** Parsed scanFinishedOn; undefined when absent or not RFC 3339. */
  scanFinishedAt?: Date;
  target: { name?: string; digest?: string };
  /** Deduplicated, most severe first. */
  findings: Finding[];
  /** severity × fix state. */
  counts: FindingCounts;
  bySeverity: Record<Severity, number>;
  byFixState: Record<FixState, number>;
  total: number;
}

/** `findings` with the counts every summary carries (by severity and fix state, both, and total). */
export function tally(findings: Finding[]): Pick<VulnSummary, 'findings' | 'counts' | 'bySeverity' | 'byFixState' | 'total'> {
  const counts = emptyCounts();
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  const byFixState = Object.fromEntries(FIX_STATES.map((s) => [s, 0])) as Record<FixState, number>;
  for (const f of findings) {
    counts[f.severity][f.fixState]++;
    bySeverity[f.severity]++;
    byFixState[f.fixState]++;
  }
  return { findings, counts, bySeverity, byFixState, total: findings.length };
}

/**
 * Summarises a cosign vuln predicate, a statement carrying one, or a bare grype/trivy report.
 * A predicate without a readable result summarises to zero findings with `result` saying why;
 * gates treat that as "cannot judge", not as clean.
 */
export function summarizeVulns(input: unknown): VulnSummary {
  let predicate: unknown = input;
  if (isObject(input) && typeof input.predicateType === 'string' && 'predicate' in input) predicate = input.predicate;
  let info: ScanReportInfo | undefined;
  let scanner = { name: 'unknown', version: '', uri: '' };
  let started: string | undefined;
  let finished: string | undefined;
  let result: VulnSummary['result'];
  const direct = reportInfo(predicate);
  if (direct) {
    info = direct;
    scanner = { ...direct.scanner };
    started = finished = direct.time;
    result = direct.format;
  } else if (isObject(predicate) && isObject(predicate.scanner)) {
    const s = predicate.scanner;
    info = reportInfo(s.result);
    result = info ? info.format : s.result === undefined || s.result === null ? 'none' : 'unrecognized';
    scanner = {
      name: info?.scanner.name ?? scannerNameFromUri(str(s.uri)),
      version: str(s.version) || info?.scanner.version || '',
      uri: str(s.uri) || info?.scanner.uri || '',
    };
    const meta = isObject(predicate.metadata) ? predicate.metadata : {};
    started = str(meta.scanStartedOn) || info?.time;
    finished = str(meta.scanFinishedOn) || info?.time;
  } else {
    throw inputError('not a vulnerability scan: expected a cosign vuln predicate or a grype/trivy report', {
      code: 'VULN_FORMAT',
    });
  }
  const findings = dedupeFindings(info?.findings ?? []).sort(compareFindings);
  const summary: VulnSummary = { scanner, result, target: info?.target ?? {}, ...tally(findings) };
  if (started) summary.scanStartedOn = started;
  if (finished) {
    summary.scanFinishedOn = finished;
    const at = parseRfc3339(finished);
    if (at) summary.scanFinishedAt = at;
  }
  return summary;
}
