import type { Argv } from 'yargs';
import type { ImportKeyPairOptions } from '../../ops/import-key-pair.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';

const flags = (y: Argv) =>
  y
    .option('key', {
      alias: 'k',
      type: 'string',
      demandOption: 'pass --key with the PEM private key to import',
      describe: 'The private key PEM to import (encrypted PKCS#8: its password from SEAL_IMPORT_PASSWORD or a prompt)',
    })
    .option('output-key-prefix', { alias: 'o', type: 'string', default: 'import-cosign', describe: 'Write <prefix>.key (0600) and <prefix>.pub (0644)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Overwrite an existing key pair' })
    .option('yes', { alias: 'y', type: 'boolean', describe: 'cosign: skip the overwrite confirmation (the same as --force)' });

export function toOptions(argv: FlagsOf<typeof flags>, ctx: CliContext): ImportKeyPairOptions {
  return { key: argv.key, outputKeyPrefix: argv.outputKeyPrefix, force: argv.force, cwd: ctx.cwd };
}

// Not `export default defineCommand(...)`: tsc 5.9 then leaves the dynamic import paths in this file
// as .ts in dist/ (rewriteRelativeImportExtensions skips the whole file), and the built CLI breaks.
const command = defineCommand({
  command: 'import-key-pair',
  describe: 'Convert a PEM private key (RSA, EC, Ed25519; PKCS#1, SEC1, PKCS#8, encrypted PKCS#8) to a cosign key pair',
  builder: flags,
  examples: [
    ['SEAL_PASSWORD=… seal import-key-pair --key ec.pem', 'import-cosign.key and import-cosign.pub'],
    ['SEAL_IMPORT_PASSWORD=old SEAL_PASSWORD=new seal import-key-pair --key enc.p8.pem -o release', 'An encrypted PKCS#8 key, re-encrypted as release.key'],
  ],
  run: async (argv, ctx) => {
    const [{ importKeyPair }, { opEnv }] = await Promise.all([import('../../ops/import-key-pair.ts'), import('../op-env.ts')]);
    await importKeyPair(toOptions(argv, ctx), opEnv(ctx));
  },
});

export default command;
