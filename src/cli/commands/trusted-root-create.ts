import type { Argv } from 'yargs';
import type { TrustedRootCreateOptions } from '../../ops/trusted-root-create.ts';
import { defineCommand, type Args, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { writeDocument } from '../output.ts';

const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));

const flags = (y: Argv) =>
  y
    .option('fulcio', { type: 'string', array: true, describe: 'url=URL,certificate-chain=PEM[,start-time=T][,end-time=T] (repeatable)' })
    .option('rekor', {
      type: 'string',
      array: true,
      describe: 'url=URL,public-key=PEM,start-time=T[,end-time=T][,origin=NAME] (repeatable; origin for Rekor v2)',
    })
    .option('ctfe', { type: 'string', array: true, describe: 'url=URL,public-key=PEM,start-time=T[,end-time=T][,origin=NAME] (repeatable)' })
    .option('tsa', { type: 'string', array: true, describe: 'url=URL,certificate-chain=PEM (leaf first)[,start-time=T][,end-time=T] (repeatable)' })
    .option('with-default-services', { type: 'boolean', default: false, describe: 'Start from the current public-good root (TUF cache, else embedded)' })
    .option('no-default-fulcio', { type: 'boolean', default: false, describe: "Drop the default root's Fulcio CAs" })
    .option('no-default-rekor', { type: 'boolean', default: false, describe: "Drop the default root's Rekor logs" })
    .option('no-default-ctfe', { type: 'boolean', default: false, describe: "Drop the default root's CT logs" })
    .option('no-default-tsa', { type: 'boolean', default: false, describe: "Drop the default root's TSAs" })
    .option('out', { type: 'string', describe: 'Write to this file (default: stdout)' });

export async function toOptions(argv: FlagsOf<typeof flags>, ctx: CliContext): Promise<TrustedRootCreateOptions> {
  // yargs reads --no-default-X as "default-X: false", a flag no builder declares; both spellings land here.
  const no = (k: 'fulcio' | 'rekor' | 'ctfe' | 'tsa') => argv[`no-default-${k}`] || (argv as Args)[`default-${k}`] === false;
  const [{ resolve }, { defaultTufCacheDir }] = await Promise.all([import('node:path'), import('../../sigstore/tuf-cache-dir.ts')]);
  const inCwd = (specs: string[]) =>
    specs.map((s) => s.replace(/(^|,)(certificate-chain|public-key)=([^,]+)/g, (_m, a, k, f) => `${a}${k}=${resolve(ctx.cwd, f)}`));
  return {
    fulcio: inCwd(list(argv.fulcio)),
    rekor: inCwd(list(argv.rekor)),
    ctfe: inCwd(list(argv.ctfe)),
    tsa: inCwd(list(argv.tsa)),
    withDefaultServices: argv.withDefaultServices,
    noDefault: { fulcio: no('fulcio'), rekor: no('rekor'), ctfe: no('ctfe'), tsa: no('tsa') },
    tufCacheDir: defaultTufCacheDir(ctx.env),
  };
}

/** `seal trusted-root create` (cosign's flags), a subcommand of trusted-root.ts. */
const create = defineCommand({
  command: 'create',
  describe: 'Write a trusted root for a private Sigstore deployment from service specifications',
  builder: flags,
  examples: [
    [
      'seal trusted-root create --fulcio url=https://fulcio.example.com,certificate-chain=fulcio.pem --rekor url=https://rekor.example.com,public-key=rekor.pub,start-time=2025-01-01T00:00:00Z --out trusted_root.json',
      'A private deployment',
    ],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { createTrustedRoot } = await import('../../ops/trusted-root-create.ts');
    const doc = await createTrustedRoot(options);
    const text = JSON.stringify(doc, null, 2) + '\n';
    await writeDocument(ctx, text, argv.out, 'trusted root');
  },
});

export default create;
