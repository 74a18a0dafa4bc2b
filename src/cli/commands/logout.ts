import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { writeJSON } from '../output.ts';
import { opEnv } from '../op-env.ts';

const command = defineCommand({
  command: 'logout <registry>',
  describe: 'Remove the stored credentials for a registry',
  builder: (y: Argv) =>
    y
      .positional('registry', { type: 'string', describe: 'Registry host: ghcr.io, localhost:5000, docker.io' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' }),
  examples: [['seal logout ghcr.io', 'From the docker config (or its credential helper)']],
  run: async (argv, ctx) => {
    const { logout } = await import('../../ops/login.ts');
    const result = await logout({ registry: argv.registry, env: ctx.env }, opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

export default command;
