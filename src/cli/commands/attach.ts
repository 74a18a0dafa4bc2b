import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { readInput } from '../read-input.ts';

const sbom = defineCommand({
  command: 'sbom <image>',
  describe: "Attach an SBOM to an image under cosign's .sbom tag (unsigned; prefer seal attest)",
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('sbom', { type: 'string', demandOption: 'pass --sbom FILE (or - for stdin)', describe: 'SBOM file, or - for stdin' })
      .option('type', { choices: ['spdx', 'cyclonedx', 'syft'] as const, describe: 'SBOM type; default: detected from the content' })
      .option('input-format', { choices: ['json', 'xml', 'text'] as const, describe: 'Encoding; default: detected' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' }),
  examples: [['syft IMAGE -o spdx-json > sbom.json && seal attach sbom --sbom sbom.json IMAGE', 'Type and media type detected from the file']],
  run: async (argv, ctx) => {
    const bytes = await readInput(argv.sbom, ctx, 'SBOM file');
    const [{ attachSbom }, { createProgress }] = await Promise.all([import('../../ops/sbom.ts'), import('../progress.ts')]);
    const progress = createProgress(ctx);
    const log = progress.wrapLog(ctx.log); // messages, registry debug output included, erase the bar first
    const result = await attachSbom(
      {
        image: argv.image,
        sbom: bytes,
        filename: argv.sbom,
        type: argv.type,
        inputFormat: argv['input-format'],
        store: { ...toStoreOptions(argv, ctx), log },
        onProgress: progress.callback('Uploading SBOM'),
      },
      log,
    ).finally(() => progress.end());
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

const command = defineCommand({
  command: 'attach',
  describe: 'Attach material (an SBOM) to an image',
  subcommands: [sbom],
});

export default command;
