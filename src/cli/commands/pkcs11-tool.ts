import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { Pkcs11ToolOptions } from '../../ops/pkcs11-tool.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { opEnv } from '../op-env.ts';

const moduleOption = <T>(y: Argv<T>) =>
  y.option('module-path', { type: 'string', describe: 'Absolute path to the PKCS11 module (default: COSIGN_PKCS11_MODULE_PATH)' }).option('no-input', {
    alias: 'f',
    type: 'boolean',
    default: false,
    describe: 'Skip warnings and confirmations (accepted for cosign; seal asks none here)',
  });

const listTokens = defineCommand({
  command: 'list-tokens',
  describe: 'List all PKCS11 tokens linked to a module',
  builder: (y: Argv) => moduleOption(y),
  examples: [['seal pkcs11-tool list-tokens --module-path /usr/lib/softhsm/libsofthsm2.so', 'Every token of the SoftHSM module']],
  run: async (argv, ctx) => {
    const { listTokensOp } = await import('../../ops/pkcs11-tool.ts');
    await listTokensOp({ modulePath: argv.modulePath, env: ctx.env }, opEnv(ctx));
  },
});

const listKeysUrisFlags = (y: Argv) =>
  moduleOption(y)
    .option('slot-id', { type: 'number', default: 0, describe: 'Id of the PKCS11 slot (list-tokens shows it)' })
    .option('pin', { type: 'string', describe: 'PIN of the token (default: COSIGN_PKCS11_PIN, else asked on a terminal); never printed' });

export function toListKeysUrisOptions(argv: FlagsOf<typeof listKeysUrisFlags>, ctx: CliContext): Pkcs11ToolOptions & { slotId: number; pin?: string } {
  const slotId = argv.slotId;
  if (!Number.isSafeInteger(slotId) || slotId < 0) throw usageError(`--slot-id ${String(slotId)} is not a slot number`);
  return { modulePath: argv.modulePath, env: ctx.env, slotId, ...(argv.pin !== undefined ? { pin: String(argv.pin) } : {}) };
}

const listKeysUris = defineCommand({
  command: 'list-keys-uris',
  describe: 'List URIs of all keys in a PKCS11 token',
  builder: listKeysUrisFlags,
  examples: [
    ['COSIGN_PKCS11_PIN=… seal pkcs11-tool list-keys-uris --module-path /usr/lib/softhsm/libsofthsm2.so --slot-id 1', 'The URI of each key, for --key'],
  ],
  run: async (argv, ctx) => {
    const options = toListKeysUrisOptions(argv, ctx);
    const { listKeysUrisOp } = await import('../../ops/pkcs11-tool.ts');
    await listKeysUrisOp(options, opEnv(ctx));
  },
});

// Not `export default defineCommand(...)`: see command.ts.
const command = defineCommand({
  command: 'pkcs11-tool',
  describe: 'Provides utilities for retrieving information from a PKCS11 token',
  subcommands: [listTokens, listKeysUris],
});

export default command;
