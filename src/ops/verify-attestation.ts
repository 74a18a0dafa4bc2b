// seal verify-attestation: verify an image's attestations, filter by predicate type, and apply
// the vulnerability gate and a policy file to the verified statements only.
import type { MaxSeverity } from '../scan/gate.ts';
import { resolvePredicateType } from '../attest/predicate-types.ts';
import type { Statement } from '../attest/statement.ts';
import { checkAttestations, findAttestations, type CheckedAttestation } from '../cosign/attestations.ts';
import { bundleParts } from '../sigstore/bundle-parts.ts';
import { openImageWith, resolveAhead } from '../cosign/image.ts';
import { withKeyObject, type TrustPolicy } from '../cosign/trust-policy.ts';
import { SealError } from '../errors.ts';
import type { ImageStore, StoreOptions } from '../oci/store.ts';
import { concurrencyLimit, mapPoolAhead } from '../util/pool.ts';
import type { VexOptions } from './vex.ts';
import type { GateReport } from './verify-attestation-gate.ts';
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
  gate?: GateReport;
  policy?: PolicyOutcome;
  ok: boolean;
  failure?: { kind: 'no-signatures' | 'no-matching' | 'policy'; message: string };
}

// The gate and OpenVEX (scanner reports, findings, VEX documents) are loaded only when a gate or
// VEX flag asks for them, not at every start-up (docs/design/startup.md).
const gateModule = () => import('./verify-attestation-gate.ts');

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
  return mapPoolAhead(
    opts.images,
    concurrencyLimit(opts.concurrency),
    (input) => resolveAhead(input, opts.store, log),
    async (resolved, input) => {
      const { img, found } = await openImageWith(input, opts.store, log, lookup, resolved);
      const checkedMain = await checkAttestations(found, img.digest, policy);
      // The gate needs VEX; a separate VEX signer also makes its attestations count as verified when listed.
      const wantVex = (opts.maxSeverity !== undefined || vexOptions?.trust !== undefined) && !vexOptions?.off;
      const vex = wantVex
        ? await (await gateModule()).collectVexSources({ image: input, digest: img.digest, found, checked: checkedMain }, vexOptions, log)
        : undefined;
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
        const judged = (await gateModule()).judgeScans(verified, opts, vex, { input, digest: img.digest }, now, log);
        if (judged.gate) report.gate = judged.gate;
        reasons.push(...judged.reasons);
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
