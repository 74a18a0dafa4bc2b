import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { CopyOptions } from '../../ops/copy.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';

const KINDS = ['sig', 'att', 'sbom', 'referrers'] as const;
type Kind = (typeof KINDS)[number];

/** `--only sig,att` (repeatable) → the kinds, each once, in the order given. */
function parseOnly(values: unknown): Kind[] {
  const list = (Array.isArray(values) ? values : [values]).flatMap((v) => String(v).split(','));
  const kinds: Kind[] = [];
  for (const raw of list.map((s) => s.trim()).filter(Boolean)) {
    if (!(KINDS as readonly string[]).includes(raw)) {
      throw usageError(`--only: unknown kind "${raw}"; use a comma-separated list of ${KINDS.join(', ')}`);
    }
    if (!kinds.includes(raw as Kind)) kinds.push(raw as Kind);
  }
  if (kinds.length === 0) throw usageError(`--only needs at least one of ${KINDS.join(', ')}`);
  return kinds;
}

const usage = 'copy <source> <destination>';

const flags = (y: Argv) =>
  registryOptions(y)
    .positional('source', { type: 'string', describe: 'Image to copy (registry reference or oci:DIR[:TAG])' })
    .positional('destination', { type: 'string', describe: 'Repository, optionally with a tag (default: the source tag), or oci:DIR[:TAG]' })
    .option('only', { type: 'string', describe: 'Copy only these attachments: sig, att, sbom, referrers (comma-separated)' })
    .option('attachments', { type: 'boolean', default: true, describe: 'Copy attachments (--no-attachments: the image alone)' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Replace the destination .sig/.att/.sbom images instead of merging' })
    .option('recursive', {
      alias: 'r',
      type: 'boolean',
      default: true,
      describe: "Copy the attachments of an index's children too (--no-recursive: the index's own)",
    })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' })
    .option('sig-only', { type: 'boolean', describe: 'cosign: copy only the signatures (the same as --only sig)' })
    .option('platform', { type: 'string', describe: 'os/arch[/variant]: copy only this platform image of an index, with its attachments' });

export function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): CopyOptions {
  if (argv.only !== undefined && argv.attachments === false) throw usageError('--only and --no-attachments cannot be combined');
  const only = argv.attachments === false ? [] : argv.only === undefined ? undefined : parseOnly(argv.only);
  return {
    src: String(argv.source),
    dst: String(argv.destination),
    only,
    force: Boolean(argv.force),
    recursive: argv.recursive !== false,
    store: toStoreOptions(argv, ctx),
    ...(argv.platform !== undefined ? { platform: String(argv.platform) } : {}),
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Copy an image with its signatures, attestations, SBOMs and referrers to another repository or OCI layout',
  builder: flags,
  examples: [
    ['seal copy registry.a/app:1.4.2 registry.b/app', 'Promote an image with everything attached to it'],
    ['seal copy registry.a/app:1.4.2 oci:./app-1.4.2', 'Save to an OCI layout directory (copy back to load)'],
    ['seal copy --only sig,referrers -o json SRC DST', 'Signatures and referrers only, JSON report on stdout'],
  ],
  run: async (argv, ctx) => {
    const options = toOptions(argv, ctx);
    const [{ copyImageWithAttachments }, { withProgress, storeLogTo }] = await Promise.all([import('../../ops/copy.ts'), import('../op-env.ts')]);
    const report = await withProgress(ctx, (env) => copyImageWithAttachments(storeLogTo(options, env), env));
    if (argv.output === 'json') await writeJSON(ctx.stdout, report);
  },
});

export default command;
