// seal download attestation: the stored attestations of an image, unverified, one JSON document
// per line (envelopes for the legacy format, bundles for referrers), optionally by predicate type.
import { resolvePredicateType } from '../attest/predicates.ts';
import { findAttestations, unverifiedStatement, type FoundAttestation } from '../cosign/attestations.ts';
import { openImage } from '../cosign/image.ts';
import { SealError } from '../errors.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

/** The predicate type a stored attestation claims: the annotation, else the (unverified) statement. */
function claimedType(found: FoundAttestation): string | undefined {
  if (found.claimedPredicateType) return found.claimedPredicateType;
  try {
    return unverifiedStatement(found).predicateType;
  } catch {
    return undefined;
  }
}

export interface DownloadAttestationsOptions {
  image: string;
  /** Only this predicate type (an alias such as vuln, or a URI). */
  predicateType?: string | undefined;
  /** os/arch[/variant]: the attestations of this platform image of the index `image` names. */
  platform?: string | undefined;
  store: StoreOptions;
}

export async function downloadAttestations(options: DownloadAttestationsOptions, env: OpEnv): Promise<string[]> {
  const { predicateType, store } = options;
  const { log } = env;
  let image = options.image;
  if (options.platform !== undefined) {
    const { platformReference } = await import('./platform.ts');
    image = await platformReference({ image, platform: options.platform, store }, env);
  }
  const img = await openImage(image, store, log);
  const wanted = predicateType ? resolvePredicateType(predicateType) : undefined;
  const found = await findAttestations(img.attachStore, img.digest, log);
  const lines = found.filter((f) => !wanted || claimedType(f) === wanted).map((f) => Buffer.from(f.bytes).toString('utf8').trim());
  if (lines.length === 0) {
    throw new SealError('no-signatures', wanted ? `no attestations with predicate type ${wanted} found for ${image}` : `no attestations found for ${image}`);
  }
  return lines;
}
