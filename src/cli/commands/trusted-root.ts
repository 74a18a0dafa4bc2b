import type { Argv } from 'yargs';
import { defineCommand, type GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';
import { write, writeJSON } from '../output.ts';
import create from './trusted-root-create.ts';
import { opEnv } from '../op-env.ts';

const cacheDirOption = <T>(y: Argv<T>) =>
  y.option('cache-dir', {
    type: 'string',
    describe: 'TUF cache directory (default: $SEAL_TUF_CACHE, else $XDG_CACHE_HOME/seal/tuf, else ~/.cache/seal/tuf)',
  });

async function cacheDirOf(argv: GroupFlags<typeof cacheDirOption>, ctx: CliContext): Promise<string> {
  if (argv.cacheDir !== undefined) {
    const { resolve } = await import('node:path');
    return resolve(ctx.cwd, argv.cacheDir);
  }
  const { defaultTufCacheDir } = await import('../../sigstore/tuf-cache.ts');
  return defaultTufCacheDir(ctx.env);
}

const update = defineCommand({
  command: 'update',
  describe: 'Fetch the current Sigstore trusted root over TUF into the cache that verification uses offline',
  builder: (y: Argv) =>
    cacheDirOption(y)
      .option('mirror', { type: 'string', describe: 'TUF repository URL (default https://tuf-repo-cdn.sigstore.dev)' })
      .option('root', {
        type: 'string',
        describe: 'Initial trusted TUF root.json (needed for a private mirror; default: the cached one, else the one built in for the public-good mirror)',
      })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' }),
  examples: [
    ['seal trusted-root update', 'Refresh the public-good (sigstore.dev) trust'],
    ['seal trusted-root update --mirror https://tuf.example.com --root root.json', 'A private Sigstore deployment'],
  ],
  run: async (argv, ctx) => {
    const [{ updateTrustedRoot }, { resolve }] = await Promise.all([import('../../ops/trusted-root.ts'), import('node:path')]);
    const summary = await updateTrustedRoot(
      { mirror: argv.mirror, rootPath: argv.root === undefined ? undefined : resolve(ctx.cwd, argv.root), cacheDir: await cacheDirOf(argv, ctx) },
      opEnv(ctx),
    );
    if (argv.output === 'json') return writeJSON(ctx.stdout, summary);
    const lines = [
      `mirror     ${summary.mirror}`,
      `cache      ${summary.dir}`,
      `tuf root   version ${summary.root.version}, expires ${summary.root.expires}`,
      `timestamp  version ${summary.timestamp.version}, expires ${summary.timestamp.expires}`,
      `targets    version ${summary.targets.version}, expires ${summary.targets.expires}`,
      ...summary.files.map((f) => `${f.name}  sha256:${f.sha256} (${f.length} bytes)`),
    ];
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

const show = defineCommand({
  command: 'show',
  describe: 'Print which trusted root verification uses by default and where it came from',
  builder: (y: Argv) => cacheDirOption(y).option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' }),
  examples: [
    ['seal trusted-root show', 'Cache (with its age) or the embedded snapshot'],
    ['seal trusted-root show -o json > trusted_root.json', 'The document itself, for --trusted-root elsewhere'],
  ],
  run: async (argv, ctx) => {
    const { showTrustedRoot } = await import('../../ops/trusted-root.ts');
    const result = await showTrustedRoot({ cacheDir: await cacheDirOf(argv, ctx) });
    for (const w of result.warnings) ctx.log.warn(w);
    if (argv.output === 'json') return writeJSON(ctx.stdout, result.document);
    const c = result.cache;
    const lines = c
      ? [
          `source     TUF cache (seal trusted-root update)`,
          `file       ${result.path}`,
          `mirror     ${c.mirror}`,
          `updated    ${c.updated || 'unknown'}${c.ageSeconds === undefined ? '' : ` (${age(c.ageSeconds)} ago)`}`,
          `tuf root   version ${c.root.version}, expires ${c.root.expires}`,
          `timestamp  version ${c.timestamp.version}, expires ${c.timestamp.expires}`,
          `targets    version ${c.targets.version}, expires ${c.targets.expires}`,
          ...c.files.map((f) => `${f.name}  sha256:${f.sha256} (${f.length} bytes)`),
        ]
      : [`source     embedded snapshot (${result.path}); no TUF cache`, `           run seal trusted-root update for current trust`];
    if (c?.files.some((f) => f.name === 'signing_config.v0.2.json')) lines.push(await signingLine(await cacheDirOf(argv, ctx)));
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

/** Which services keyless signing takes from the cached signing config (seal signing-config show). */
async function signingLine(cacheDir: string): Promise<string> {
  const { showSigningServices } = await import('../../ops/signing-config-show.ts');
  try {
    const r = await showSigningServices({ useSigningConfig: true, tufCacheDir: cacheDir, cwd: '.' });
    const tsa = r.tsa.length > 0 ? r.tsa.map((t) => `TSA ${t.url}`).join(', ') : 'no TSA';
    return `signing    Fulcio ${r.fulcio.url}; ${r.rekor.map((l) => `Rekor v${l.apiVersion} ${l.url}`).join(', ')}; ${tsa}`;
  } catch (err) {
    return `signing    the cached signing config is not usable: ${(err as Error).message}`;
  }
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} days`;
}

const command = defineCommand({
  command: 'trusted-root',
  describe: 'Get current Sigstore trust over TUF (update), see what verification uses (show), write one for a private deployment (create)',
  subcommands: [update, show, create],
});

export default command;
