import type { Argv, Options } from 'yargs';

const SK = 'seal does not drive PIV security keys; use a PKCS#11 token: --key "pkcs11:token=…;object=…"';
import { defineCommand } from '../command.ts';

// Not `export default defineCommand(...)`: tsc 5.9 then leaves the dynamic import paths in this file
// as .ts in dist/ (rewriteRelativeImportExtensions skips the whole file), and the built CLI breaks.
const command = defineCommand({
  command: 'public-key',
  describe: 'Print the public key (PKIX PEM) of a private key',
  builder: (y: Argv) =>
    y
      .option('key', {
        alias: 'k',
        type: 'string',
        demandOption: 'pass --key with the private key',
        describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR',
      })
      .option('outfile', { type: 'string', describe: 'Write the PEM to this file instead of stdout' })
      .option('force', {
        alias: 'f',
        type: 'boolean',
        default: false,
        describe: 'Accepted for older scripts: --outfile is replaced when it exists, as cosign does',
      })
      .option('sk', { type: 'boolean', hidden: true, refuse: SK } as Options)
      .option('slot', { type: 'string', hidden: true, refuse: SK } as Options),
  examples: [
    ['seal public-key --key cosign.key > cosign.pub', 'The public key on stdout'],
    ['seal public-key --key env://SIGNING_KEY --outfile release.pub', 'From a key held in an environment variable'],
  ],
  run: async (argv, ctx) => {
    const [{ exportPublicKey }, { opEnv }] = await Promise.all([import('../../ops/public-key.ts'), import('../op-env.ts')]);
    await exportPublicKey({ key: argv.key, outfile: argv.outfile, force: true, cwd: ctx.cwd, env: ctx.env }, opEnv(ctx));
  },
});

export default command;
