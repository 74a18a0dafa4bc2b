import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { CleanOptions } from '../../ops/clean.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { confirm, confirmFromPipe } from '../prompt.ts';
import { opEnv } from '../op-env.ts';

const usage = 'clean <image>';

const flags = (y: Argv) =>
  registryOptions(y)
    .positional('image', { type: 'string', describe: 'Image reference' })
    .option('type', { choices: ['signature', 'attestation', 'sbom', 'all'] as const, default: 'all' as const, describe: 'What to remove' })
    .option('yes', { alias: ['y', 'force', 'f'], type: 'boolean', default: false, describe: 'Do not ask for confirmation' })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' });

type CleanFlags = FlagsOf<typeof flags, typeof usage>;

/** --yes, or an answer on the terminal or the pipe (as cosign reads it); else a usage error. */
async function confirmed(argv: CleanFlags, ctx: CliContext): Promise<void> {
  if (!argv.yes) {
    const question = `This removes ${argv.type === 'all' ? 'all signatures, attestations and SBOMs' : `every ${argv.type}`} of ${argv.image}. Continue?`;
    // Not on a terminal, the answer may be piped in (`yes | seal clean IMAGE`), as cosign reads it.
    const ok = ctx.stdin.isTTY ? await confirm(ctx, question) : await confirmFromPipe(ctx, question);
    if (ok === undefined) throw usageError('seal clean deletes registry content; pass --yes to confirm when not on a terminal');
    if (!ok) throw usageError('cancelled; nothing was removed');
  }
}

export function toOptions(argv: CleanFlags, ctx: CliContext): CleanOptions {
  return { image: argv.image, type: argv.type, store: toStoreOptions(argv, ctx) };
}

const command = defineCommand({
  command: usage,
  describe: 'Remove signatures, attestations and SBOMs attached to an image (never the image)',
  builder: flags,
  examples: [['seal clean --type signature --yes IMAGE', 'Drop every signature, keep attestations and SBOMs']],
  run: async (argv, ctx) => {
    await confirmed(argv, ctx);
    const { cleanImage } = await import('../../ops/clean.ts');
    const result = await cleanImage(toOptions(argv, ctx), opEnv(ctx));
    if (result.removed.length === 0) ctx.log.info(`Nothing to remove for ${argv.image}`);
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

export default command;
