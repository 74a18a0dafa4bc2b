// Reading `grype -o json` reports (anchore/grype grype/presenter/models). Two database descriptor
// shapes exist: schema v5 puts `built`/`schemaVersion` (a number) directly under `descriptor.db`;
// schema v6 (grype ≥ 0.88) nests them in `descriptor.db.status` with `from` (the download URL).
import { type Finding, type FixState, isObject, normalizeSeverity, str } from './findings.ts';

export const GRYPE_URI = 'https://github.com/anchore/grype';

/** A grype JSON report: top-level `matches` plus grype's `descriptor` (or its `source`). */
export function isGrypeReport(doc: unknown): doc is Record<string, unknown> {
  if (!isObject(doc) || !Array.isArray(doc.matches)) return false;
  const descriptor = doc.descriptor;
  if (isObject(descriptor)) return descriptor.name === undefined || descriptor.name === 'grype';
  return isObject(doc.source);
}

export interface ScanReportInfo {
  format: 'grype' | 'trivy';
  scanner: { name: string; uri: string; version: string };
  db: { uri: string; version: string };
  /** The report's own creation time, as written (RFC 3339 expected). */
  time?: string;
  /** What cosign's vuln predicate calls invocation.parameters (grype: its configuration). */
  parameters: unknown;
  target: { name?: string; digest?: string };
  findings: Finding[];
}

const FIX_STATES: Record<string, FixState> = {
  fixed: 'fixed',
  'not-fixed': 'not-fixed',
  'wont-fix': 'wont-fix',
  unknown: 'unknown',
};

export function grypeFindings(doc: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  for (const match of Array.isArray(doc.matches) ? doc.matches : []) {
    if (!isObject(match)) continue;
    const v = isObject(match.vulnerability) ? match.vulnerability : {};
    const a = isObject(match.artifact) ? match.artifact : {};
    const fix = isObject(v.fix) ? v.fix : {};
    const versions = Array.isArray(fix.versions) ? fix.versions.filter((x): x is string => typeof x === 'string' && x !== '') : [];
    let fixState: FixState = FIX_STATES[str(fix.state)] ?? 'unknown';
    if (fixState === 'unknown' && versions.length > 0) fixState = 'fixed';
    const aliases = (Array.isArray(match.relatedVulnerabilities) ? match.relatedVulnerabilities : [])
      .map((r) => (isObject(r) ? str(r.id) : ''))
      .filter((id) => id !== '' && id !== v.id);
    const finding: Finding = {
      id: str(v.id) || 'UNKNOWN',
      severity: normalizeSeverity(v.severity),
      package: str(a.name),
      version: str(a.version),
      type: str(a.type) || 'unknown',
      fixState,
    };
    if (versions.length) finding.fixedIn = versions;
    if (aliases.length) finding.aliases = [...new Set(aliases)];
    if (str(a.purl)) finding.purl = str(a.purl);
    out.push(finding);
  }
  return out;
}

export function grypeInfo(doc: Record<string, unknown>): ScanReportInfo {
  const descriptor = isObject(doc.descriptor) ? doc.descriptor : {};
  const db = isObject(descriptor.db) ? descriptor.db : {};
  const status = isObject(db.status) ? db.status : db;
  const schema = status.schemaVersion === undefined ? '' : String(status.schemaVersion);
  const built = str(status.built);
  const config = isObject(descriptor.configuration) ? descriptor.configuration : undefined;
  const dbConfig = config && isObject(config.db) ? config.db : {};
  const source = isObject(doc.source) ? doc.source : {};
  const target = isObject(source.target) ? source.target : {};
  return {
    format: 'grype',
    scanner: { name: 'grype', uri: GRYPE_URI, version: str(descriptor.version) },
    db: {
      // v6 records where the database came from; v5 only the configured listing URL.
      uri: str(status.from) || str(dbConfig['update-url']),
      version: schema && built ? `${schema}/${built}` : schema || built,
    },
    time: str(descriptor.timestamp) || undefined,
    parameters: config ?? null,
    target: {
      name: str(target.userInput) || (typeof source.target === 'string' ? source.target : undefined),
      digest: str(target.manifestDigest) || undefined,
    },
    findings: grypeFindings(doc),
  };
}
