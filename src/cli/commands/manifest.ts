import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import type { CliContext } from '../context.ts';
import { verifyFlags, verifyImagesAndReport, type VerifyFlags } from './verify.ts';

/** Reads an image list source and hands the images to `seal verify` with every flag it was given. */
export async function verifyImagesFrom(argv: VerifyFlags, ctx: CliContext, images: string[], what: string): Promise<void> {
  if (images.length === 0) {
    const { SealError } = await import('../../errors.ts');
    throw new SealError('input', `no images found in ${what}`);
  }
  ctx.log.info(`Extracted image(s): ${images.join(', ')}`);
  return verifyImagesAndReport(argv, images, ctx);
}

export async function readListFile(file: string, ctx: CliContext, what: string): Promise<string> {
  const [{ readInput }, { resolve }, { usageError }] = await Promise.all([import('../../fs/read-input.ts'), import('node:path'), import('../../errors.ts')]);
  // An empty argument is no file (resolved, it would name the working directory); `-` is stdin.
  if (file === '') throw usageError(`no file given (the file argument is empty); name ${what}, or - for stdin`);
  return new TextDecoder().decode(await readInput(file === '-' ? file : resolve(ctx.cwd, file), ctx, what));
}

const verify = defineCommand({
  command: 'verify <file>',
  describe: 'Verify the signatures of every image a Kubernetes manifest runs (flags as seal verify)',
  builder: (y: Argv) => verifyFlags(y).positional('file', { type: 'string', describe: 'A YAML or JSON manifest (several documents allowed)' }),
  examples: [['seal manifest verify --key cosign.pub deploy.yaml', 'Exit 0 only when every container and init container image verifies']],
  run: async (argv, ctx) => {
    const { imagesInKubernetesManifest } = await import('../../discover/kubernetes.ts');
    const images = imagesInKubernetesManifest(await readListFile(argv.file, ctx, 'the manifest'), argv.file);
    return verifyImagesFrom(argv, ctx, images, argv.file);
  },
});

const command = defineCommand({
  command: 'manifest',
  describe: 'Images of Kubernetes manifests',
  subcommands: [verify],
});

export default command;
