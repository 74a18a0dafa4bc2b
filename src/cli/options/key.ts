// --key for signing commands and for verifying commands; the key is loaded when the command runs.
import type { Argv } from 'yargs';
import type { Signer, Verifier } from '../../crypto/types.ts';
import { usageError } from '../../errors.ts';
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
  const [{ loadPrivateKey }, { passwordProvider }] = await Promise.all([
    import('../../crypto/keys.ts'),
    import('../password.ts'),
  ]);
  return loadPrivateKey(ref, passwordProvider(ctx, ref, { confirm: false }), { env: ctx.env });
}

export async function loadVerifyingKey(ref: string, ctx: CliContext): Promise<Verifier> {
  const { loadPublicKey } = await import('../../crypto/keys.ts');
  return loadPublicKey(ref, { env: ctx.env });
}

// Keyless signing (docs/keyless.md): used when --key is absent and an identity token is given.
export const keylessOptions = (y: Argv): Argv =>
  y
    .option('identity-token', {
      type: 'string',
      describe: 'OIDC identity token for keyless signing: the JWT or a file holding it (default: SIGSTORE_ID_TOKEN)',
    })
    .option('fulcio-url', { type: 'string', describe: 'Fulcio for keyless signing (default https://fulcio.sigstore.dev)' })
    .option('rekor-url', { type: 'string', describe: 'Rekor (v1 API) for keyless signing and --tlog-upload (default https://rekor.sigstore.dev)' })
    .option('timestamp-server-url', { type: 'string', describe: 'RFC 3161 timestamp authority for keyless signing (default: none)' });

/**
 * The keyless signing options from the flags, or a usage error when there is no identity token.
 * Prints cosign's public-log notice (one line on stderr) unless --yes or a custom Rekor.
 */
export async function keylessFromArgs(
  argv: Args,
  ctx: CliContext,
  command: string,
  /** Refuses flag combinations keyless cannot do, after the token check and before the notice. */
  check?: () => void,
): Promise<KeylessOptions> {
  const { readIdentityToken, isPublicRekor, PUBLIC_LOG_NOTICE } = await import('../../sigstore/keyless.ts');
  const identityToken = await readIdentityToken(argv['identity-token'], ctx.env, ctx.cwd);
  if (identityToken === undefined) {
    throw usageError(`${command} needs --key, or an identity token for keyless signing`, {
      hint: 'pass --key KEY, or --identity-token TOKEN (or set SIGSTORE_ID_TOKEN)',
    });
  }
  check?.();
  if (isPublicRekor(argv['rekor-url']) && !argv.yes) ctx.log.warn(PUBLIC_LOG_NOTICE);
  return {
    identityToken,
    ...(argv['fulcio-url'] ? { fulcioUrl: argv['fulcio-url'] } : {}),
    ...(argv['rekor-url'] ? { rekorUrl: argv['rekor-url'] } : {}),
    ...(argv['timestamp-server-url'] ? { tsaUrl: argv['timestamp-server-url'] } : {}),
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
