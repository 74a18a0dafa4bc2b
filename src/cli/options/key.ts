// --key for signing commands and for verifying commands; the key is loaded when the command runs.
import type { Argv } from 'yargs';
import type { Signer, Verifier } from '../../crypto/types.ts';
import type { CliContext } from '../context.ts';

export const signingKeyOption = (y: Argv): Argv =>
  y.option('key', {
    alias: 'k',
    type: 'string',
    demandOption: 'pass --key with a private key (cosign.key, a PEM file or env://VAR)',
    describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR',
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
