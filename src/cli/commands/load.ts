import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';

const command = defineCommand({
  command: 'load <image>',
  describe: 'Load an image and everything attached to it from an OCI layout directory (seal save or cosign save) into a registry (cosign load)',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Destination: repository, optionally with a tag' })
      .option('dir', { type: 'string', demandOption: true, describe: 'The layout directory' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'json: the copy report on stdout' }),
  examples: [['seal load --dir ./app-1.4.2 registry.internal/app:1.4.2', 'Into an air-gapped registry, signatures included']],
  run: async (argv, ctx) => {
    const [{ loadImage }, { createProgress }, { resolve }] = await Promise.all([import('../../ops/save-load.ts'), import('../progress.ts'), import('node:path')]);
    const progress = createProgress(ctx);
    const log = progress.wrapLog(ctx.log);
    const report = await loadImage(
      { image: argv.image, dir: resolve(ctx.cwd, argv.dir), store: { ...toStoreOptions(argv, ctx), log }, progress: (label) => progress.callback(label) },
      log,
    ).finally(() => progress.end());
    if (argv.output === 'json') await writeJSON(ctx.stdout, report);
  },
});

export default command;
