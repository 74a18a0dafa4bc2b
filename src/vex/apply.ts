// Applying trusted OpenVEX documents to a scan's findings. For each finding, every statement that
// covers it (src/vex/match.ts) is collected across all documents and the latest one wins, as the
// OpenVEX specification orders statements by time; the finding is suppressed when that statement
// says not_affected or fixed, and kept when it says affected or under_investigation. At equal
// times the statement that keeps the finding wins: a tie must not hide a vulnerability.
import type { Finding } from '../scan/findings.ts';
import { type VexDocument, type VexStatement, statementTime } from './document.ts';
import { findingIds, productsApply, upper } from './match.ts';
import { parsePurl } from './purl.ts';

export interface VexSource {
  doc: VexDocument;
  /** Where it came from, for messages: `attestation sha256:…` or `--vex vex.json`. */
  origin: string;
  /** An attestation whose subject is this image: statements without products are about it. */
  aboutImage: boolean;
}

/** One finding taken out of the gate, and the statement that took it. */
export interface VexSuppression {
  finding: Finding;
  status: 'not_affected' | 'fixed';
  justification?: string;
  impactStatement?: string;
  /** The statement's vulnerability name (may be an alias of the finding's id). */
  vulnerability: string;
  author: string;
  /** The statement's effective time, as written (its own, else the document's). */
  timestamp: string;
  document: string;
  statement?: string;
  source: string;
}

export interface VexOutcome {
  kept: Finding[];
  suppressed: VexSuppression[];
  /** Findings kept because the latest statement says affected / under_investigation. */
  affirmed: { finding: Finding; status: string; author: string; timestamp: string; source: string }[];
  /** For --verbose: statements ignored because they are about other images, and similar. */
  notes: string[];
}

interface Candidate {
  src: VexSource;
  stmt: VexStatement;
  time: number;
  order: number;
}

const SUPPRESSING = new Set(['not_affected', 'fixed']);

/** The ids a statement answers to: its vulnerability's name, @id and aliases. */
function statementIds(stmt: VexStatement): string[] {
  const v = stmt.vulnerability;
  return [...new Set([v.name, v['@id'], ...(v.aliases ?? [])].filter((id): id is string => typeof id === 'string').map(upper))];
}

/** Statements dated this far ahead of `now` are still taken as current (clock skew, as for scans). */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * `now`, when given, guards the ordering: a not_affected or fixed statement dated in the future
 * would outrank every statement made until then, so it is ignored (with a note) instead.
 */
export function applyVex(findings: readonly Finding[], sources: readonly VexSource[], digest: string, now?: Date): VexOutcome {
  const out: VexOutcome = { kept: [], suppressed: [], affirmed: [], notes: [] };
  const noted = new Set<string>();
  const note = (key: string, text: string) => {
    if (!noted.has(key)) {
      noted.add(key);
      out.notes.push(text);
    }
  };
  // Statements indexed by every id they answer to, so each finding only meets its own statements.
  interface Indexed {
    src: VexSource;
    stmt: VexStatement;
    index: number;
    time: number;
    order: number;
  }
  const byId = new Map<string, Indexed[]>();
  let order = 0;
  for (const src of sources) {
    src.doc.statements.forEach((stmt, index) => {
      const entry = { src, stmt, index, time: statementTime(src.doc, stmt).getTime(), order: order++ };
      for (const id of statementIds(stmt)) {
        const list = byId.get(id);
        if (list) list.push(entry);
        else byId.set(id, [entry]);
      }
    });
  }
  for (const f of findings) {
    const pkg = f.purl ? parsePurl(f.purl) : undefined;
    const seen = new Set<Indexed>();
    const candidates: Candidate[] = [];
    for (const id of findingIds(f)) {
      for (const e of byId.get(id) ?? []) {
        if (seen.has(e)) continue;
        seen.add(e);
        const a = productsApply(e.stmt, f, digest, e.src.aboutImage ? 'image' : 'none', pkg);
        if (a.applies && now && SUPPRESSING.has(e.stmt.status) && e.time > now.getTime() + FUTURE_SKEW_MS) {
          note(
            `${e.src.origin}#${e.index}`,
            `${e.src.origin}: statement ${e.index} (${e.stmt.vulnerability.name}, ${e.stmt.status}) is dated in the future (${e.stmt.timestamp ?? e.src.doc.timestamp}); ignored`,
          );
        } else if (a.applies) candidates.push({ src: e.src, stmt: e.stmt, time: e.time, order: e.order });
        else if (a.otherImage) {
          note(
            `${e.src.origin}#${e.index}`,
            `${e.src.origin}: statement ${e.index} (${e.stmt.vulnerability.name}) is about ${a.otherImage}, not ${digest}; ignored`,
          );
        } else if (!e.src.aboutImage && (e.stmt.products ?? []).length === 0) {
          note(
            `${e.src.origin}#${e.index}`,
            `${e.src.origin}: statement ${e.index} (${e.stmt.vulnerability.name}) names no product; a bare document must name the image or package, so it is ignored`,
          );
        }
      }
    }
    if (candidates.length === 0) {
      out.kept.push(f);
      continue;
    }
    // Latest wins; at equal times a keeping statement beats a suppressing one, then document order.
    candidates.sort((a, b) => a.time - b.time || Number(!SUPPRESSING.has(a.stmt.status)) - Number(!SUPPRESSING.has(b.stmt.status)) || a.order - b.order);
    const win = candidates[candidates.length - 1];
    const timestamp = win.stmt.timestamp ?? win.src.doc.timestamp;
    if (SUPPRESSING.has(win.stmt.status)) {
      const s: VexSuppression = {
        finding: f,
        status: win.stmt.status as VexSuppression['status'],
        vulnerability: win.stmt.vulnerability.name,
        author: win.src.doc.author,
        timestamp,
        document: win.src.doc['@id'],
        source: win.src.origin,
      };
      if (win.stmt.justification) s.justification = win.stmt.justification;
      if (win.stmt.impact_statement) s.impactStatement = win.stmt.impact_statement;
      if (win.stmt['@id']) s.statement = win.stmt['@id'];
      out.suppressed.push(s);
    } else {
      out.kept.push(f);
      out.affirmed.push({ finding: f, status: win.stmt.status, author: win.src.doc.author, timestamp, source: win.src.origin });
      out.notes.push(
        `${f.id} (${f.package} ${f.version}) stays: the latest statement says ${win.stmt.status}, by ${win.src.doc.author} at ${timestamp} [${win.src.origin}]`,
      );
    }
  }
  return out;
}

/** One line for logs and refusals: who said what, when, and why. */
export function describeSuppression(s: VexSuppression): string {
  const f = s.finding;
  const why = s.status === 'not_affected' ? `not_affected (${s.justification ?? s.impactStatement ?? 'no justification'})` : 'fixed';
  const alias = s.vulnerability.toUpperCase() === f.id.toUpperCase() ? '' : ` as ${s.vulnerability}`;
  return `${f.id} (${f.severity}, ${f.package} ${f.version}) suppressed${alias}: ${why}, by ${s.author} at ${s.timestamp} [${s.source}]`;
}
