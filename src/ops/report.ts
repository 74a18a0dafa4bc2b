// seal report: vulnerability findings from verified vuln attestations only, side by side for
// several images. An image whose scans do not verify is reported as unscanned, with the reason.
import { newestScan } from '../scan/gate.ts';
import { VULN_PREDICATE_TYPE, summarizeVulns, tally } from '../scan/vuln.ts';
import { checkAttestations, findAttestations } from '../cosign/attestations.ts';
import { openImage } from '../cosign/image.ts';
import { withKeyObject, type TrustPolicy } from '../cosign/trust-policy.ts';
import { messageOf } from '../errors.ts';
import type { StoreOptions } from '../oci/store.ts';
import { buildReportModel, type ReportInput, type ReportModel } from '../report/model.ts';
import { mapPool } from '../util/pool.ts';
import type { Finding } from '../scan/findings.ts';
import type { VulnSummary } from '../scan/vuln.ts';
import { applyVex } from '../vex/apply.ts';
import { isOpenVexPredicateType } from '../vex/document.ts';
import type { OpEnv } from './op-env.ts';
import { collectVexSources, type VexOptions } from './vex.ts';

/** The summary with only `findings` left in it, counts recomputed. */
function withFindings(summary: VulnSummary, findings: Finding[]): VulnSummary {
  return { ...summary, ...tally(findings) };
}

export interface VulnReportOptions {
  images: string[];
  store: StoreOptions;
  /** Whose scan attestations count: a key, or certificate identities under a trusted root. */
  trust: TrustPolicy;
  /** The report's time (scan ages, VEX statements in force); default now. */
  now?: Date;
  /** OpenVEX statements applied to the findings (docs/vex.md); default: the image's attestations under the same trust. */
  vex?: VexOptions;
}

export async function buildVulnReport(options: VulnReportOptions, env: OpEnv): Promise<ReportModel> {
  const { images, store, now = new Date(), vex } = options;
  const policy = withKeyObject(options.trust); // the key parsed once, not per bundle
  const { log } = env;
  const rows = await mapPool(images, 4, async (image): Promise<ReportInput> => {
    try {
      const img = await openImage(image, store, log);
      const found = (await findAttestations(img.attachStore, img.digest, log)).filter(
        (f) => !f.claimedPredicateType || f.claimedPredicateType === VULN_PREDICATE_TYPE || isOpenVexPredicateType(f.claimedPredicateType),
      );
      const all = await checkAttestations(found, img.digest, policy);
      const vexed = await collectVexSources({ image, digest: img.digest, found, checked: all }, vex, log);
      const checked = all.filter((c) => !isOpenVexPredicateType(c.claimedPredicateType ?? c.predicateType));
      const scans = checked.filter((c) => c.verified && c.predicateType === VULN_PREDICATE_TYPE).map((c) => summarizeVulns(c.statement));
      const rejected = checked.filter((c) => !c.verified).length;
      if (rejected) log.info(`${image}: ignored ${rejected} scan attestation(s) that did not verify with the given key`);
      const summary = newestScan(scans);
      if (!summary) {
        return { image, digest: img.digest, error: found.length ? 'no scan attestation verifies with the given key' : 'no vulnerability scan attested' };
      }
      if (vexed.sources.length === 0) return { image, digest: img.digest, summary };
      const outcome = applyVex(summary.findings, vexed.sources, img.digest, now);
      for (const n of outcome.notes) log.debug(`${image}: ${n}`);
      return { image, digest: img.digest, summary: withFindings(summary, outcome.kept), suppressed: outcome.suppressed };
    } catch (err) {
      return { image, error: messageOf(err) };
    }
  });
  return buildReportModel(rows, { now });
}
