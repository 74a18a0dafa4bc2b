// seal save and seal load: one declaration each (save.ts, load.ts) over the same run, since both are
// a copy between a registry and an OCI layout directory (src/ops/save-load.ts).
import type { Argv } from 'yargs';
import type { SaveOptions } from '../../ops/save-load.ts';
import { defineCommand, type FlagsOf, type SealCommand } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';

const flags = (o: { image: string; dir: string }) => (y: Argv) =>
  registryOptions(y)
    .positional('image', { type: 'string', describe: o.image })
    .option('dir', { type: 'string', demandOption: true, describe: o.dir })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json: the copy report on stdout' });

/** The image and the layout directory; the same for save (image → dir) and load (dir → image). */
export async function toOptions(argv: FlagsOf<ReturnType<typeof flags>, '<image>'>, ctx: CliContext): Promise<SaveOptions> {
  const { resolve } = await import('node:path');
  return { image: argv.image, dir: resolve(ctx.cwd, argv.dir), store: toStoreOptions(argv, ctx) };
}

export function saveLoadCommand(kind: 'save' | 'load', o: { describe: string; image: string; dir: string; example: [string, string] }): SealCommand {
  return defineCommand({
    command: `${kind} <image>`,
    describe: o.describe,
    builder: flags(o),
    examples: [o.example],
    run: async (argv, ctx) => {
      const options = await toOptions(argv, ctx);
      const [ops, { withProgress, storeLogTo }] = await Promise.all([import('../../ops/save-load.ts'), import('../op-env.ts')]);
      const op = kind === 'save' ? ops.saveImage : ops.loadImage;
      const report = await withProgress(ctx, (env) => op(storeLogTo(options, env), env));
      if (argv.output === 'json') await writeJSON(ctx.stdout, report);
    },
  });
}
