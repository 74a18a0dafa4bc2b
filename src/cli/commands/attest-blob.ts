import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { AttestBlobOptions } from '../../ops/attest-blob.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import { keylessOptions, optionalSigningKeyOption, signingOptions } from '../options/key.ts';
import { cosignKeylessFlags, newBundleFormatFlag, refused } from '../options/cosign.ts';

const attestBlobCosignFlags = <T>(y: Argv<T>) => {
  let b = newBundleFormatFlag(cosignKeylessFlags(y))
    .option('output-signature', { type: 'string', describe: 'Also write the DSSE envelope (JSON) to this file' })
    .option('output-attestation', { type: 'string', describe: 'Also write the signed in-toto statement to this file' })
    .option('output-certificate', { type: 'string', describe: 'Keyless: also write the signing certificate (PEM) to this file' })
    .option('tlog-upload', { type: 'boolean', describe: 'With --key: also log the envelope in Rekor (cosign default true; seal default false)' })
    .option('rekor-entry-type', { type: 'string', hidden: true, describe: 'cosign: dsse (seal logs dsse entries; intoto is refused)' });
  const withKey = 'seal does not attach a certificate you supply to a key signature; sign keylessly for a certificate';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', withKey);
  b = refused(
    b,
    'rfc3161-timestamp-bundle',
    'string',
    'seal keeps the RFC 3161 timestamp in the Sigstore bundle; pass --timestamp-server-url with --bundle FILE',
  );
  return b;
};

const usage = 'attest-blob [file]';

const flags = (y: Argv) =>
  attestBlobCosignFlags(keylessOptions(optionalSigningKeyOption(y)))
    .positional('file', { type: 'string', describe: 'The file the attestation is about' })
    .option('predicate', { type: 'string', describe: 'Predicate file (or -)' })
    .option('statement', { type: 'string', describe: 'A complete in-toto statement to sign as is' })
    .option('type', { type: 'string', default: 'custom', describe: 'Predicate type alias or URI (see seal attest --help)' })
    .option('hash', { type: 'string', describe: 'sha256 hex of the file, instead of reading it' })
    .option('bundle', { type: 'string', describe: 'Where to write the Sigstore bundle (replaced if it exists, as cosign does)' })
    .option('force', { type: 'boolean', default: false, describe: 'Accepted for older scripts: output files are always replaced, as cosign does' })
    .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Keyless: do not print the public transparency log notice' });

export function toOptions(argv: FlagsOf<typeof flags, typeof usage>): AttestBlobOptions {
  for (const [flag, value] of [
    ['--predicate', argv.predicate],
    ['--statement', argv.statement],
  ] as const) {
    if (value === '') throw usageError(`${flag} is empty; give the ${flag.slice(2)} file, or - for stdin`);
  }
  if (argv.file === '') throw usageError('no file given (the file argument is empty); name the file to attest, or give --hash');
  return {
    file: argv.file,
    hash: argv.hash,
    type: argv.type,
    predicate: argv.predicate,
    statement: argv.statement,
    bundle: argv.bundle,
    outputSignature: argv.outputSignature,
    outputAttestation: argv.outputAttestation,
    outputCertificate: argv.outputCertificate,
    signing: signingOptions(argv),
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Sign an in-toto attestation about a file into a Sigstore bundle',
  builder: flags,
  examples: [
    ['seal attest-blob --key cosign.key --predicate scan.json --type vuln --bundle app.att.json app.tar.gz', 'Attest a scan of a release file'],
    [
      'SIGSTORE_ID_TOKEN=$(cat token) seal attest-blob --predicate scan.json --type vuln --bundle app.att.json app.tar.gz',
      'Keyless: Fulcio certificate + Rekor dsse entry',
    ],
  ],
  run: async (argv, ctx) => {
    const [{ attestBlob }, { opEnv }] = await Promise.all([import('../../ops/attest-blob.ts'), import('../op-env.ts')]);
    await attestBlob(toOptions(argv), opEnv(ctx));
  },
});

export default command;
