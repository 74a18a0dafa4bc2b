import type { Argv } from 'yargs';
import { SealError } from '../../errors.ts';
import { defineCommand, type SealCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';

const signature = defineCommand({
  command: 'signature <image>',
  describe: 'Print every signature of an image, one JSON document per line',
  builder: (y: Argv) => registryOptions(y).positional('image', { type: 'string', describe: 'Image reference' }),
  examples: [['seal download signature IMAGE | jq -r .Base64Signature', 'The raw legacy signatures']],
  run: async (argv, ctx) => {
    const { downloadSignatures } = await import('../../ops/download-signature.ts');
    const lines = await downloadSignatures(argv.image, toStoreOptions(argv, ctx), ctx.log);
    if (lines.length === 0) throw new SealError('no-signatures', `no signatures found for ${argv.image}`);
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

export const downloadSubcommands: SealCommand[] = [signature];

export default defineCommand({
  command: 'download',
  describe: 'Download signatures, attestations or SBOMs attached to an image',
  subcommands: downloadSubcommands,
});
