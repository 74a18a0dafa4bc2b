import type { Argv } from 'yargs';
import type { InitializeOptions } from '../../ops/initialize.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { opEnv } from '../op-env.ts';

const flags = (y: Argv) =>
  y
    .option('mirror', { type: 'string', describe: 'TUF repository URL (default https://tuf-repo-cdn.sigstore.dev)' })
    .option('root', { type: 'string', describe: 'Initial trusted root.json: a file, or an http(s) URL (pin it with --root-checksum)' })
    .option('root-checksum', { type: 'string', describe: 'sha256 of the initial root (hex), or sha256:HEX / sha512:HEX' })
    .option('staging', { type: 'boolean', default: false, describe: "Sigstore's staging TUF repository (needs --root)" })
    .option('cache-dir', { type: 'string', describe: 'TUF cache directory (default: $SEAL_TUF_CACHE, else ~/.cache/seal/tuf)' });

export async function toOptions(argv: FlagsOf<typeof flags>, ctx: CliContext): Promise<InitializeOptions> {
  const [{ resolve }, { defaultTufCacheDir }] = await Promise.all([import('node:path'), import('../../sigstore/tuf-cache-dir.ts')]);
  const root = argv.root === undefined || /^https?:\/\//i.test(argv.root) ? argv.root : resolve(ctx.cwd, argv.root);
  return {
    mirror: argv.mirror,
    root,
    rootChecksum: argv.rootChecksum,
    staging: argv.staging,
    cacheDir: argv.cacheDir === undefined ? defaultTufCacheDir(ctx.env) : resolve(ctx.cwd, argv.cacheDir),
  };
}

const command = defineCommand({
  command: 'initialize',
  describe: 'Fetch Sigstore trust over TUF into the cache verification uses (cosign initialize; same as seal trusted-root update)',
  builder: flags,
  examples: [
    ['seal initialize', 'Refresh the public-good trust, as cosign initialize does'],
    ['seal initialize --mirror https://tuf.example.com --root https://tuf.example.com/root.json --root-checksum HEX', 'A private deployment'],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { initialize } = await import('../../ops/initialize.ts');
    const summary = await initialize(options, opEnv(ctx));
    // cosign initialize prints nothing on success; the summary goes to stderr for people.
    ctx.log.info(
      `Trusted root from ${summary.mirror} cached in ${summary.dir} (TUF root version ${summary.root.version}, timestamp expires ${summary.timestamp.expires})`,
    );
  },
});

export default command;
