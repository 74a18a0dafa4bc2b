// The vulnerability gate of seal verify-attestation (--max-severity, --max-age, --ignore-unfixed)
// and the OpenVEX it honours: scanner reports, findings and VEX documents, loaded by
// verify-attestation.ts only when a gate or VEX flag asks for them (docs/design/startup.md).
// One module imported lazily, not each of its parts: a module loaded with import() keeps all its
// exports in the single-file build, and scan/vuln.ts or ops/vex.ts imported so would keep every
// builder they hold; through this module the build keeps only what the gate uses.
import { VULN_PREDICATE_TYPE } from '../attest/predicate-types.ts';
import type { CheckedAttestation } from '../cosign/attestations.ts';
import type { Log } from '../log.ts';
import { evaluateVulnGate, type GateResult, type MaxSeverity } from '../scan/gate.ts';
import { summarizeVulns } from '../scan/vuln.ts';
import { applyVex, describeSuppression } from '../vex/apply.ts';
import type { VexCollection } from './vex.ts';

export { collectVexSources } from './vex.ts';

/** The gate's verdict as verify-attestation reports it (-o json: `gate`). */
export type GateReport = Omit<GateResult, 'summary'> & { scanner?: string; counts?: unknown };

export interface GateRequest {
  maxSeverity?: MaxSeverity;
  maxAgeMs?: number;
  ignoreUnfixed?: boolean;
}

/**
 * Judges the newest verified vulnerability scan among `verified` (an image's verified
 * attestations), with the VEX statements collected for the image when there are any. Returns the
 * gate's report (absent when there is no scan) and why the image fails, if it does.
 */
export function judgeScans(
  verified: readonly CheckedAttestation[],
  request: GateRequest,
  vex: VexCollection | undefined,
  image: { input: string; digest: string },
  now: Date,
  log: Log,
): { gate?: GateReport; reasons: string[] } {
  const scans = verified.filter((c) => c.predicateType === VULN_PREDICATE_TYPE).map((c) => summarizeVulns(c.statement));
  if (scans.length === 0) return { reasons: [`no verified vulnerability scan (${VULN_PREDICATE_TYPE}) is attached to ${image.input}`] };
  const sources = vex?.sources ?? [];
  const gate = evaluateVulnGate(scans, {
    maxSeverity: request.maxSeverity,
    maxAgeMs: request.maxAgeMs,
    ignoreUnfixed: request.ignoreUnfixed,
    now,
    ...(vex ? { vex: (findings) => applyVex(findings, sources, image.digest, now) } : {}),
  });
  for (const n of gate.vexNotes ?? []) log.debug(`${image.input}: ${n}`);
  const { summary, ...rest } = gate;
  const reasons = gate.ok ? [] : [...gate.reasons];
  if (!gate.ok && gate.suppressed?.length) {
    reasons.push(`${gate.suppressed.length} finding(s) suppressed by VEX: ${gate.suppressed.map(describeSuppression).join('; ')}`);
  }
  return {
    gate: { ...rest, scanner: summary ? `${summary.scanner.name} ${summary.scanner.version}`.trim() : undefined, counts: summary?.bySeverity },
    reasons,
  };
}
