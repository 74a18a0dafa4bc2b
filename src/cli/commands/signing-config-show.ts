import type { Argv } from 'yargs';
import { defineCommand } from '../command.ts';
import { write, writeJSON } from '../output.ts';

/** `seal signing-config show`: which services a keyless signing run with these flags would use. */
const show = defineCommand({
  command: 'show',
  describe: 'Print which Fulcio, Rekor (v1 or v2), TSAs and OIDC issuer a keyless signing run would use, and why',
  builder: (y: Argv) =>
    y
      .option('signing-config', { type: 'string', describe: 'A signing_config.json (default: the one `seal trusted-root update` cached)' })
      .option('use-signing-config', { type: 'boolean', describe: 'Use the cached signing config (default: when there is one and no service URL is given)' })
      .option('fulcio-url', { type: 'string', describe: 'As on sign: replaces the chosen Fulcio' })
      .option('rekor-url', { type: 'string', describe: 'As on sign: a Rekor v1 log replacing the chosen logs' })
      .option('timestamp-server-url', { type: 'string', describe: 'As on sign: replaces the chosen TSAs' })
      .option('oidc-issuer', { type: 'string', describe: 'As on sign: the issuer of an interactive login' })
      .option('format', {
        choices: ['bundle', 'legacy'] as const,
        default: 'bundle',
        describe: 'The image signature format: legacy can only use Rekor v1 logs',
      })
      .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' }),
  examples: [
    ['seal signing-config show', 'The services from the cached (TUF) signing config, or the defaults'],
    ['seal signing-config show --signing-config private.json -o json', 'A private deployment'],
  ],
  run: async (argv, ctx) => {
    const [{ showSigningServices }, { defaultTufCacheDir }] = await Promise.all([
      import('../../ops/signing-config-show.ts'),
      import('../../sigstore/tuf-cache-dir.ts'),
    ]);
    const r = await showSigningServices({
      signingConfig: argv.signingConfig,
      useSigningConfig: argv.useSigningConfig,
      fulcioUrl: argv.fulcioUrl,
      rekorUrl: argv.rekorUrl,
      tsaUrl: argv.timestampServerUrl,
      oidcIssuer: argv.oidcIssuer,
      legacyFormat: argv.format === 'legacy',
      tufCacheDir: defaultTufCacheDir(ctx.env),
      cwd: ctx.cwd,
    });
    if (argv.output === 'json') return writeJSON(ctx.stdout, r);
    const from = (f: string) => (f.startsWith('--') ? ` (${f})` : '');
    const lines = [
      `source  ${r.source}`,
      `fulcio  ${r.fulcio.url}${from(r.fulcio.from)}`,
      ...r.rekor.map((l) => `rekor   ${l.url} (v${l.apiVersion})${from(l.from)}`),
      ...(r.tsa.length > 0 ? r.tsa.map((t) => `tsa     ${t.url}${from(t.from)}`) : ['tsa     none']),
      `oidc    ${r.login.issuer}${from(r.login.from)}`,
    ];
    await write(ctx.stdout, lines.join('\n') + '\n');
  },
});

export default show;
