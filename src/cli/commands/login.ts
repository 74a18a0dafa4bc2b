import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { LoginOptions } from '../../ops/login.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { opEnv } from '../op-env.ts';

const usage = 'login <registry>';

const flags = (y: Argv) =>
  registryOptions(y)
    // login checks and stores the credentials given here, not other ones.
    .hide('registry-username')
    .hide('registry-password')
    .hide('registry-token')
    .positional('registry', { type: 'string', describe: 'Registry host: ghcr.io, localhost:5000, docker.io' })
    .option('username', { alias: 'u', type: 'string', describe: 'User name (or SEAL_REGISTRY_USERNAME)' })
    .option('password', { alias: 'p', type: 'string', describe: 'Password or token; prefer --password-stdin (a flag shows in ps)' })
    .option('password-stdin', { type: 'boolean', describe: 'Read the password from stdin (one trailing newline removed)' })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' });

/** The credentials to check and store: -u (or SEAL_REGISTRY_USERNAME), and the password from -p, stdin, the environment or a prompt. */
export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): Promise<LoginOptions> {
  const username = argv.username ?? (ctx.env.SEAL_REGISTRY_USERNAME || undefined);
  if (username === undefined) throw usageError('seal login needs a user name', { hint: 'pass -u USER (or set SEAL_REGISTRY_USERNAME)' });
  if (argv.password !== undefined && argv.passwordStdin) throw usageError('--password and --password-stdin cannot be combined');
  let password: string;
  if (argv.password !== undefined) {
    ctx.log.warn('a password given with --password is visible to other users in ps; use --password-stdin');
    password = String(argv.password);
  } else {
    const { registryPasswordProvider } = await import('../password.ts');
    password = Buffer.from(await registryPasswordProvider(ctx, argv.registry, Boolean(argv.passwordStdin))()).toString('utf8');
  }
  // The flags' own credentials would be the ones checked otherwise: login checks the new ones.
  const store = {
    ...toStoreOptions({ ...argv, registryUsername: undefined, registryPassword: undefined, registryToken: undefined }, ctx),
    registryToken: undefined,
  };
  return { registry: argv.registry, username, password, store };
}

const command = defineCommand({
  command: usage,
  describe: 'Check registry credentials and store them where docker login does',
  builder: flags,
  examples: [
    ['echo "$GHCR_TOKEN" | seal login ghcr.io -u ci-bot --password-stdin', 'In CI: the token never shows in ps or logs'],
    ['seal login localhost:5000 -u admin', 'Asks for the password on a terminal'],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { login } = await import('../../ops/login.ts');
    const result = await login(options, opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

export default command;
