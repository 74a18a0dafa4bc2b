// --format for commands that write signatures or attestations (sign, attest).
import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { SignatureFormat } from '../../ops/sign.ts';
import type { GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';

export const formatOption = <T>(y: Argv<T>) =>
  y.option('format', {
    choices: ['legacy', 'bundle'] as const,
    describe: 'Storage: legacy (.sig/.att tags, read by cosign v2 and v3) or bundle (cosign v3 referrers); default legacy, or SEAL_SIGNATURE_FORMAT',
  });

/** The flag, else SEAL_SIGNATURE_FORMAT, else legacy (docs/signature-formats.md says why). */
export function signatureFormat(argv: GroupFlags<typeof formatOption>, ctx: CliContext): SignatureFormat {
  const format = argv.format ?? ctx.env.SEAL_SIGNATURE_FORMAT ?? 'legacy';
  if (format !== 'legacy' && format !== 'bundle') {
    throw usageError(`unknown signature format "${format}" in SEAL_SIGNATURE_FORMAT`, { hint: 'use legacy or bundle' });
  }
  return format;
}
