// Who must have signed, for the image verification commands: --key, or (keyless) a certificate
// identity and issuer matched against a Sigstore trusted root. Identities match the whole value.
import type { Argv } from 'yargs';
import type { TrustPolicy } from '../../cosign/trust-policy.ts';
import type { ExtensionPolicy } from '../../sigstore/cert-extensions.ts';
import { usageError } from '../../errors.ts';
import type { Args } from '../command.ts';
import type { CliContext } from '../context.ts';
import { defaultTufCacheDir } from '../../sigstore/tuf-cache-dir.ts';
import { loadVerifyingKey } from './key.ts';

/** Keyless signer flags: identity and issuer (exact or anchored regexp) and the trusted root. */
export const identityOptions = (y: Argv): Argv =>
  y
    .option('certificate-identity', { type: 'string', describe: 'Keyless: the exact signer identity (certificate SAN: email or URI)' })
    .option('certificate-identity-regexp', { type: 'string', describe: 'Keyless: a regexp the whole identity must match' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'Keyless: the exact OIDC issuer, e.g. https://token.actions.githubusercontent.com' })
    .option('certificate-oidc-issuer-regexp', { type: 'string', describe: 'Keyless: a regexp the whole issuer must match' })
    .option('certificate-github-workflow-trigger', { type: 'string', describe: 'Keyless: the exact GitHub Actions event, e.g. push (OID 1.3.6.1.4.1.57264.1.2, else .1.20)' })
    .option('certificate-github-workflow-sha', { type: 'string', describe: 'Keyless: the exact commit SHA the workflow ran on (OID .1.3, else .1.13)' })
    .option('certificate-github-workflow-name', { type: 'string', describe: 'Keyless: the exact workflow name (OID .1.4)' })
    .option('certificate-github-workflow-repository', { type: 'string', describe: 'Keyless: the exact OWNER/REPO (OID .1.5, else .1.12 on github.com)' })
    .option('certificate-github-workflow-ref', { type: 'string', describe: 'Keyless: the exact git ref, e.g. refs/tags/v1.2.3 (OID .1.6, else .1.14)' })
    .option('certificate-extension', {
      type: 'string',
      array: true,
      describe: 'Keyless: OID=VALUE, the exact value of a certificate extension (repeatable; DER strings decoded), e.g. 1.3.6.1.4.1.57264.1.11=github-hosted',
    })
    .option('trusted-root', {
      type: 'string',
      describe: 'trusted_root.json to verify against, offline (default: the one `seal trusted-root update` cached, else the snapshot embedded in seal)',
    })
    .option('require-tlog', {
      type: 'boolean',
      default: false,
      describe: 'Fail a signature that has no transparency log (Rekor) entry, as cosign does by default; entries are checked against the trusted root',
    });

export const trustOptions = (y: Argv): Argv =>
  identityOptions(
    y
      .option('key', {
        alias: 'k',
        type: 'string',
        describe: 'Public key: PKIX PEM (cosign.pub), PKCS#1 RSA PEM, certificate PEM, or env://VAR',
      })
      .option('insecure-ignore-tlog', {
        type: 'boolean',
        default: false,
        describe: 'Do not verify transparency log entries (a private Rekor the trusted root does not know); their times are then unproven',
      }),
  );

const GITHUB_FLAGS = {
  trigger: 'certificate-github-workflow-trigger',
  sha: 'certificate-github-workflow-sha',
  name: 'certificate-github-workflow-name',
  repository: 'certificate-github-workflow-repository',
  ref: 'certificate-github-workflow-ref',
} as const;

/** The certificate extension flags as a policy; undefined when none was given. */
export async function loadExtensionPolicy(argv: Args): Promise<ExtensionPolicy | undefined> {
  const github: NonNullable<ExtensionPolicy['github']> = {};
  for (const [field, flag] of Object.entries(GITHUB_FLAGS) as [keyof typeof GITHUB_FLAGS, string][]) {
    const value: unknown = argv[flag];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw usageError(`--${flag} was given more than once`);
    github[field] = value;
  }
  const raw: unknown = argv['certificate-extension'];
  const list = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
  if (Object.keys(github).length === 0 && list.length === 0) return undefined;
  const { parseExtensionArgs } = await import('../../sigstore/cert-extensions.ts');
  return { github, oids: parseExtensionArgs(list) };
}

export async function loadTrustPolicy(argv: Args, ctx: CliContext): Promise<TrustPolicy> {
  const identity = argv['certificate-identity'] ?? argv['certificate-identity-regexp'];
  const issuer = argv['certificate-oidc-issuer'] ?? argv['certificate-oidc-issuer-regexp'];
  const extensions = await loadExtensionPolicy(argv);
  if (argv['require-tlog'] === true && argv['insecure-ignore-tlog'] === true) {
    throw usageError('--require-tlog and --insecure-ignore-tlog contradict each other');
  }
  if (argv.key) {
    if (identity || issuer) throw usageError('pass either --key or a certificate identity and issuer, not both');
    if (extensions) {
      throw usageError('the --certificate-github-workflow-* and --certificate-extension flags check a certificate; they do not apply to --key', {
        hint: 'use them with --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp] on keyless signatures',
      });
    }
    const verifier = await loadVerifyingKey(argv.key, ctx);
    return {
      verifier,
      bundle: {
        publicKeyPem: verifier.publicKey.pem,
        trustedRootPath: argv['trusted-root'],
        tufCacheDir: defaultTufCacheDir(ctx.env),
        requireTlog: argv['require-tlog'] === true,
        ...cosignVerifyPolicy(argv),
      },
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
      extensions,
      trustedRootPath: argv['trusted-root'],
      tufCacheDir: defaultTufCacheDir(ctx.env),
      requireTlog: argv['require-tlog'] === true,
      ...cosignVerifyPolicy(argv),
    },
  };
}

/** cosign's --insecure-ignore-tlog (and --private-infrastructure) and --insecure-ignore-sct. */
function cosignVerifyPolicy(argv: Args): { ignoreTlog?: boolean; ignoreSct?: boolean } {
  return {
    ...(argv['insecure-ignore-tlog'] === true ? { ignoreTlog: true } : {}),
    ...(argv['insecure-ignore-sct'] === true ? { ignoreSct: true } : {}),
  };
}
