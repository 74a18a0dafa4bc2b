import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import { defineCommand } from '../command.ts';
import { formatOption, signatureFormat } from '../options/format.ts';
import { loadSigningKey, signingKeyOption } from '../options/key.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';

export default defineCommand({
  command: 'sign <images..>',
  describe: 'Sign container images (legacy .sig tags or Sigstore bundle referrers)',
  builder: (y: Argv) =>
    formatOption(registryOptions(signingKeyOption(y)))
      .positional('images', { type: 'string', array: true, describe: 'Image references: REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG]' })
      .option('annotations', { alias: 'a', type: 'string', describe: 'Signed annotation key=value (repeatable)' })
      .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: 'Also sign every manifest of an index' })
      .option('tlog-upload', { type: 'boolean', default: false, describe: 'Upload to a transparency log (not supported yet)' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Skip confirmations (seal never prompts when signing with a key)' })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'json: print what was signed on stdout' })
      .option('concurrency', { type: 'number', default: 4, describe: 'Images signed at once' }),
  examples: [
    ['seal sign --key cosign.key registry.example.com/app:1.2', 'Sign the manifest that tag 1.2 points to now'],
    ['seal sign --key cosign.key -a git_sha=$SHA --format bundle IMAGE@sha256:…', 'cosign v3 format, with an annotation'],
    ['seal sign --key cosign.key -r oci:./layout:latest', 'Sign an index and every platform image in a local OCI layout'],
  ],
  run: async (argv, ctx) => {
    if (argv['tlog-upload']) {
      throw usageError('transparency log upload is not supported yet', { hint: 'sign with --key and without --tlog-upload' });
    }
    const format = signatureFormat(argv, ctx);
    const { parseAnnotations } = await import('../../cosign/annotations.ts');
    const annotations = parseAnnotations(argv.annotations);
    const signer = await loadSigningKey(argv.key, ctx);
    const { signImages } = await import('../../ops/sign.ts');
    const results = await signImages(
      {
        images: argv.images,
        annotations,
        recursive: argv.recursive,
        format,
        store: toStoreOptions(argv, ctx),
        concurrency: argv.concurrency,
      },
      signer,
      ctx.log,
    );
    if (argv.output === 'json') await writeJSON(ctx.stdout, results);
  },
});
