import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { VerifyBlobOptions } from '../../ops/verify-blob.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import { identityOptions, loadExtensionPolicy } from '../options/trust.ts';
import { cosignVerifyFlags, refused } from '../options/cosign.ts';

const verifyBlobCosignFlags = <T>(y: Argv<T>) =>
  refused(y, 'rfc3161-timestamp', 'string', 'seal reads RFC 3161 timestamps from a Sigstore bundle; verify with --bundle');

const usage = 'verify-blob <file>';

const flags = (y: Argv) =>
  // Keyless bundles: identity and issuer match the WHOLE value (anchored; docs/trusted-root.md).
  verifyBlobCosignFlags(cosignVerifyFlags(identityOptions(y)))
    .positional('file', { type: 'string', describe: 'The file, - for stdin, or sha256:<hex> to verify a digest without the file' })
    .option('key', {
      alias: 'k',
      type: 'string',
      describe: 'Public key: PKIX PEM (cosign.pub), PKCS#1 RSA PEM, certificate PEM, DER, or env://VAR (keyless bundles: the --certificate-* flags instead)',
    })
    .option('signature', { type: 'string', describe: 'Signature file (base64 or raw DER), or the base64 signature itself' })
    .option('bundle', { type: 'string', describe: 'Sigstore bundle file (as written by sign-blob --bundle or cosign)' })
    .option('certificate', {
      type: 'string',
      describe: 'Keyless with --signature: the signing certificate (PEM file, or base64 PEM as goreleaser writes it), checked against the trusted root',
    })
    .option('certificate-chain', { type: 'string', describe: 'PEM chain of --certificate up to a root of the trusted root (default: the trusted root has it)' })
    .conflicts('signature', 'bundle');

export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>): Promise<VerifyBlobOptions> {
  // An empty argument (`"$FILE"` unset) is no file, not stdin: only a real `-` is (main.ts keeps it).
  if (argv.file === '') throw usageError('no file given (the file argument is empty); name the file to verify, - for stdin, or sha256:<hex>');
  return {
    key: argv.key,
    signature: argv.signature,
    bundle: argv.bundle,
    target: argv.file,
    certificateIdentity: argv.certificateIdentity,
    certificateIdentityRegexp: argv.certificateIdentityRegexp,
    certificateOidcIssuer: argv.certificateOidcIssuer,
    certificateOidcIssuerRegexp: argv.certificateOidcIssuerRegexp,
    certificateExtensions: await loadExtensionPolicy(argv),
    trustedRoot: argv.trustedRoot,
    certificate: argv.certificate,
    certificateChain: argv.certificateChain,
    rekorUrl: argv.rekorUrl,
    insecureIgnoreTlog: argv.insecureIgnoreTlog === true,
    insecureIgnoreSct: argv.insecureIgnoreSct === true,
    requireTlog: argv.requireTlog,
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Verify a file (or stdin, or a sha256 digest) against a signature or a Sigstore bundle',
  builder: flags,
  examples: [
    ['seal verify-blob --key cosign.pub --signature release.tar.gz.sig release.tar.gz', 'Prints "Verified OK" on stderr, exit 0'],
    ['seal verify-blob --key cosign.pub --bundle release.sigstore.json release.tar.gz', 'Verify a Sigstore bundle'],
    ['seal verify-blob --key cosign.pub --signature MEUCIQ… sha256:0123…cdef', 'Verify a digest; the signature given inline'],
    [
      'seal verify-blob --bundle app.sigstore.json --certificate-identity dev@example.com --certificate-oidc-issuer https://github.com/login/oauth app.tar.gz',
      'Verify a keyless bundle offline (add --trusted-root FILE for current or private trust)',
    ],
  ],
  run: async (argv, ctx) => {
    const [{ verifyBlob }, { withProgress }] = await Promise.all([import('../../ops/verify-blob.ts'), import('../op-env.ts')]);
    const options = await toOptions(argv);
    await withProgress(ctx, (env) => verifyBlob(options, env));
  },
});

export default command;
