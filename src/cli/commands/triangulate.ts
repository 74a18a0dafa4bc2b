import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';

const command = defineCommand({
  command: 'triangulate <image>',
  describe: 'Print where cosign-style signatures, attestations or SBOMs of an image are stored',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference' })
      .option('type', { choices: ['signature', 'attestation', 'sbom', 'digest'] as const, default: 'signature' }),
  examples: [['seal triangulate --type attestation registry.example.com/app:1.2', 'repo:sha256-<hex>.att']],
  run: async (argv, ctx) => {
    const [{ openImage }, { attachmentTag }, { formatReference }] = await Promise.all([
      import('../../cosign/image.ts'),
      import('../../cosign/layout.ts'),
      import('../../oci/reference.ts'),
    ]);
    const img = await openImage(argv.image, toStoreOptions(argv, ctx), ctx.log);
    const kind = { signature: 'sig', attestation: 'att', sbom: 'sbom' } as const;
    const out =
      argv.type === 'digest'
        ? formatReference(img.ref, { digest: img.digest })
        : `${img.attachStore.name}:${attachmentTag(img.attachStore, img.digest, kind[argv.type as keyof typeof kind])}`;
    await write(ctx.stdout, out + '\n');
  },
});

export default command;
