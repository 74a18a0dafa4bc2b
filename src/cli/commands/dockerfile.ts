import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { verifyFlags } from './verify.ts';
import { readListFile, verifyImagesFrom } from './manifest.ts';

const verify = defineCommand({
  command: 'verify <file>',
  describe: 'Verify the signatures of the images a Dockerfile builds from (FROM, COPY --from; flags as seal verify)',
  builder: (y: Argv) =>
    verifyFlags(y).positional('file', { type: 'string', describe: 'The Dockerfile' }).option('base-image-only', {
      type: 'boolean',
      default: false,
      describe: "Only the image of the last FROM line that names an image (the final stage's base)",
    }),
  examples: [
    ['seal dockerfile verify --key cosign.pub Dockerfile', 'Every base image, build stage and COPY --from image must verify'],
    ['IMAGE=reg.example/app:1 seal dockerfile verify --key k.pub Dockerfile', 'Build args come from ARG/ENV defaults and the environment'],
  ],
  run: async (argv, ctx) => {
    const { imagesInDockerfile } = await import('../../discover/dockerfile.ts');
    const found = imagesInDockerfile(await readListFile(argv.file, ctx, 'the Dockerfile'), ctx.env);
    for (const s of found.skipped) ctx.log.debug(`${argv.file}: ${s} ignored`);
    return verifyImagesFrom(argv, ctx, argv.baseImageOnly ? found.bases.slice(-1) : found.images, argv.file);
  },
});

const command = defineCommand({
  command: 'dockerfile',
  describe: 'Images of Dockerfiles',
  subcommands: [verify],
});

export default command;
