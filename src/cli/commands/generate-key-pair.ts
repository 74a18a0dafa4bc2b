import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import type { GenerateKeyPairOptions, TokenKeyPairOptions } from '../../ops/generate-key-pair.ts';

const usage = 'generate-key-pair [target]';

const flags = (y: Argv) =>
  y
    .positional('target', {
      type: 'string',
      describe: 'cosign: k8s://NS/NAME, github://OWNER/REPO, gitlab://PROJECT: refused; seal writes the files (store them yourself)',
    })
    .option('output-key-prefix', { type: 'string', default: 'cosign', describe: 'Write <prefix>.key (mode 0600) and <prefix>.pub (0644)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Overwrite an existing key pair' })
    .option('kms', { type: 'string', describe: 'Create the key on a PKCS#11 token (pkcs11:token=…;object=…) and write only <prefix>.pub' });

/** The key pair to write; with --kms (a TokenKeyPairOptions) the key is made on a token and only the .pub is written. */
export function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): GenerateKeyPairOptions | TokenKeyPairOptions {
  if (argv.target !== undefined) throw refusedTarget(argv.target);
  const o = { outputKeyPrefix: argv.outputKeyPrefix, force: argv.force, cwd: ctx.cwd };
  return argv.kms === undefined ? o : { ...o, kms: argv.kms, env: ctx.env };
}

/** cosign's key pair targets (a Kubernetes secret, CI variables): refused with exit 2, naming how to store the files seal writes. */
function refusedTarget(target: string): Error {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1]?.toLowerCase();
  const hint =
    scheme === 'k8s'
      ? 'run seal generate-key-pair, then kubectl create secret generic NAME -n NAMESPACE --from-file=cosign.key --from-file=cosign.pub --from-literal=cosign.password="$COSIGN_PASSWORD"'
      : scheme === 'github' || scheme === 'gitlab'
        ? 'run seal generate-key-pair, then store cosign.key, cosign.pub and the password as CI secrets (sign with --key env://VAR)'
        : 'seal generate-key-pair takes no argument; --output-key-prefix names the files';
  const what = scheme ? `${scheme}:// targets are not supported by seal` : `unexpected argument ${JSON.stringify(target)}`;
  return usageError(`generate-key-pair ${what}`, { hint, code: 'UNSUPPORTED_KEY_REF' });
}

// Not `export default defineCommand(...)`: tsc 5.9 then leaves the dynamic import paths in this file
// as .ts in dist/ (rewriteRelativeImportExtensions skips the whole file), and the built CLI breaks.
const command = defineCommand({
  command: usage,
  describe: 'Create an ECDSA P-256 key pair in cosign format (<prefix>.key encrypted, <prefix>.pub)',
  builder: flags,
  examples: [
    ['SEAL_PASSWORD=… seal generate-key-pair', 'cosign.key and cosign.pub, password from the environment'],
    ['seal generate-key-pair --output-key-prefix keys/release', 'keys/release.key and keys/release.pub; asks for the password twice'],
    ['printf %s "$PW" | seal generate-key-pair', 'Password piped on stdin (one trailing newline is dropped)'],
    [
      "seal generate-key-pair --kms 'pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so'",
      'A P-256 key on a token (PIN: COSIGN_PKCS11_PIN or asked); cosign.pub',
    ],
  ],
  run: async (argv, ctx) => {
    const [{ generateKeyPairFiles, generateTokenKeyPair }, { opEnv }] = await Promise.all([import('../../ops/generate-key-pair.ts'), import('../op-env.ts')]);
    const options = toOptions(argv, ctx);
    if ('kms' in options) await generateTokenKeyPair(options, opEnv(ctx));
    else await generateKeyPairFiles(options, opEnv(ctx));
  },
});

export default command;
