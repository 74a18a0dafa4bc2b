import type { Argv } from 'yargs';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import type { GenerateKeyPairOptions, TokenKeyPairOptions } from '../../ops/generate-key-pair.ts';

const flags = (y: Argv) =>
    y
      .option('output-key-prefix', { type: 'string', default: 'cosign', describe: 'Write <prefix>.key (mode 0600) and <prefix>.pub (0644)' })
      .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Overwrite an existing key pair' })
      .option('kms', { type: 'string', describe: 'Create the key on a PKCS#11 token (pkcs11:token=…;object=…) and write only <prefix>.pub' });

/** The key pair to write; with --kms (a TokenKeyPairOptions) the key is made on a token and only the .pub is written. */
export function toOptions(argv: FlagsOf<typeof flags>, ctx: CliContext): GenerateKeyPairOptions | TokenKeyPairOptions {
  const o = { outputKeyPrefix: argv.outputKeyPrefix, force: argv.force, cwd: ctx.cwd };
  return argv.kms === undefined ? o : { ...o, kms: argv.kms, env: ctx.env };
}

// Not `export default defineCommand(...)`: tsc 5.9 then leaves the dynamic import paths in this file
// as .ts in dist/ (rewriteRelativeImportExtensions skips the whole file), and the built CLI breaks.
const command = defineCommand({
  command: 'generate-key-pair',
  describe: 'Create an ECDSA P-256 key pair in cosign format (<prefix>.key encrypted, <prefix>.pub)',
  builder: flags,
  examples: [
    ['SEAL_PASSWORD=… seal generate-key-pair', 'cosign.key and cosign.pub, password from the environment'],
    ['seal generate-key-pair --output-key-prefix keys/release', 'keys/release.key and keys/release.pub; asks for the password twice'],
    ['printf %s "$PW" | seal generate-key-pair', 'Password piped on stdin (one trailing newline is dropped)'],
    ["seal generate-key-pair --kms 'pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so'", 'A P-256 key on a token (PIN: COSIGN_PKCS11_PIN or asked); cosign.pub'],
  ],
  run: async (argv, ctx) => {
    const [{ generateKeyPairFiles, generateTokenKeyPair }, { opEnv }] = await Promise.all([import('../../ops/generate-key-pair.ts'), import('../op-env.ts')]);
    const options = toOptions(argv, ctx);
    if ('kms' in options) await generateTokenKeyPair(options, opEnv(ctx));
    else await generateKeyPairFiles(options, opEnv(ctx));
  },
});

export default command;
