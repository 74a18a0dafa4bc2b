import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';

const command = defineCommand({
  command: 'save <image>',
  describe: 'Save an image with its signatures, attestations, SBOMs and referrers to an OCI layout directory (cosign save)',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('dir', { type: 'string', demandOption: true, describe: 'The layout directory (created when missing; an existing layout is added to)' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'json: the copy report on stdout' }),
  examples: [['seal save --dir ./app-1.4.2 registry.example.com/app:1.4.2', 'Everything needed to verify it offline (seal verify oci:./app-1.4.2:1.4.2)']],
  run: async (argv, ctx) => {
    const [{ saveImage }, { createProgress }, { resolve }] = await Promise.all([import('../../ops/save-load.ts'), import('../progress.ts'), import('node:path')]);
    const progress = createProgress(ctx);
    const log = progress.wrapLog(ctx.log);
    const report = await saveImage(
      { image: argv.image, dir: resolve(ctx.cwd, argv.dir), store: { ...toStoreOptions(argv, ctx), log }, progress: (label) => progress.callback(label) },
      log,
    ).finally(() => progress.end());
    if (argv.output === 'json') await writeJSON(ctx.stdout, report);
  },
});

export default command;
