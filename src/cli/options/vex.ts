// The OpenVEX flags of the gate: --vex FILE (local, unsigned), --no-vex, and who may sign VEX
// attestations when it is not the scan's signer (--vex-key, --vex-certificate-*).
import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';
import { readInput } from '../../fs/read-input.ts';
import type { VexOptions } from '../../ops/vex.ts';
import { loadTrustPolicy, type TrustFlags } from './trust.ts';

export const vexOptions = <T>(y: Argv<T>) =>
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

/** The VEX flags, and the trust flags the VEX signer shares with the scan's (trusted root, tlog). */
export type VexFlags = GroupFlags<typeof vexOptions> & Pick<TrustFlags, 'trustedRoot' | 'requireTlog'>;

export async function loadVexOptions(argv: VexFlags, ctx: CliContext): Promise<VexOptions> {
  // yargs reads --no-vex as --vex=false too (boolean negation), so a false may sit among the names.
  const given: unknown = argv.vex;
  const raw: unknown[] = given === undefined ? [] : Array.isArray(given) ? given : [given];
  const off = argv.noVex === true || raw.some((v) => v === false || v === 'false');
  const names = raw.filter((v): v is string => typeof v === 'string' && v !== 'false');
  const signer: TrustFlags = {
    key: argv.vexKey,
    certificateIdentity: argv.vexCertificateIdentity,
    certificateIdentityRegexp: argv.vexCertificateIdentityRegexp,
    certificateOidcIssuer: argv.vexCertificateOidcIssuer,
    certificateOidcIssuerRegexp: argv.vexCertificateOidcIssuerRegexp,
  };
  const separate = Object.values(signer).some((v) => v !== undefined);
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
    try {
      opts.trust = await loadTrustPolicy({ ...signer, trustedRoot: argv.trustedRoot, requireTlog: argv.requireTlog }, ctx);
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
