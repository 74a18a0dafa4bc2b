// --key for signing commands and for verifying commands; the key is loaded when the command runs.
import type { Argv } from 'yargs';
import type { Signer, Verifier } from '../../crypto/types.ts';
import { SealError, usageError } from '../../errors.ts';
import type { TlogUploadOptions } from '../../sigstore/key-tlog.ts';
import type { KeylessOptions } from '../../sigstore/keyless.ts';
import type { Args } from '../command.ts';
import type { CliContext } from '../context.ts';

export const signingKeyOption = (y: Argv): Argv =>
  y.option('key', {
    alias: 'k',
    type: 'string',
    demandOption: 'pass --key with a private key (cosign.key, a PEM file or env://VAR)',
    describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR',
  });

/** --key for commands that can also sign keylessly (with keylessOptions): not demanded. */
export const optionalSigningKeyOption = (y: Argv): Argv =>
  y.option('key', {
    alias: 'k',
    type: 'string',
    describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR; without it, signs keylessly (docs/keyless.md)',
  });

export const verifyingKeyOption = (y: Argv): Argv =>
  y.option('key', {
    alias: 'k',
    type: 'string',
    demandOption: 'pass --key with the public key (cosign.pub)',
    describe: 'Public key: PKIX PEM (cosign.pub), PKCS#1 RSA PEM, certificate PEM, or env://VAR',
  });

export async function loadSigningKey(ref: string, ctx: CliContext): Promise<Signer> {
  const [{ loadPrivateKey }, { passwordProvider, terminalSecretPrompt }] = await Promise.all([
    import('../../crypto/keys.ts'),
    import('../password.ts'),
  ]);
  return loadPrivateKey(ref, passwordProvider(ctx, ref, { confirm: false }), {
    env: ctx.env,
    askSecret: terminalSecretPrompt(ctx),
    log: ctx.log,
    signal: ctx.signal,
  });
}

export async function loadVerifyingKey(ref: string, ctx: CliContext): Promise<Verifier> {
  const { loadPublicKey } = await import('../../crypto/keys.ts');
  return loadPublicKey(ref, { env: ctx.env });
}

// Keyless signing (docs/keyless.md): used when --key is absent. The identity token comes from
// --identity-token, an ambient CI provider or an interactive login (src/oidc/); the services from
// the flags and the signing config (src/sigstore/signing-services.ts).
export const keylessOptions = (y: Argv): Argv =>
  y
    .option('identity-token', {
      type: 'string',
      describe: 'OIDC identity token for keyless signing: the JWT or a file holding it (default: SIGSTORE_ID_TOKEN, CI providers, else a login on a terminal)',
    })
    .option('fulcio-url', { type: 'string', describe: 'Fulcio for keyless signing (default: the signing config, else https://fulcio.sigstore.dev)' })
    .option('rekor-url', { type: 'string', describe: 'Rekor (v1 API) for keyless signing and --tlog-upload (default: the signing config, else https://rekor.sigstore.dev)' })
    .option('timestamp-server-url', { type: 'string', describe: 'RFC 3161 timestamp authority for keyless signing (default: the signing config, else none)' })
    .option('oidc-issuer', { type: 'string', describe: 'Keyless login: the OIDC issuer (default: the signing config, else https://oauth2.sigstore.dev/auth)' })
    .option('oidc-client-id', { type: 'string', describe: 'Keyless login: the OIDC client id (default sigstore)' })
    .option('oidc-client-secret-file', { type: 'string', describe: 'Keyless login: a file holding the OIDC client secret' })
    .option('oidc-redirect-url', { type: 'string', describe: 'Keyless browser login: the loopback redirect URL (default http://127.0.0.1:0/auth/callback, any free port)' })
    .option('oidc-provider', { type: 'string', describe: 'Keyless: take the token only from this ambient provider (envvar, github-actions, buildkite-agent, filesystem, google-workload-identity, google-impersonate, spiffe)' })
    .option('oidc-disable-ambient-providers', { type: 'boolean', describe: 'Keyless: never read ambient CI credentials' })
    .option('fulcio-auth-flow', { type: 'string', describe: 'Keyless login: normal (browser), device, or token (never log in)' })
    .option('signing-config', { type: 'string', describe: 'A signing_config.json naming the Fulcio, Rekor (v1 or v2) and TSAs to use' })
    .option('use-signing-config', { type: 'boolean', describe: 'Take the services from the signing config of the TUF cache (default: when it has one and no service URL is given)' });

export interface KeylessArgsOptions {
  /** The legacy image format can carry only Rekor v1 entries. */
  legacyFormat?: boolean;
}

/**
 * The keyless signing options from the flags: the services, then the identity token, or an
 * error saying what to set. Prints cosign's public-log notice (one line on stderr) unless --yes
 * or a log other than the public one.
 */
export async function keylessFromArgs(
  argv: Args,
  ctx: CliContext,
  command: string,
  /** Refuses flag combinations keyless cannot do, after the token check and before the notice. */
  check?: () => void,
  options: KeylessArgsOptions = {},
): Promise<KeylessOptions> {
  const [{ isPublicRekor, PUBLIC_LOG_NOTICE }, { chooseSigningServices }, oidc, { defaultTufCacheDir }] = await Promise.all([
    import('../../sigstore/keyless.ts'),
    import('../../sigstore/signing-services.ts'),
    import('../../oidc/index.ts'),
    import('../../sigstore/tuf-cache-dir.ts'),
  ]);
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const services = await chooseSigningServices({
    signingConfig: str(argv['signing-config']),
    useSigningConfig: argv['use-signing-config'] as boolean | undefined,
    fulcioUrl: str(argv['fulcio-url']),
    rekorUrl: str(argv['rekor-url']),
    tsaUrl: str(argv['timestamp-server-url']),
    rekorV1Only: options.legacyFormat === true,
    tufCacheDir: defaultTufCacheDir(ctx.env),
    cwd: ctx.cwd,
  });
  const secretFile = str(argv['oidc-client-secret-file']);
  const stdinTTY = Boolean((ctx.stdin as { isTTY?: boolean }).isTTY);
  let resolved: { token: string; source: string };
  try {
    resolved = await oidc.resolveIdentityToken(
      {
        identityToken: str(argv['identity-token']),
        provider: str(argv['oidc-provider']),
        disableAmbient: argv['oidc-disable-ambient-providers'] === true,
        flow: str(argv['fulcio-auth-flow']),
        issuer: str(argv['oidc-issuer']) ?? services.oidcIssuer?.url,
        clientId: str(argv['oidc-client-id']),
        ...(secretFile ? { clientSecret: await oidc.readClientSecret(secretFile, ctx.cwd) } : {}),
        redirectUrl: str(argv['oidc-redirect-url']),
        terminal: ctx.interactive && stdinTTY,
      },
      { env: ctx.env, fetch: globalThis.fetch, cwd: ctx.cwd, tell: (line) => ctx.log.info(line), signal: ctx.signal, openBrowser: browserOpener(ctx) },
    );
  } catch (err) {
    // Keep cosign's first words for the case scripts look for.
    if (err instanceof SealError && err.code === 'NO_IDENTITY_TOKEN') {
      const why = err.message.startsWith('no identity token') ? 'seal starts a browser login only on a terminal' : err.message;
      throw usageError(`${command} needs --key, or an identity token for keyless signing (${why})`, { ...(err.hint ? { hint: err.hint } : {}), code: err.code });
    }
    throw err;
  }
  check?.();
  const who = oidc.tokenIdentity(resolved.token);
  ctx.log.debug(`identity token from ${resolved.source}${who.identity ? ` for ${who.identity}` : ''}${who.issuer ? ` (issuer ${who.issuer})` : ''}`);
  ctx.log.debug(`services from ${services.source}: Fulcio ${services.fulcio.url}; ${services.rekor.map((r) => `Rekor v${r.apiVersion} ${r.url}`).join(', ')}; ${services.tsa.length ? services.tsa.map((t) => `TSA ${t.url}`).join(', ') : 'no TSA'}`);
  if (services.rekor.some((r) => isPublicRekor(r.url)) && !argv.yes) ctx.log.warn(PUBLIC_LOG_NOTICE);
  return {
    identityToken: resolved.token,
    fulcioUrl: services.fulcio.url,
    rekorUrl: services.rekor[0]!.url,
    rekor: services.rekor.map((r) => ({ url: r.url, apiVersion: r.apiVersion })),
    ...(services.tsa.length > 0 ? { tsaUrl: services.tsa[0]!.url, tsaUrls: services.tsa.map((t) => t.url) } : {}),
  };
}

/** Opens the login URL in a browser where there is a desktop to show it; else the URL printed is all. */
function browserOpener(ctx: CliContext): ((url: string) => void) | undefined {
  const env = ctx.env;
  const platform = process.platform;
  const command =
    platform === 'darwin' ? ['open'] : platform === 'win32' ? ['cmd', '/c', 'start', '""'] : env.DISPLAY || env.WAYLAND_DISPLAY ? ['xdg-open'] : undefined;
  if (!command || env.SEAL_NO_BROWSER) return undefined;
  return (url) => {
    void import('node:child_process').then(({ spawn }) => {
      const child = spawn(command[0]!, [...command.slice(1), url], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
    });
  };
}

/** --tlog-upload for key signing (docs/sign.md): off by default, so seal signs offline. */
export const tlogUploadOption = (y: Argv): Argv =>
  y.option('tlog-upload', {
    type: 'boolean',
    default: false,
    describe: 'With --key: also log the signature in Rekor (--rekor-url), as cosign does by default (keyless signing always does)',
  });

/**
 * The Rekor upload for a key signature, or undefined without --tlog-upload. Prints the public-log
 * notice (one line on stderr) unless --yes or a custom Rekor.
 */
export async function tlogFromArgs(argv: Args, ctx: CliContext): Promise<TlogUploadOptions | undefined> {
  if (argv['tlog-upload'] !== true) return undefined;
  const [{ isPublicRekor }, { KEY_PUBLIC_LOG_NOTICE }] = await Promise.all([
    import('../../sigstore/keyless.ts'),
    import('../../sigstore/key-tlog.ts'),
  ]);
  if (isPublicRekor(argv['rekor-url']) && !argv.yes) ctx.log.warn(KEY_PUBLIC_LOG_NOTICE);
  return argv['rekor-url'] ? { rekorUrl: argv['rekor-url'] } : {};
}
