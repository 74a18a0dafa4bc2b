import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';
import { opEnv } from '../op-env.ts';

const command = defineCommand({
  command: 'generate <image>',
  describe: 'Print the simple-signing payload of an image, to sign elsewhere (two-step signing)',
  builder: (y: Argv) =>
    registryOptions(y)
      .positional('image', { type: 'string', describe: 'Image reference: REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG]' })
      .option('annotations', { alias: 'a', type: 'string', array: true, describe: 'Signed annotation key=value (repeatable)' }),
  examples: [
    ['seal generate registry.example.com/app:1.2 > payload.json', 'The exact bytes seal sign would sign (no trailing newline)'],
    [
      'openssl dgst -sha256 -sign hsm.pem -out payload.sig payload.json && seal attach signature --payload payload.json --signature payload.sig IMAGE',
      'Sign elsewhere, then attach',
    ],
  ],
  run: async (argv, ctx) => {
    const [{ parseAnnotations }, { generatePayload }] = await Promise.all([import('../../cosign/annotations.ts'), import('../../ops/generate.ts')]);
    const generated = await generatePayload(
      { image: argv.image, annotations: parseAnnotations(argv.annotations), store: toStoreOptions(argv, ctx) },
      opEnv(ctx),
    );
    await write(ctx.stdout, generated.payload);
  },
});

export default command;
