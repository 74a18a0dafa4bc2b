// seal verify-attestation: verify an image's attestations, filter by predicate type, and apply
// the vulnerability gate and a policy file to the verified statements only.
import { evaluateVulnGate, type GateResult, type MaxSeverity } from '../scan/gate.ts';
import { resolvePredicateType } from '../attest/predicates.ts';
import type { Statement } from '../attest/statement.ts';
import { VULN_PREDICATE_TYPE, summarizeVulns } from '../scan/vuln.ts';
import { checkAttestations, findAttestations, type CheckedAttestation } from '../cosign/attestations.ts';
import { bundleParts } from '../sigstore/bundle-parts.ts';
import { openImage, openImageWith, type ResolvedImage } from '../cosign/image.ts';
import { withKeyObject, type TrustPolicy } from '../cosign/trust-policy.ts';
import { SealError } from '../errors.ts';
import { parseReference } from '../oci/reference.ts';
import type { ImageStore, StoreOptions } from '../oci/store.ts';
import { concurrencyLimit, mapPoolAhead } from '../util/pool.ts';
import { applyVex, describeSuppression } from '../vex/apply.ts';
import { collectVexSources, type VexOptions } from './vex.ts';
import type { OpEnv } from './op-env.ts';

export interface VerifyAttestationOptions {
  /** Whose attestations count: a key, or certificate identities under a trusted root. */
  trust: TrustPolicy;
  images: string[];
  /** Alias or URI; undefined = every type. */
  type?: string;
  maxSeverity?: MaxSeverity;
  maxAgeMs?: number;
  ignoreUnfixed?: boolean;
  /** A loaded policy; evaluated against the verified statements of each image. */
  policy?: { evaluate(statements: Statement[], now: Date): PolicyOutcome };
  store: StoreOptions;
  now?: Date;
  /** OpenVEX statements the gate honours (docs/vex.md); default: the image's attestations under the same trust. */
  vex?: VexOptions;
  /** Images verified at once (default 4); as many tags are resolved ahead. */
  concurrency?: number;
}

export interface PolicyOutcome {
  ok: boolean;
  results: { rule: string; ok: boolean; message: string }[];
}

export interface AttestationReport {
  image: string;
  digest: string;
  attestations: Omit<CheckedAttestation, 'bytes'>[];
  /** Verified statements of the requested type: what the gate and policy judged. */
  statements: Statement[];
  /** The DSSE envelopes of those statements, one JSON text each, as cosign verify-attestation prints them. */
  envelopes: string[];
  gate?: Omit<GateResult, 'summary'> & { scanner?: string; counts?: unknown };
  policy?: PolicyOutcome;
  ok: boolean;
  failure?: { kind: 'no-signatures' | 'no-matching' | 'policy'; message: string };
}

const gateRequested = (o: VerifyAttestationOptions) => o.maxSeverity !== undefined || o.maxAgeMs !== undefined || o.ignoreUnfixed === true;

export async function verifyAttestations(opts: VerifyAttestationOptions, env: OpEnv): Promise<AttestationReport[]> {
  // The keys parsed once, not per bundle.
  const policy = withKeyObject(opts.trust);
  const vexOptions = opts.vex?.trust ? { ...opts.vex, trust: withKeyObject(opts.vex.trust) } : opts.vex;
  const { log } = env;
  const wanted = opts.type ? resolvePredicateType(opts.type) : undefined;
  const now = opts.now ?? new Date();
  // As seal verify (ops/verify.ts): a tag is resolved up to `concurrency` images ahead
  // (mapPoolAhead), so an image taking a free slot has its first round trip behind it; with a
  // digest reference there is nothing to resolve, and the attestations are read alongside the
  // image's manifest (openImageWith).
  const lookup = (store: ImageStore, digest: string) => findAttestations(store, digest, log);
  const open = async (input: string, resolved: ResolvedImage | undefined) =>
    resolved ? { img: resolved, found: await lookup(resolved.attachStore, resolved.digest) } : openImageWith(input, opts.store, log, lookup);
  return mapPoolAhead(
    opts.images,
    concurrencyLimit(opts.concurrency),
    (input) => (parseReference(input).digest ? Promise.resolve(undefined) : openImage(input, opts.store, log)),
    async (resolved, input) => {
      const { img, found } = await open(input, resolved);
      const checkedMain = await checkAttestations(found, img.digest, policy);
      // The gate needs VEX; a separate VEX signer also makes its attestations count as verified when listed.
      const wantVex = (opts.maxSeverity !== undefined || vexOptions?.trust !== undefined) && !vexOptions?.off;
      const vex = wantVex ? await collectVexSources({ image: input, digest: img.digest, found, checked: checkedMain }, vexOptions, log) : undefined;
      // VEX signed by a separate security-team identity verifies with that policy, not the scan key.
      const checked = checkedMain.map((c) => vex?.trusted.get(c.id) ?? c);
      const report: AttestationReport = {
        image: input,
        digest: img.digest,
        attestations: checked.map(({ bytes: _bytes, timestampNotes: _notes, ...rest }) => rest),
        statements: [],
        envelopes: [],
        ok: false,
      };
      // As verify and verify-blob: with --verbose, which timestamps each bundle's time rests on.
      for (const c of checked) for (const line of c.timestampNotes ?? []) log.debug(`${input} ${c.id}: ${line}`);
      const failed = checked.filter((c) => !c.verified);
      if (failed.length) {
        log.info(`${input}: ignored ${failed.length} attestation(s) that did not verify with the given key:`);
        for (const f of failed) log.info(`  ${f.format} ${f.id}: ${f.error}`);
      }
      const verified = checked.filter((c) => c.verified);
      const matching = verified.filter((c) => !wanted || c.predicateType === wanted);
      report.statements = matching.map((c) => c.statement!);
      report.envelopes = matching.map((c) => envelopeText(c));
      if (found.length === 0) {
        report.failure = { kind: 'no-signatures', message: `no attestations found for ${input} (${img.digest})` };
        return report;
      }
      if (verified.length === 0) {
        report.failure = { kind: 'no-matching', message: `none of the ${found.length} attestation(s) of ${input} verifies with the given key` };
        return report;
      }
      if (matching.length === 0) {
        const types = [...new Set(verified.map((c) => c.predicateType))].join(', ');
        report.failure = { kind: 'no-matching', message: `no verified attestation of ${input} has predicate type ${wanted}; found: ${types}` };
        return report;
      }
      const reasons: string[] = [];
      if (gateRequested(opts)) {
        const scans = verified.filter((c) => c.predicateType === VULN_PREDICATE_TYPE).map((c) => summarizeVulns(c.statement));
        if (scans.length === 0) {
          reasons.push(`no verified vulnerability scan (${VULN_PREDICATE_TYPE}) is attached to ${input}`);
        } else {
          const sources = vex?.sources ?? [];
          const gate = evaluateVulnGate(scans, {
            maxSeverity: opts.maxSeverity,
            maxAgeMs: opts.maxAgeMs,
            ignoreUnfixed: opts.ignoreUnfixed,
            now,
            ...(vex ? { vex: (findings) => applyVex(findings, sources, img.digest, now) } : {}),
          });
          for (const n of gate.vexNotes ?? []) log.debug(`${input}: ${n}`);
          const { summary, ...rest } = gate;
          report.gate = { ...rest, scanner: summary ? `${summary.scanner.name} ${summary.scanner.version}`.trim() : undefined, counts: summary?.bySeverity };
          reasons.push(...gate.reasons.filter(() => !gate.ok));
          if (!gate.ok && gate.suppressed?.length) {
            reasons.push(`${gate.suppressed.length} finding(s) suppressed by VEX: ${gate.suppressed.map(describeSuppression).join('; ')}`);
          }
        }
      }
      if (opts.policy) {
        report.policy = opts.policy.evaluate(
          verified.map((c) => c.statement!),
          now,
        );
        for (const r of report.policy.results) if (!r.ok) reasons.push(`policy ${r.rule}: ${r.message}`);
      }
      if (reasons.length) {
        report.failure = { kind: 'policy', message: `${input} fails: ${reasons.join('; ')}` };
        return report;
      }
      report.ok = true;
      return report;
    },
  );
}

export function attestationFailure(reports: AttestationReport[]): SealError | undefined {
  const bad = reports.find((r) => !r.ok);
  if (!bad?.failure) return undefined;
  return new SealError(bad.failure.kind, bad.failure.message);
}

/** The envelope as cosign prints it: a legacy layer's stored JSON as is; a bundle's DSSE envelope. */
function envelopeText(c: { format: 'legacy' | 'bundle'; bytes: Uint8Array }): string {
  if (c.format === 'legacy') return Buffer.from(c.bytes).toString('utf8').trim();
  return bundleParts(c.bytes).envelopeJson ?? '';
}
