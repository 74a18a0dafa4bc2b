import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write, writeJSON } from '../output.ts';
import { opEnv } from '../op-env.ts';

const command = defineCommand({
  command: 'tree <image>',
  describe: 'Show signatures, attestations, SBOMs and referrers attached to an image',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' })
      .option('experimental-oci11', { type: 'boolean', hidden: true, describe: 'cosign: seal always shows OCI 1.1 referrers' }),
  examples: [['seal tree -o json IMAGE | jq ".entries[].kind"', 'What kinds of artifacts are attached']],
  run: async (argv, ctx) => {
    const { imageTree, renderTree } = await import('../../ops/tree.ts');
    const tree = await imageTree({ image: argv.image, store: toStoreOptions(argv, ctx) }, opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, tree);
    else await write(ctx.stdout, renderTree(tree));
  },
});

export default command;
