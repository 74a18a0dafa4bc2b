// Who must have signed: a public key, or a certificate identity plus OIDC issuer. Patterns are
// ANCHORED, unlike cosign and @sigstore/verify (which use an unanchored String.match): an
// identity regexp `.*@example\.com` cannot be satisfied by `evil@example.com.attacker.net`.
import { SealError } from '../errors.ts';
import { extensionRequirements, type ExtensionPolicy, type ExtensionRequirement } from './cert-extensions.ts';

import type { KeyObject } from 'node:crypto';

export interface VerifyPolicy {
  publicKeyPem?: string;
  /** The public key as a KeyObject (instead of publicKeyPem: no export and parse again). */
  publicKey?: KeyObject;
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  /** Keyless: exact values of certificate extensions (GitHub workflow fields, any OID). */
  extensions?: ExtensionPolicy;
  trustedRootPath?: string;
  /** Where `seal trusted-root update` caches the root used when trustedRootPath is absent. */
  tufCacheDir?: string;
  ignoreTlog?: boolean;
  /** A signature without a transparency log entry fails (cosign's default; seal's --require-tlog). */
  requireTlog?: boolean;
  /** Keyless: accept a certificate without an embedded SCT (cosign's --insecure-ignore-sct). */
  ignoreSct?: boolean;
}

export type SignerRequirement =
  { mode: 'key'; publicKeyPem?: string; publicKey?: KeyObject } | { mode: 'identity'; identity: Matcher; issuer: Matcher; extensions: ExtensionRequirement[] };

export interface Matcher {
  /** How a message shows it: the exact string, or `/^(?:…)$/`. */
  describe: string;
  test(value: string): boolean;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function exactMatcher(value: string): Matcher {
  const re = new RegExp(`^${escapeRegExp(value)}$`);
  return { describe: JSON.stringify(value), test: (v) => re.test(v) };
}

export function anchoredMatcher(pattern: string, flag: string): Matcher {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new SealError('usage', `${flag} is not a valid regular expression: ${(err as Error).message}`);
  }
  return { describe: re.toString(), test: (v) => re.test(v) };
}

/** Checks the policy for contradictions and turns it into what the verifier enforces. */
export function signerRequirement(policy: VerifyPolicy): SignerRequirement {
  const hasIdentity = policy.certificateIdentity !== undefined || policy.certificateIdentityRegexp !== undefined;
  const hasIssuer = policy.certificateOidcIssuer !== undefined || policy.certificateOidcIssuerRegexp !== undefined;
  const extensions = extensionRequirements(policy.extensions);
  if (policy.publicKeyPem !== undefined || policy.publicKey !== undefined) {
    if (extensions.length > 0) {
      throw new SealError('usage', `${extensions[0]!.flag} checks a certificate, but a public key was given`, {
        hint: 'certificate extensions are checked on keyless signatures: use them with --certificate-identity and --certificate-oidc-issuer',
      });
    }
    if (hasIdentity || hasIssuer) {
      throw new SealError('usage', 'a public key and a certificate identity/issuer were both given', {
        hint: 'use --key for key-signed bundles, or --certificate-identity with --certificate-oidc-issuer for keyless ones',
      });
    }
    if (policy.publicKey !== undefined) return { mode: 'key', publicKey: policy.publicKey };
    if (policy.publicKeyPem!.trim() === '') throw new SealError('usage', 'the public key is empty');
    return { mode: 'key', publicKeyPem: policy.publicKeyPem! };
  }
  if (!hasIdentity && !hasIssuer) {
    throw new SealError('usage', 'no verification policy: give a public key, or a certificate identity and OIDC issuer', {
      hint: 'use --key, or --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer',
    });
  }
  if (policy.certificateIdentity !== undefined && policy.certificateIdentityRegexp !== undefined) {
    throw new SealError('usage', '--certificate-identity and --certificate-identity-regexp were both given', {
      hint: 'use one of them',
    });
  }
  if (policy.certificateOidcIssuer !== undefined && policy.certificateOidcIssuerRegexp !== undefined) {
    throw new SealError('usage', '--certificate-oidc-issuer and --certificate-oidc-issuer-regexp were both given', {
      hint: 'use one of them',
    });
  }
  if (!hasIdentity) {
    throw new SealError('usage', 'keyless verification needs a certificate identity', {
      hint: 'add --certificate-identity or --certificate-identity-regexp',
    });
  }
  if (!hasIssuer) {
    throw new SealError('usage', 'keyless verification needs the OIDC issuer', {
      hint: 'add --certificate-oidc-issuer or --certificate-oidc-issuer-regexp',
    });
  }
  const identity =
    policy.certificateIdentity !== undefined
      ? exactMatcher(policy.certificateIdentity)
      : anchoredMatcher(policy.certificateIdentityRegexp as string, '--certificate-identity-regexp');
  const issuer =
    policy.certificateOidcIssuer !== undefined
      ? exactMatcher(policy.certificateOidcIssuer)
      : anchoredMatcher(policy.certificateOidcIssuerRegexp as string, '--certificate-oidc-issuer-regexp');
  return { mode: 'identity', identity, issuer, extensions };
}

/** Throws a verification error unless the certificate's identity and issuer satisfy the policy. */
export function checkSignerIdentity(req: Extract<SignerRequirement, { mode: 'identity' }>, signer: { identity?: string; issuer?: string }): void {
  if (signer.identity === undefined || !req.identity.test(signer.identity)) {
    throw new SealError(
      'verification',
      `certificate identity ${signer.identity === undefined ? '(none)' : JSON.stringify(signer.identity)} does not match ${req.identity.describe}`,
      { code: 'IDENTITY_MISMATCH' },
    );
  }
  if (signer.issuer === undefined || !req.issuer.test(signer.issuer)) {
    throw new SealError(
      'verification',
      `certificate OIDC issuer ${signer.issuer === undefined ? '(none)' : JSON.stringify(signer.issuer)} does not match ${req.issuer.describe}`,
      { code: 'ISSUER_MISMATCH' },
    );
  }
}
