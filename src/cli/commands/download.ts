import type { Argv } from 'yargs';
import { SealError } from '../../errors.ts';
import type { DownloadSbomOptions } from '../../ops/sbom.ts';
import { defineCommand, type FlagsOf, type SealCommand } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';
import { opEnv } from '../op-env.ts';

const signature = defineCommand({
  command: 'signature <image>',
  describe: 'Print every signature of an image, one JSON document per line',
  builder: (y: Argv) => registryOptions(y).positional('image', { type: 'string', describe: 'Image reference' }),
  examples: [['seal download signature IMAGE | jq -r .Base64Signature', 'The raw legacy signatures']],
  run: async (argv, ctx) => {
    const { downloadSignatures } = await import('../../ops/download-signature.ts');
    const lines = await downloadSignatures({ image: argv.image, store: toStoreOptions(argv, ctx) }, opEnv(ctx));
    if (lines.length === 0) throw new SealError('no-signatures', `no signatures found for ${argv.image}`);
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

const attestation = defineCommand({
  command: 'attestation <image>',
  describe: 'Print every attestation of an image (unverified), one JSON document per line',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('predicate-type', { type: 'string', describe: 'Only this predicate type (alias such as vuln, or a URI)' })
      .option('platform', { type: 'string', describe: 'os/arch[/variant]: the attestations of this platform image of an index' }),
  examples: [['seal download attestation --predicate-type vuln IMAGE', 'The stored scan attestations']],
  run: async (argv, ctx) => {
    const { downloadAttestations } = await import('../../ops/download-attestation.ts');
    const lines = await downloadAttestations(
      { image: argv.image, predicateType: argv.predicateType, platform: argv.platform, store: toStoreOptions(argv, ctx) },
      opEnv(ctx),
    );
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

const sbomUsage = 'sbom <image>';

const sbomFlags = (y: Argv) =>
  registryOptions(y)
    .positional('image', { type: 'string', describe: 'Image reference' })
    .option('platform', { type: 'string', describe: 'os/arch[/variant] of a multi-platform image' })
    .option('output-file', { type: 'string', describe: 'Write the SBOM to this file instead of stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'Accepted for older scripts: --output-file is replaced when it exists, as cosign does' });

export function toDownloadSbomOptions(argv: FlagsOf<typeof sbomFlags, typeof sbomUsage>, ctx: CliContext): DownloadSbomOptions {
  return { image: argv.image, platform: argv.platform, store: toStoreOptions(argv, ctx) };
}

const sbom = defineCommand({
  command: sbomUsage,
  describe: 'Print the SBOM attached to an image (exact bytes), or one carried in an attestation',
  builder: sbomFlags,
  examples: [['seal download sbom --platform linux/amd64 IMAGE > sbom.json', 'The SBOM of one platform']],
  run: async (argv, ctx) => {
    const options = toDownloadSbomOptions(argv, ctx);
    const [{ downloadSbom }, { withProgress, storeLogTo }] = await Promise.all([import('../../ops/sbom.ts'), import('../op-env.ts')]);
    const found = await withProgress(ctx, (env) => downloadSbom(storeLogTo(options, env), env));
    ctx.log.info(`Found SBOM of media type ${found.mediaType} in ${found.source}`);
    if (argv.outputFile) {
      const { writeFileAtomic } = await import('../../fs/atomic.ts');
      await writeFileAtomic(argv.outputFile, found.bytes, { overwrite: true }); // replaced, as cosign does
      ctx.log.info(`SBOM written to ${argv.outputFile}`);
    } else {
      await write(ctx.stdout, found.bytes);
    }
  },
});

export const downloadSubcommands: SealCommand[] = [signature, attestation, sbom];

const command = defineCommand({
  command: 'download',
  describe: 'Download signatures, attestations or SBOMs attached to an image',
  subcommands: downloadSubcommands,
});

export default command;
