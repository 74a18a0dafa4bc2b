// Who must have signed: a public key, or (keyless) a certificate identity and issuer checked
// against a Sigstore trusted root. Both storage formats are verified under the same policy.
import type { Verifier } from '../crypto/types.ts';
import type { VerifyPolicy } from '../sigstore/identity-policy.ts';

export interface TrustPolicy {
  /** Key mode: legacy signatures are checked with it directly. */
  verifier?: Verifier;
  /** What bundles (and legacy keyless signatures, converted to bundles) are verified against. */
  bundle: VerifyPolicy;
}
