import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { SignBlobOptions } from '../../ops/sign-blob.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import { keylessOptions, signingOptions, tlogUploadOption } from '../options/key.ts';
import { cosignKeylessFlags, newBundleFormatFlag, refused } from '../options/cosign.ts';

const signBlobCosignFlags = <T>(y: Argv<T>) => {
  let b = newBundleFormatFlag(cosignKeylessFlags(y))
    .option('output-certificate', { type: 'string', describe: 'Keyless: also write the signing certificate (PEM) to this file' })
    .option('signing-algorithm', {
      type: 'string',
      describe:
        'cosign: ecdsa-sha2-256-nistp256 (default), ecdsa-sha2-384-nistp384, ecdsa-sha2-512-nistp521, rsa-…, ed25519; seal signs with the algorithm of --key',
    });
  const withKey = 'seal does not attach a certificate you supply to a key signature; sign keylessly for a certificate';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', withKey);
  b = refused(b, 'rfc3161-timestamp', 'string', 'seal keeps the RFC 3161 timestamp in the Sigstore bundle; pass --timestamp-server-url with --bundle FILE');
  return b;
};

const usage = 'sign-blob <file>';

const flags = (y: Argv) =>
  signBlobCosignFlags(
    tlogUploadOption(
      keylessOptions(
        y
          .positional('file', { type: 'string', describe: 'The file to sign, or - for stdin' })
          .option('key', {
            alias: 'k',
            type: 'string',
            describe: 'Private key: cosign/seal encrypted key, PKCS#8/SEC1/PKCS#1 PEM, or env://VAR; without it, signs keylessly (docs/keyless.md)',
          })
          .option('bundle', { type: 'string', describe: 'Write a Sigstore bundle v0.3 (JSON) to this file (required when keyless)' })
          .option('output-signature', { alias: 'output', type: 'string', describe: 'Write the signature to this file (base64, no newline)' })
          .option('b64', { type: 'boolean', default: true, describe: 'Base64-encode the signature; --no-b64 writes raw DER' })
          .option('force', {
            alias: 'f',
            type: 'boolean',
            default: false,
            describe: 'Accepted for older scripts: output files are always replaced, as cosign does',
          }),
      ),
    ),
  ).option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Keyless and --tlog-upload: do not print the public transparency log notice' });

export function toOptions(argv: FlagsOf<typeof flags, typeof usage>): SignBlobOptions {
  // An empty argument (`"$FILE"` unset) is no file, not stdin: only a real `-` is (main.ts keeps it).
  if (argv.file === '') throw usageError('no file given (the file argument is empty); name the file to sign, or - for stdin');
  return {
    signing: signingOptions(argv),
    file: argv.file,
    bundle: argv.bundle,
    outputSignature: argv.outputSignature,
    b64: argv.b64,
    outputCertificate: argv.outputCertificate,
  };
}

// Not `export default defineCommand(...)`: tsc 5.9 then leaves the dynamic import paths in this file
// as .ts in dist/ (rewriteRelativeImportExtensions skips the whole file), and the built CLI breaks.
const command = defineCommand({
  command: usage,
  describe: 'Sign a file (or stdin) with a key or keylessly: a base64 signature and/or a Sigstore bundle',
  builder: flags,
  examples: [
    ['seal sign-blob --key cosign.key release.tar.gz > release.tar.gz.sig', 'Base64 signature on stdout'],
    ['seal sign-blob --key cosign.key --bundle release.sigstore.json release.tar.gz', 'A Sigstore bundle, as cosign v3 writes'],
    ['tar c dir | SEAL_PASSWORD=… seal sign-blob --key cosign.key --output-signature dir.sig -', 'Sign stdin'],
    [
      'seal sign-blob --key cosign.key --tlog-upload -y --bundle release.sigstore.json release.tar.gz',
      'Also log the signature in Rekor; the entry goes into the bundle',
    ],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal sign-blob --bundle release.sigstore.json release.tar.gz', 'Keyless: Fulcio certificate + Rekor entry'],
  ],
  run: async (argv, ctx) => {
    const [{ signBlob }, { withProgress }] = await Promise.all([import('../../ops/sign-blob.ts'), import('../op-env.ts')]);
    await withProgress(ctx, (env) => signBlob(toOptions(argv), env));
  },
});

export default command;
