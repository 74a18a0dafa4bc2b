// Who must have signed, for the image verification commands: --key, or (keyless) a certificate
// identity and issuer matched against a Sigstore trusted root. Identities match the whole value.
import path from 'node:path';
import type { Argv } from 'yargs';
import type { TrustPolicy } from '../../cosign/trust-policy.ts';
import type { ExtensionPolicy } from '../../sigstore/cert-extensions.ts';
import { usageError } from '../../errors.ts';
import type { GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';
import { defaultTufCacheDir } from '../../sigstore/tuf-cache-dir.ts';
import { loadVerifyingKey } from './key.ts';

/** Keyless signer flags: identity and issuer (exact or anchored regexp) and the trusted root. */
export const identityOptions = <T>(y: Argv<T>) =>
  y
    .option('certificate-identity', { type: 'string', describe: 'Keyless: the exact signer identity (certificate SAN: email or URI)' })
    .option('certificate-identity-regexp', { type: 'string', describe: 'Keyless: a regexp the whole identity must match' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'Keyless: the exact OIDC issuer, e.g. https://token.actions.githubusercontent.com' })
    .option('certificate-oidc-issuer-regexp', { type: 'string', describe: 'Keyless: a regexp the whole issuer must match' })
    .option('certificate-github-workflow-trigger', {
      type: 'string',
      describe: 'Keyless: the exact GitHub Actions event, e.g. push (OID 1.3.6.1.4.1.57264.1.2, else .1.20)',
    })
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

export const trustOptions = <T>(y: Argv<T>) =>
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

/** The identity flags and the trusted root (identityOptions). */
export type IdentityFlags = GroupFlags<typeof identityOptions>;

/**
 * Who must have signed (trustOptions), and cosign's --insecure-ignore-sct where the command
 * declares it (options/cosign.ts cosignVerifyFlags).
 */
export type TrustFlags = GroupFlags<typeof trustOptions> & { insecureIgnoreSct?: boolean | undefined };

/** The certificate extension flags as a policy; undefined when none was given. */
export async function loadExtensionPolicy(argv: IdentityFlags): Promise<ExtensionPolicy | undefined> {
  const given: Record<keyof NonNullable<ExtensionPolicy['github']>, [flag: string, value: unknown]> = {
    trigger: ['certificate-github-workflow-trigger', argv.certificateGithubWorkflowTrigger],
    sha: ['certificate-github-workflow-sha', argv.certificateGithubWorkflowSha],
    name: ['certificate-github-workflow-name', argv.certificateGithubWorkflowName],
    repository: ['certificate-github-workflow-repository', argv.certificateGithubWorkflowRepository],
    ref: ['certificate-github-workflow-ref', argv.certificateGithubWorkflowRef],
  };
  const github: NonNullable<ExtensionPolicy['github']> = {};
  for (const [field, [flag, value]] of Object.entries(given) as [keyof typeof given, [string, unknown]][]) {
    if (value === undefined) continue;
    if (typeof value !== 'string') throw usageError(`--${flag} was given more than once`);
    github[field] = value;
  }
  const raw: unknown = argv.certificateExtension;
  const list = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String);
  if (Object.keys(github).length === 0 && list.length === 0) return undefined;
  const { parseExtensionArgs } = await import('../../sigstore/cert-extensions.ts');
  return { github, oids: parseExtensionArgs(list) };
}

export async function loadTrustPolicy(argv: TrustFlags, ctx: CliContext): Promise<TrustPolicy> {
  const identity = argv.certificateIdentity ?? argv.certificateIdentityRegexp;
  const issuer = argv.certificateOidcIssuer ?? argv.certificateOidcIssuerRegexp;
  const extensions = await loadExtensionPolicy(argv);
  if (argv.requireTlog === true && argv.insecureIgnoreTlog === true) {
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
        // Exported when a bundle is verified: the first export starts OpenSSL's encoders (~1 ms),
        // which a legacy signature checked with the key never needs (docs/design/startup.md).
        get publicKeyPem() {
          return verifier.publicKey.pem;
        },
        trustedRootPath: trustedRootPath(argv, ctx),
        tufCacheDir: defaultTufCacheDir(ctx.env),
        requireTlog: argv.requireTlog === true,
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
      certificateIdentity: argv.certificateIdentity,
      certificateIdentityRegexp: argv.certificateIdentityRegexp,
      certificateOidcIssuer: argv.certificateOidcIssuer,
      certificateOidcIssuerRegexp: argv.certificateOidcIssuerRegexp,
      extensions,
      trustedRootPath: trustedRootPath(argv, ctx),
      tufCacheDir: defaultTufCacheDir(ctx.env),
      requireTlog: argv.requireTlog === true,
      ...cosignVerifyPolicy(argv),
    },
  };
}

/** --trusted-root, relative to the command's working directory (not the process's: in-process runs differ). */
function trustedRootPath(argv: TrustFlags, ctx: CliContext): string | undefined {
  return argv.trustedRoot === undefined ? undefined : path.resolve(ctx.cwd, argv.trustedRoot);
}

/** cosign's --insecure-ignore-tlog (and --private-infrastructure) and --insecure-ignore-sct. */
function cosignVerifyPolicy(argv: TrustFlags): { ignoreTlog?: boolean; ignoreSct?: boolean } {
  return {
    ...(argv.insecureIgnoreTlog === true ? { ignoreTlog: true } : {}),
    ...(argv.insecureIgnoreSct === true ? { ignoreSct: true } : {}),
  };
}
