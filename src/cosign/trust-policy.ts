// Who must have signed: a public key, or (keyless) a certificate identity and issuer checked
// against a Sigstore trusted root. Both storage formats are verified under the same policy.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Verifier } from '../crypto/types.ts';
import { SealError, messageOf } from '../errors.ts';
import type { VerifyPolicy } from '../sigstore/identity-policy.ts';

export interface TrustPolicy {
  /** Key mode: legacy signatures are checked with it directly. */
  verifier?: Verifier;
  /** What bundles (and legacy keyless signatures, converted to bundles) are verified against. */
  bundle: VerifyPolicy;
}

/**
 * The policy with its key as one KeyObject, for a command that verifies many bundles: given as
 * PEM, verify-bundle.ts would parse the key again for each bundle. The verifier's own KeyObject
 * when it has one (nothing exported or parsed), else the PEM parsed here, once (a bad one fails
 * the command in one line, as it failed each bundle); keyless policies are returned as they are.
 */
export function withKeyObject(trust: TrustPolicy): TrustPolicy {
  const policy = trust.bundle;
  // publicKeyPem is looked for, not read, unless needed: it may be a getter that exports the key
  // (~1 ms of OpenSSL encoders, src/cli/options/trust.ts), which the verifier's KeyObject spares.
  if (policy.publicKey !== undefined || !Object.hasOwn(policy, 'publicKeyPem')) return trust;
  let publicKey = trust.verifier?.keyObject;
  if (!publicKey) {
    const pem = policy.publicKeyPem;
    if (pem === undefined) return trust;
    publicKey = parsePem(pem);
  }
  const { publicKeyPem: _pem, ...others } = Object.getOwnPropertyDescriptors(policy);
  const bundle = Object.defineProperties({}, others) as VerifyPolicy;
  bundle.publicKey = publicKey;
  return { ...trust, bundle };
}

function parsePem(pem: string): KeyObject {
  if (pem.trim() === '') throw new SealError('usage', 'the public key is empty');
  try {
    return createPublicKey(pem);
  } catch (err) {
    // The message verify-bundle.ts gives for the same key.
    throw new SealError('input', `cannot parse the public key: ${messageOf(err)}`, { cause: err });
  }
}
