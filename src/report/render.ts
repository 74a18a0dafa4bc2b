// The fixed report formats: an aligned table for terminals, JSON for machines, CSV (RFC 4180) for
// spreadsheets and Markdown for pull requests and CI summaries.
import { SEVERITIES } from '../scan/findings.ts';
import type { ReportImage, ReportModel } from './model.ts';

export type ReportFormat = 'table' | 'json' | 'csv' | 'markdown';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'csv', 'markdown'];

interface Column {
  header: string;
  align: 'left' | 'right';
  cell: (img: ReportImage) => string;
}

const num =
  (pick: (img: ReportImage) => number) =>
  (img: ReportImage): string =>
    img.scanned ? String(pick(img)) : '-';

function columns(model: ReportModel): Column[] {
  const cols: Column[] = [{ header: 'IMAGE', align: 'left', cell: (i) => i.image }];
  for (const sev of SEVERITIES) cols.push({ header: sev.toUpperCase(), align: 'right', cell: num((i) => i.counts[sev]) });
  cols.push({ header: 'FIXED/NOT FIXED', align: 'right', cell: (i) => (i.scanned ? `${i.fixed}/${i.notFixed}` : '-') });
  // Only when some image had findings taken out by OpenVEX statements, so reports without VEX keep their shape.
  if (model.images.some((i) => i.suppressed > 0)) cols.push({ header: 'SUPPRESSED', align: 'right', cell: num((i) => i.suppressed) });
  cols.push(
    { header: 'SCAN AGE', align: 'right', cell: (i) => i.scanAge || '-' },
    { header: 'SCANNER', align: 'left', cell: (i) => (i.scanned ? i.scanner || 'unknown' : i.error) },
  );
  if (model.images.some((i) => i.gate)) {
    cols.push({ header: 'GATE', align: 'left', cell: (i) => (i.gate ? (i.gate.ok ? 'pass' : 'FAIL') : '-') });
  }
  return cols;
}

const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ');

export function renderTable(model: ReportModel): string {
  const cols = columns(model);
  const rows = model.images.map((img) => cols.map((c) => oneLine(c.cell(img))));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (cols[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}

export function renderJson(model: ReportModel): string {
  return JSON.stringify(model, null, 2) + '\n';
}

const CSV_HEADER = [
  'image',
  'digest',
  ...SEVERITIES,
  'fixed',
  'not_fixed',
  'total',
  'suppressed',
  'scan_finished',
  'age_seconds',
  'scanner',
  'scanner_version',
  'gate',
  'error',
];

/** RFC 4180: quote a field holding a comma, quote, CR or LF; double inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function renderCsv(model: ReportModel): string {
  const rows = model.images.map((i) => [
    i.image,
    i.digest,
    ...SEVERITIES.map((s) => (i.scanned ? String(i.counts[s]) : '')),
    i.scanned ? String(i.fixed) : '',
    i.scanned ? String(i.notFixed) : '',
    i.scanned ? String(i.total) : '',
    i.scanned ? String(i.suppressed) : '',
    i.scanFinishedOn,
    i.ageMs === null ? '' : String(Math.floor(i.ageMs / 1000)),
    i.scannerName,
    i.scannerVersion,
    i.gate ? (i.gate.ok ? 'pass' : 'fail') : '',
    i.error,
  ]);
  // RFC 4180 records end in CRLF, the last one included.
  return [CSV_HEADER, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** Escapes text for a Markdown table cell. */
export function markdownCell(value: string): string {
  return oneLine(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
}

export function renderMarkdown(model: ReportModel): string {
  const cols = columns(model);
  const header = `| ${cols.map((c) => c.header.charAt(0) + c.header.slice(1).toLowerCase()).join(' | ')} |`;
  const rule = `|${cols.map((c) => (c.align === 'right' ? '---:' : '---')).join('|')}|`;
  const rows = model.images.map(
    (img) => `| ${cols.map((c, i) => (i === 0 ? `\`${img.image.replace(/`/g, "'")}\`` : markdownCell(c.cell(img)))).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n') + '\n';
}

export function renderReport(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return renderTable(model);
    case 'json':
      return renderJson(model);
    case 'csv':
      return renderCsv(model);
    case 'markdown':
      return renderMarkdown(model);
  }
}
