// Who must have signed, for the image verification commands: --key, or (keyless) a certificate
// identity and issuer matched against a Sigstore trusted root. Identities match the whole value.
import type { Argv } from 'yargs';
import type { TrustPolicy } from '../../cosign/trust-policy.ts';
import { usageError } from '../../errors.ts';
import type { Args } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadVerifyingKey } from './key.ts';

/** Keyless signer flags: identity and issuer (exact or anchored regexp) and the trusted root. */
export const identityOptions = (y: Argv): Argv =>
  y
    .option('certificate-identity', { type: 'string', describe: 'Keyless: the exact signer identity (certificate SAN: email or URI)' })
    .option('certificate-identity-regexp', { type: 'string', describe: 'Keyless: a regexp the whole identity must match' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'Keyless: the exact OIDC issuer, e.g. https://token.actions.githubusercontent.com' })
    .option('certificate-oidc-issuer-regexp', { type: 'string', describe: 'Keyless: a regexp the whole issuer must match' })
    .option('trusted-root', {
      type: 'string',
      describe: 'trusted_root.json to verify against, offline (default: the production root embedded in seal, a snapshot)',
    })
    .option('require-tlog', {
      type: 'boolean',
      default: false,
      describe: 'Fail a signature that has no transparency log (Rekor) entry, as cosign does by default; entries are checked against the trusted root',
    });

export const trustOptions = (y: Argv): Argv =>
  identityOptions(
    y.option('key', {
      alias: 'k',
      type: 'string',
      describe: 'Public key: PKIX PEM (cosign.pub), PKCS#1 RSA PEM, certificate PEM, or env://VAR',
    }),
  );

export async function loadTrustPolicy(argv: Args, ctx: CliContext): Promise<TrustPolicy> {
  const identity = argv['certificate-identity'] ?? argv['certificate-identity-regexp'];
  const issuer = argv['certificate-oidc-issuer'] ?? argv['certificate-oidc-issuer-regexp'];
  if (argv.key) {
    if (identity || issuer) throw usageError('pass either --key or a certificate identity and issuer, not both');
    const verifier = await loadVerifyingKey(argv.key, ctx);
    return {
      verifier,
      bundle: { publicKeyPem: verifier.publicKey.pem, trustedRootPath: argv['trusted-root'], requireTlog: argv['require-tlog'] === true },
    };
  }
  if (!identity || !issuer) {
    throw usageError('say who must have signed', {
      hint: 'pass --key PUB, or --certificate-identity[-regexp] with --certificate-oidc-issuer[-regexp] for keyless signatures',
    });
  }
  return {
    bundle: {
      certificateIdentity: argv['certificate-identity'],
      certificateIdentityRegexp: argv['certificate-identity-regexp'],
      certificateOidcIssuer: argv['certificate-oidc-issuer'],
      certificateOidcIssuerRegexp: argv['certificate-oidc-issuer-regexp'],
      trustedRootPath: argv['trusted-root'],
      requireTlog: argv['require-tlog'] === true,
    },
  };
}
