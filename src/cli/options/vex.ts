// The OpenVEX flags of the gate: --vex FILE (local, unsigned), --no-vex, and who may sign VEX
// attestations when it is not the scan's signer (--vex-key, --vex-certificate-*).
import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { Args } from '../command.ts';
import type { CliContext } from '../context.ts';
import { readInput } from '../../fs/read-input.ts';
import type { VexOptions } from '../../ops/vex.ts';
import { loadTrustPolicy } from './trust.ts';

export const vexOptions = (y: Argv): Argv =>
  y
    .option('vex', {
      type: 'string',
      array: true,
      describe: 'Also apply this OpenVEX document to the gate and report (unsigned, for local use; repeatable)',
    })
    // Its own flag rather than yargs' negation of --vex: the flag table and the fast path know it.
    .option('no-vex', { type: 'boolean', describe: 'Apply no OpenVEX statements at all, not even attached ones' })
    .option('vex-key', { type: 'string', describe: 'Trust OpenVEX attestations signed by this key (instead of the scan signer)' })
    .option('vex-certificate-identity', { type: 'string', describe: 'Keyless: trust OpenVEX attestations from this exact identity' })
    .option('vex-certificate-identity-regexp', { type: 'string', describe: 'Keyless: trust OpenVEX attestations from identities matching this regexp' })
    .option('vex-certificate-oidc-issuer', { type: 'string', describe: 'Keyless: the exact OIDC issuer of the OpenVEX signer' })
    .option('vex-certificate-oidc-issuer-regexp', { type: 'string', describe: 'Keyless: a regexp the OpenVEX signer’s issuer must match' });

const TRUST_FLAGS = ['certificate-identity', 'certificate-identity-regexp', 'certificate-oidc-issuer', 'certificate-oidc-issuer-regexp'] as const;

export async function loadVexOptions(argv: Args, ctx: CliContext): Promise<VexOptions> {
  const raw: unknown[] = argv.vex === undefined ? [] : Array.isArray(argv.vex) ? argv.vex : [argv.vex];
  const off = argv['no-vex'] === true || raw.some((v) => v === false || v === 'false');
  const names = raw.filter((v): v is string => typeof v === 'string' && v !== 'false');
  const separate = argv['vex-key'] !== undefined || TRUST_FLAGS.some((f) => argv[`vex-${f}`] !== undefined);
  if (off && (names.length || separate)) throw usageError('--no-vex turns VEX off; it cannot be combined with --vex or --vex-* flags');
  if (off) return { off: true };
  const opts: VexOptions = {};
  if (names.length) {
    const { parseVexDocument } = await import('../../vex/document.ts');
    opts.files = [];
    for (const name of names) {
      const bytes = await readInput(name, ctx, 'OpenVEX document');
      opts.files.push({ name, doc: parseVexDocument(bytes, `OpenVEX document ${name}`) });
    }
  }
  if (separate) {
    const trustArgs: Args = { _: [], key: argv['vex-key'], 'trusted-root': argv['trusted-root'], 'require-tlog': argv['require-tlog'] };
    for (const f of TRUST_FLAGS) trustArgs[f] = argv[`vex-${f}`];
    try {
      opts.trust = await loadTrustPolicy(trustArgs, ctx);
    } catch (err) {
      if (err instanceof Error && 'kind' in err && err.kind === 'usage') {
        throw usageError(`VEX signer: ${err.message.replace(/--(key|certificate)/g, '--vex-$1')}`, {
          hint: 'pass --vex-key PUB, or --vex-certificate-identity[-regexp] with --vex-certificate-oidc-issuer[-regexp]',
        });
      }
      throw err;
    }
  }
  return opts;
}
