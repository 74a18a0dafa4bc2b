// seal save and seal load: one declaration each (save.ts, load.ts) over the same run, since both are
// a copy between a registry and an OCI layout directory (src/ops/save-load.ts).
import type { Argv } from 'yargs';
import { defineCommand, type SealCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { opEnv } from '../op-env.ts';

export function saveLoadCommand(kind: 'save' | 'load', o: { describe: string; image: string; dir: string; example: [string, string] }): SealCommand {
  return defineCommand({
    command: `${kind} <image>`,
    describe: o.describe,
    builder: (y: Argv) =>
      registryOptions(y)
        .positional('image', { type: 'string', describe: o.image })
        .option('dir', { type: 'string', demandOption: true, describe: o.dir })
        .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'json: the copy report on stdout' }),
    examples: [o.example],
    run: async (argv, ctx) => {
      const [ops, { createProgress }, { resolve }] = await Promise.all([import('../../ops/save-load.ts'), import('../progress.ts'), import('node:path')]);
      const progress = createProgress(ctx);
      const log = progress.wrapLog(ctx.log);
      const options = { image: argv.image, dir: resolve(ctx.cwd, argv.dir), store: { ...toStoreOptions(argv, ctx), log }, progress: (label: string) => progress.callback(label) };
      const report = await (kind === 'save' ? ops.saveImage(options, { ...opEnv(ctx), log }) : ops.loadImage(options, { ...opEnv(ctx), log })).finally(() => progress.end());
      if (argv.output === 'json') await writeJSON(ctx.stdout, report);
    },
  });
}
