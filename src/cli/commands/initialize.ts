import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { opEnv } from '../op-env.ts';

const command = defineCommand({
  command: 'initialize',
  describe: 'Fetch Sigstore trust over TUF into the cache verification uses (cosign initialize; same as seal trusted-root update)',
  builder: (y: Argv) =>
    y
      .option('mirror', { type: 'string', describe: 'TUF repository URL (default https://tuf-repo-cdn.sigstore.dev)' })
      .option('root', { type: 'string', describe: 'Initial trusted root.json: a file, or an http(s) URL (pin it with --root-checksum)' })
      .option('root-checksum', { type: 'string', describe: 'sha256 of the initial root (hex), or sha256:HEX / sha512:HEX' })
      .option('staging', { type: 'boolean', default: false, describe: "Sigstore's staging TUF repository (needs --root)" })
      .option('cache-dir', { type: 'string', describe: 'TUF cache directory (default: $SEAL_TUF_CACHE, else ~/.cache/seal/tuf)' }),
  examples: [
    ['seal initialize', 'Refresh the public-good trust, as cosign initialize does'],
    ['seal initialize --mirror https://tuf.example.com --root https://tuf.example.com/root.json --root-checksum HEX', 'A private deployment'],
  ],
  run: async (argv, ctx) => {
    const [{ initialize }, { resolve }, { defaultTufCacheDir }] = await Promise.all([
      import('../../ops/initialize.ts'),
      import('node:path'),
      import('../../sigstore/tuf-cache-dir.ts'),
    ]);
    const root = argv.root === undefined || /^https?:\/\//i.test(argv.root) ? argv.root : resolve(ctx.cwd, argv.root);
    const summary = await initialize(
      {
        mirror: argv.mirror,
        root,
        rootChecksum: argv['root-checksum'],
        staging: argv.staging,
        cacheDir: argv['cache-dir'] === undefined ? defaultTufCacheDir(ctx.env) : resolve(ctx.cwd, argv['cache-dir']),
      },
      opEnv(ctx),
    );
    // cosign initialize prints nothing on success; the summary goes to stderr for people.
    ctx.log.info(`Trusted root from ${summary.mirror} cached in ${summary.dir} (TUF root version ${summary.root.version}, timestamp expires ${summary.timestamp.expires})`);
  },
});

export default command;
