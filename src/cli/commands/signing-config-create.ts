import type { Argv } from 'yargs';
import type { SigningConfigCreateOptions } from '../../ops/signing-config-create.ts';
import { defineCommand, type Args, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { writeDocument } from '../output.ts';

const list = (v: unknown): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String));
const SPEC = 'url=URL,api-version=N,start-time=T,operator=NAME[,end-time=T] (repeatable)';

const flags = (y: Argv) =>
  y
    .option('fulcio', { type: 'string', array: true, describe: SPEC })
    .option('rekor', { type: 'string', array: true, describe: `${SPEC}; api-version=2 for a Rekor v2 log` })
    .option('tsa', { type: 'string', array: true, describe: SPEC })
    .option('oidc-provider', { type: 'string', array: true, describe: SPEC })
    .option('rekor-config', { type: 'string', describe: 'How many logs to write to: ANY, ALL or EXACT:N (required with --rekor)' })
    .option('tsa-config', { type: 'string', describe: 'How many TSAs to ask: ANY, ALL or EXACT:N (required with --tsa)' })
    .option('base-config', { type: 'string', describe: 'Start from this signing config; a service flag replaces that kind of service' })
    .option('with-default-services', { type: 'boolean', default: false, describe: 'Start from the signing config cached by seal trusted-root update' })
    .option('with-default-rekor-v2', { type: 'boolean', default: false, describe: 'As --with-default-services, keeping only Rekor v2 logs' })
    .option('no-default-fulcio', { type: 'boolean', default: false })
    .option('no-default-rekor', { type: 'boolean', default: false })
    .option('no-default-tsa', { type: 'boolean', default: false })
    .option('no-default-oidc', { type: 'boolean', default: false })
    .option('out', { type: 'string', describe: 'Write to this file (default: stdout)' });

export async function toOptions(argv: FlagsOf<typeof flags>, ctx: CliContext): Promise<SigningConfigCreateOptions> {
  // yargs reads --no-default-X as "default-X: false", a flag no builder declares; both spellings land here.
  const no = (k: 'fulcio' | 'rekor' | 'tsa' | 'oidc') => argv[`no-default-${k}`] || (argv as Args)[`default-${k}`] === false;
  const [{ resolve }, { defaultTufCacheDir }] = await Promise.all([import('node:path'), import('../../sigstore/tuf-cache-dir.ts')]);
  return {
    fulcio: list(argv.fulcio),
    rekor: list(argv.rekor),
    tsa: list(argv.tsa),
    oidcProvider: list(argv.oidcProvider),
    rekorConfig: argv.rekorConfig,
    tsaConfig: argv.tsaConfig,
    baseConfig: argv.baseConfig === undefined ? undefined : resolve(ctx.cwd, argv.baseConfig),
    withDefaultServices: argv.withDefaultServices,
    withDefaultRekorV2: argv.withDefaultRekorV2,
    noDefault: { fulcio: no('fulcio'), rekor: no('rekor'), tsa: no('tsa'), oidc: no('oidc') },
    tufCacheDir: defaultTufCacheDir(ctx.env),
  };
}

/** `seal signing-config create` (cosign's flags), a subcommand of signing-config. */
const create = defineCommand({
  command: 'create',
  describe: 'Write a signing config (which Fulcio, Rekor, TSA and OIDC services signing uses) from service specifications',
  builder: flags,
  examples: [
    [
      'seal signing-config create --fulcio url=https://fulcio.example.com,api-version=1,start-time=2025-01-01T00:00:00Z,operator=example.com --rekor url=https://rekor.example.com,api-version=1,start-time=2025-01-01T00:00:00Z,operator=example.com --rekor-config ANY --out signing_config.json',
      'A private deployment',
    ],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { createSigningConfig } = await import('../../ops/signing-config-create.ts');
    const doc = await createSigningConfig(options);
    const text = JSON.stringify(doc, null, 2) + '\n';
    await writeDocument(ctx, text, argv.out, 'signing config');
  },
});

export default create;
