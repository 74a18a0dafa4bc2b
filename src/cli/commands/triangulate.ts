import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';
import { opEnv } from '../op-env.ts';

const command = defineCommand({
  command: 'triangulate <image>',
  describe: 'Print where cosign-style signatures, attestations or SBOMs of an image are stored',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('type', { choices: ['signature', 'attestation', 'sbom', 'digest'] as const, default: 'signature' as const }),
  examples: [['seal triangulate --type attestation registry.example.com/app:1.2', 'repo:sha256-<hex>.att']],
  run: async (argv, ctx) => {
    const { triangulate } = await import('../../ops/triangulate.ts');
    const ref = await triangulate({ image: argv.image, type: argv.type, store: toStoreOptions(argv, ctx) }, opEnv(ctx));
    await write(ctx.stdout, ref + '\n');
  },
});

export default command;
