// The one place where the signing kind is chosen from the options: a key (optionally logged in
// Rekor) or keyless. Operations call openSigner once and use the ArtifactSigner it returns.
import { SealError, usageError } from '../../errors.ts';
import type { OpEnv } from '../op-env.ts';
import { KeyArtifactSigner } from './key.ts';
import { loadKeySigner } from './key-ref.ts';
import type { ArtifactSigner, SigningOptions } from './types.ts';

export type SignerKind = 'key' | 'keyless';

export interface OpenSignerOptions {
  /** The command, for messages ("sign-blob needs --key, or ..."). */
  command: string;
  /**
   * Refuses option combinations the chosen kind cannot do (e.g. keyless without a bundle file),
   * after the identity token is found and before any notice is printed.
   */
  check?: (kind: SignerKind) => void;
  /** Set when stdin carries the input, so a password cannot come from it; names what it carries. */
  stdinInUse?: string;
  /** The legacy image format: it can carry only Rekor v1 entries. */
  legacyFormat?: boolean;
}

/**
 * The signer the options ask for. Nothing is loaded yet for a key (the password is asked when the
 * operation calls prepare()); for keyless the services are chosen and the identity token found
 * now. When signatures go to the public Rekor, its notice is printed now (unless --yes).
 */
export async function openSigner(options: SigningOptions, env: OpEnv, opts: OpenSignerOptions): Promise<ArtifactSigner> {
  const rekor = options.rekorUrl ? { rekorUrl: options.rekorUrl } : {};
  if (options.key !== undefined) {
    const ref = options.key;
    opts.check?.('key');
    const tlog = options.tlogUpload ? rekor : undefined;
    if (tlog && !options.yes) {
      const [{ isPublicRekor }, { KEY_PUBLIC_LOG_NOTICE }] = await Promise.all([import('../../sigstore/keyless.ts'), import('../../sigstore/key-tlog.ts')]);
      if (isPublicRekor(options.rekorUrl)) env.log.warn(KEY_PUBLIC_LOG_NOTICE);
    }
    const load = () => loadKeySigner(ref, env, opts.stdinInUse ? { stdinInUse: opts.stdinInUse } : {});
    return new KeyArtifactSigner(load, { ...(tlog ? { tlog } : {}), env });
  }
  return openKeyless(options, env, opts);
}

/**
 * Keyless: the services (flags, else the signing config, else the public-good instances), then
 * the identity token (src/oidc: the flag, SIGSTORE_ID_TOKEN, ambient CI providers, a login on a
 * terminal), or an error saying what to set.
 */
async function openKeyless(options: SigningOptions, env: OpEnv, opts: OpenSignerOptions): Promise<ArtifactSigner> {
  // @sigstore/sign is loaded only for keyless signing and --tlog-upload.
  const [{ isPublicRekor, PUBLIC_LOG_NOTICE }, { chooseSigningServices }, oidc, { defaultTufCacheDir }, { KeylessArtifactSigner }] = await Promise.all([
    import('../../sigstore/keyless.ts'),
    import('../../sigstore/signing-services.ts'),
    import('../../oidc/index.ts'),
    import('../../sigstore/tuf-cache-dir.ts'),
    import('./keyless.ts'),
  ]);
  const services = await chooseSigningServices({
    signingConfig: options.signingConfig,
    useSigningConfig: options.useSigningConfig,
    fulcioUrl: options.fulcioUrl,
    rekorUrl: options.rekorUrl,
    tsaUrl: options.tsaUrl,
    rekorV1Only: opts.legacyFormat === true,
    tufCacheDir: defaultTufCacheDir(env.vars),
    cwd: env.cwd,
  });
  let resolved: { token: string; source: string };
  try {
    resolved = await oidc.resolveIdentityToken(
      {
        identityToken: options.identityToken,
        provider: options.oidcProvider,
        disableAmbient: options.oidcDisableAmbientProviders === true,
        flow: options.fulcioAuthFlow,
        issuer: options.oidcIssuer ?? services.oidcIssuer?.url,
        clientId: options.oidcClientId,
        ...(options.oidcClientSecretFile ? { clientSecret: await oidc.readClientSecret(options.oidcClientSecretFile, env.cwd) } : {}),
        redirectUrl: options.oidcRedirectUrl,
        terminal: env.interactive,
      },
      { env: env.vars, fetch: globalThis.fetch, cwd: env.cwd, tell: (line) => env.log.info(line), signal: env.signal, openBrowser: env.openBrowser },
    );
  } catch (err) {
    // Keep cosign's first words for the case scripts look for.
    if (err instanceof SealError && err.code === 'NO_IDENTITY_TOKEN') {
      const why = err.message.startsWith('no identity token') ? 'seal starts a browser login only on a terminal' : err.message;
      throw usageError(`${opts.command} needs --key, or an identity token for keyless signing (${why})`, {
        ...(err.hint ? { hint: err.hint } : {}),
        code: err.code,
      });
    }
    throw err;
  }
  opts.check?.('keyless');
  const who = oidc.tokenIdentity(resolved.token);
  env.log.debug(`identity token from ${resolved.source}${who.identity ? ` for ${who.identity}` : ''}${who.issuer ? ` (issuer ${who.issuer})` : ''}`);
  env.log.debug(
    `services from ${services.source}: Fulcio ${services.fulcio.url}; ${services.rekor.map((r) => `Rekor v${r.apiVersion} ${r.url}`).join(', ')}; ${services.tsa.length ? services.tsa.map((t) => `TSA ${t.url}`).join(', ') : 'no TSA'}`,
  );
  if (services.rekor.some((r) => isPublicRekor(r.url)) && !options.yes) env.log.warn(PUBLIC_LOG_NOTICE);
  return new KeylessArtifactSigner(
    {
      identityToken: resolved.token,
      fulcioUrl: services.fulcio.url,
      rekorUrl: services.rekor[0]!.url,
      rekor: services.rekor.map((r) => ({ url: r.url, apiVersion: r.apiVersion })),
      ...(services.tsa.length > 0 ? { tsaUrl: services.tsa[0]!.url, tsaUrls: services.tsa.map((t) => t.url) } : {}),
    },
    env,
  );
}
