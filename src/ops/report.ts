// seal report: vulnerability findings from verified vuln attestations only, side by side for
// several images. An image whose scans do not verify is reported as unscanned, with the reason.
import { newestScan } from '../attest/gate.ts';
import { VULN_PREDICATE_TYPE, summarizeVulns } from '../attest/vuln.ts';
import { checkAttestation, findAttestations } from '../cosign/attestations.ts';
import { openImage } from '../cosign/image.ts';
import type { TrustPolicy } from '../cosign/trust-policy.ts';
import { messageOf } from '../errors.ts';
import type { Log } from '../log.ts';
import type { StoreOptions } from '../oci/store.ts';
import { buildReportModel, type ReportInput, type ReportModel } from '../report/model.ts';
import { mapPool } from '../util/pool.ts';

export async function buildVulnReport(
  images: string[],
  store: StoreOptions,
  policy: TrustPolicy,
  log: Log,
  now: Date = new Date(),
): Promise<ReportModel> {
  const rows = await mapPool(images, 4, async (image): Promise<ReportInput> => {
    try {
      const img = await openImage(image, store, log);
      const found = (await findAttestations(img.attachStore, img.digest, log)).filter(
        (f) => !f.claimedPredicateType || f.claimedPredicateType === VULN_PREDICATE_TYPE,
      );
      const checked = await Promise.all(found.map((f) => checkAttestation(f, img.digest, policy)));
      const scans = checked.filter((c) => c.verified && c.predicateType === VULN_PREDICATE_TYPE).map((c) => summarizeVulns(c.statement));
      const rejected = checked.filter((c) => !c.verified).length;
      if (rejected) log.info(`${image}: ignored ${rejected} scan attestation(s) that did not verify with the given key`);
      const summary = newestScan(scans);
      if (!summary) {
        return { image, digest: img.digest, error: found.length ? 'no scan attestation verifies with the given key' : 'no vulnerability scan attested' };
      }
      return { image, digest: img.digest, summary };
    } catch (err) {
      return { image, error: messageOf(err) };
    }
  });
  return buildReportModel(rows, { now });
}
