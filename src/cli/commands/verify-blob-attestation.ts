import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { VerifyBlobAttestationOptions } from '../../ops/attest-blob.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadTrustPolicy, trustOptions } from '../options/trust.ts';
import { cosignVerifyFlags, refused } from '../options/cosign.ts';
import { write } from '../output.ts';
import { readInput } from '../../fs/read-input.ts';
import { opEnv } from '../op-env.ts';

const vbaCosignFlags = <T>(y: Argv<T>) => {
  let b = refused(y, 'rfc3161-timestamp', 'string', 'seal reads RFC 3161 timestamps from a Sigstore bundle; verify with --bundle');
  const detached = 'seal verifies keyless attestations from a bundle by identity; use --bundle with --certificate-identity and --certificate-oidc-issuer';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', detached);
  return b;
};

const usage = 'verify-blob-attestation [file]';

const flags = (y: Argv) =>
  vbaCosignFlags(cosignVerifyFlags(trustOptions(y)))
    .positional('file', { type: 'string', describe: 'The file the attestation should be about' })
    .option('bundle', { type: 'string', describe: 'Sigstore bundle file' })
    .option('signature', { type: 'string', describe: 'DSSE envelope file (cosign attest-blob legacy output)' })
    .option('type', { type: 'string', describe: 'Required predicate type (alias or URI); default: any' })
    .option('digest', { type: 'string', describe: 'Digest of the file instead of the file: HEX (in --digestAlg) or sha256:/sha384:/sha512:HEX' })
    .option('digestAlg', { type: 'string', describe: 'Algorithm of a bare --digest: sha256 (default), sha384 or sha512' })
    .option('check-claims', {
      type: 'boolean',
      default: true,
      describe: 'Require a subject with the file digest; false: verify the bundle whole but not what it is about',
    });

export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): Promise<VerifyBlobAttestationOptions> {
  if (argv.file === '') throw usageError('no file given (the file argument is empty); name the file the attestation is about, or give --digest');
  const source = argv.bundle ?? argv.signature;
  if (!source || (argv.bundle && argv.signature)) throw usageError('pass exactly one of --bundle or --signature');
  const attestation = await readInput(source, ctx, argv.bundle ? 'bundle' : 'envelope');
  const trust = await loadTrustPolicy(argv, ctx);
  return { attestation, file: argv.file, digest: argv.digest, digestAlg: argv.digestAlg, type: argv.type, checkClaims: argv.checkClaims, trust };
}

const command = defineCommand({
  command: usage,
  describe: 'Verify an attestation about a file (Sigstore bundle or DSSE envelope)',
  builder: flags,
  examples: [
    ['seal verify-blob-attestation --key cosign.pub --bundle app.att.json --type vuln app.tar.gz', 'Prints the statement on stdout'],
    [
      'seal verify-blob-attestation --certificate-identity you@example.com --certificate-oidc-issuer https://accounts.google.com --bundle app.att.json app.tar.gz',
      'A keyless attestation, by signer identity',
    ],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { verifyBlobAttestation } = await import('../../ops/attest-blob.ts');
    const statement = await verifyBlobAttestation(options, opEnv(ctx));
    await write(ctx.stdout, JSON.stringify(statement) + '\n');
    ctx.log.info('Verified OK');
  },
});

export default command;
