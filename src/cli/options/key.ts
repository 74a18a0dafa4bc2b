// --key for signing commands and for verifying commands; the key is loaded when the command runs.
import type { Argv } from 'yargs';
import type { Verifier } from '../../crypto/types.ts';
import type { SigningOptions } from '../../ops/signing/types.ts';
import type { GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';

/** --key for commands that can also sign keylessly (with keylessOptions): not demanded. */
export const optionalSigningKeyOption = <T>(y: Argv<T>) =>
  y.option('key', {
    alias: 'k',
    type: 'string',
    describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR; without it, signs keylessly (docs/keyless.md)',
  });

export async function loadVerifyingKey(ref: string, ctx: CliContext): Promise<Verifier> {
  const { loadPublicKey } = await import('../../crypto/keys.ts');
  return loadPublicKey(ref, { env: ctx.env, cwd: ctx.cwd });
}

// Keyless signing (docs/keyless.md): used when --key is absent. The identity token comes from
// --identity-token, an ambient CI provider or an interactive login (src/oidc/); the services from
// the flags and the signing config (src/sigstore/signing-services.ts).
export const keylessOptions = <T>(y: Argv<T>) =>
  y
    .option('identity-token', {
      type: 'string',
      describe: 'OIDC identity token for keyless signing: the JWT or a file holding it (default: SIGSTORE_ID_TOKEN, CI providers, else a login on a terminal)',
    })
    .option('fulcio-url', { type: 'string', describe: 'Fulcio for keyless signing (default: the signing config, else https://fulcio.sigstore.dev)' })
    .option('rekor-url', {
      type: 'string',
      describe: 'Rekor (v1 API) for keyless signing and --tlog-upload (default: the signing config, else https://rekor.sigstore.dev)',
    })
    .option('timestamp-server-url', { type: 'string', describe: 'RFC 3161 timestamp authority for keyless signing (default: the signing config, else none)' })
    .option('oidc-issuer', { type: 'string', describe: 'Keyless login: the OIDC issuer (default: the signing config, else https://oauth2.sigstore.dev/auth)' })
    .option('oidc-client-id', { type: 'string', describe: 'Keyless login: the OIDC client id (default sigstore)' })
    .option('oidc-client-secret-file', { type: 'string', describe: 'Keyless login: a file holding the OIDC client secret' })
    .option('oidc-redirect-url', {
      type: 'string',
      describe: 'Keyless browser login: the loopback redirect URL (default http://127.0.0.1:0/auth/callback, any free port)',
    })
    .option('oidc-provider', {
      type: 'string',
      describe:
        'Keyless: take the token only from this ambient provider (envvar, github-actions, buildkite-agent, filesystem, google-workload-identity, google-impersonate, spiffe)',
    })
    .option('oidc-disable-ambient-providers', { type: 'boolean', describe: 'Keyless: never read ambient CI credentials' })
    .option('fulcio-auth-flow', { type: 'string', describe: 'Keyless login: normal (browser), device, or token (never log in)' })
    .option('signing-config', { type: 'string', describe: 'A signing_config.json naming the Fulcio, Rekor (v1 or v2) and TSAs to use' })
    .option('use-signing-config', {
      type: 'boolean',
      describe: 'Take the services from the signing config of the TUF cache (default: when it has one and no service URL is given)',
    });

/** The signing flags: --key, --tlog-upload, the keyless ones, and --yes where the command has it. */
export type SigningFlags = GroupFlags<typeof optionalSigningKeyOption> &
  GroupFlags<typeof keylessOptions> &
  GroupFlags<typeof tlogUploadOption> & { yes?: boolean | undefined };

/**
 * How to sign, from --key, --tlog-upload, the keyless flags and --yes; src/ops/signing chooses
 * and loads the signer from it.
 */
export function signingOptions(argv: SigningFlags): SigningOptions {
  const str = (v: string | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const o: SigningOptions = {};
  const set = <K extends keyof SigningOptions>(k: K, v: SigningOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('key', argv.key);
  set('tlogUpload', argv.tlogUpload === true ? true : undefined);
  set('identityToken', str(argv.identityToken));
  set('fulcioUrl', str(argv.fulcioUrl));
  set('rekorUrl', str(argv.rekorUrl));
  set('tsaUrl', str(argv.timestampServerUrl));
  set('signingConfig', str(argv.signingConfig));
  set('useSigningConfig', typeof argv.useSigningConfig === 'boolean' ? argv.useSigningConfig : undefined);
  set('oidcIssuer', str(argv.oidcIssuer));
  set('oidcClientId', str(argv.oidcClientId));
  set('oidcClientSecretFile', str(argv.oidcClientSecretFile));
  set('oidcRedirectUrl', str(argv.oidcRedirectUrl));
  set('oidcProvider', str(argv.oidcProvider));
  set('oidcDisableAmbientProviders', argv.oidcDisableAmbientProviders === true ? true : undefined);
  set('fulcioAuthFlow', str(argv.fulcioAuthFlow));
  set('yes', argv.yes === true ? true : undefined);
  return o;
}

/** --tlog-upload for key signing (docs/sign.md): off by default, so seal signs offline. */
export const tlogUploadOption = <T>(y: Argv<T>) =>
  y.option('tlog-upload', {
    type: 'boolean',
    default: false,
    describe: 'With --key: also log the signature in Rekor (--rekor-url), as cosign does by default (keyless signing always does)',
  });
