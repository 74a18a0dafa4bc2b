import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { write } from '../output.ts';

const command = defineCommand({
  command: 'env',
  describe: 'Print the environment variables seal reads, with their values (secrets masked)',
  builder: (y: Argv) =>
    y
      .option('show-descriptions', { type: 'boolean', default: true, describe: 'A comment line with what each variable does' })
      .option('show-sensitive-values', { type: 'boolean', default: false, describe: 'Print passwords and tokens instead of ******' }),
  examples: [
    ['seal env', 'Every variable with its description'],
    ['seal env --show-descriptions=false | grep =.', 'Only the values, for a bug report (secrets stay masked)'],
  ],
  run: async (argv, ctx) => {
    const { renderEnvironment } = await import('../../ops/env.ts');
    await write(ctx.stdout, renderEnvironment({ env: ctx.env, showDescriptions: argv.showDescriptions, showSensitiveValues: argv.showSensitiveValues }));
  },
});

export default command;
