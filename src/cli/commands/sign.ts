import type { Argv } from 'yargs';
import type { SignImagesOptions } from '../../ops/sign.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { formatOption, signatureFormat } from '../options/format.ts';
import { keylessOptions, optionalSigningKeyOption, signingOptions, tlogUploadOption } from '../options/key.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { accepted, cosignKeylessFlags, newBundleFormatFlag, refused } from '../options/cosign.ts';

const signCosignFlags = <T>(y: Argv<T>) => {
  let b = accepted(
    newBundleFormatFlag(cosignKeylessFlags(y)),
    'record-creation-timestamp',
    'boolean',
    'seal writes reproducible signature manifests without a creation time',
  );
  const withKey =
    'seal does not attach a certificate you supply to a key signature; sign keylessly for a certificate, or attach one with seal attach signature --certificate';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', withKey);
  b = refused(
    b,
    'payload',
    'string',
    'seal signs the payload it generates; to sign your own, use seal sign-blob on it and seal attach signature --payload FILE --signature SIG',
  );
  b = refused(b, 'attachment', 'string', 'cosign deprecated attachment signatures; sign the attachment by its digest (seal tree shows it)');
  return b.option('sign-container-identity', {
    type: 'string',
    describe: "Legacy format: the docker-reference to sign instead of the image's repository (the name clients pull it by, e.g. behind a proxy)",
  });
};

const usage = 'sign <images..>';

const flags = (y: Argv) =>
  signCosignFlags(tlogUploadOption(keylessOptions(formatOption(registryOptions(optionalSigningKeyOption(y))))))
    .positional('images', { type: 'string', array: true, describe: 'Image references: REGISTRY/REPO[:TAG|@DIGEST] or oci:DIR[:TAG]' })
    .option('annotations', { alias: 'a', type: 'string', array: true, describe: 'Signed annotation key=value (repeatable)' })
    .option('recursive', { alias: 'r', type: 'boolean', default: false, describe: 'Also sign every manifest of an index' })
    .option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'Skip confirmations; keyless and --tlog-upload: do not print the public transparency log notice',
    })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text', describe: 'json: print what was signed on stdout' })
    .option('concurrency', { type: 'number', default: 4, describe: 'Images signed at once' })
    .option('upload', {
      type: 'boolean',
      default: true,
      describe: 'false: sign without writing to the registry or layout; the files below get the result (two-step signing)',
    })
    .option('output-signature', { type: 'string', describe: 'Legacy: also write the base64 signature to this file' })
    .option('output-payload', { type: 'string', describe: 'Legacy: also write the exact signed payload to this file' })
    .option('output-certificate', { type: 'string', describe: 'Legacy, keyless: also write the signing certificate (PEM) to this file' })
    .option('bundle', { type: 'string', describe: 'Format bundle: also write the Sigstore bundle to this file' })
    .option('force', { type: 'boolean', default: false, describe: 'Accepted for older scripts: output files are always replaced, as cosign does' });

export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): Promise<SignImagesOptions> {
  const format = signatureFormat(argv, ctx);
  const { parseAnnotations } = await import('../../cosign/annotations.ts');
  return {
    images: argv.images,
    annotations: parseAnnotations(argv.annotations),
    recursive: argv.recursive,
    format,
    store: toStoreOptions(argv, ctx),
    concurrency: argv.concurrency,
    upload: argv.upload,
    outputs: {
      signature: argv.outputSignature,
      payload: argv.outputPayload,
      certificate: argv.outputCertificate,
      bundle: argv.bundle,
      force: true, // replaced when they exist, as cosign does: re-running a release script works
      cwd: ctx.cwd,
    },
    signing: signingOptions(argv),
    ...(typeof argv.signContainerIdentity === 'string' ? { identity: argv.signContainerIdentity } : {}),
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Sign container images (legacy .sig tags or Sigstore bundle referrers)',
  builder: flags,
  examples: [
    ['seal sign --key cosign.key registry.example.com/app:1.2', 'Sign the manifest that tag 1.2 points to now'],
    ['seal sign --key cosign.key -a git_sha=$SHA --format bundle IMAGE@sha256:…', 'cosign v3 format, with an annotation'],
    ['seal sign --key cosign.key -r oci:./layout:latest', 'Sign an index and every platform image in a local OCI layout'],
    [
      'seal sign --key cosign.key --tlog-upload -y IMAGE@sha256:…',
      'Also log the signature in Rekor, as cosign does (cosign verify --key then passes without --insecure-ignore-tlog)',
    ],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal sign IMAGE@sha256:…', 'Keyless: Fulcio certificate + Rekor entry in the .sig layer annotations (cosign v2)'],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal sign --format bundle IMAGE@sha256:…', 'Keyless: Fulcio certificate + Rekor entry in the bundle'],
    [
      'seal sign --key cosign.key --upload=false --output-signature sig --output-payload payload.json IMAGE',
      'Sign now, attach later: seal attach signature --payload payload.json --signature sig IMAGE',
    ],
  ],
  run: async (argv, ctx) => {
    const [{ signImages }, { opEnv }] = await Promise.all([import('../../ops/sign.ts'), import('../op-env.ts')]);
    const results = await signImages(await toOptions(argv, ctx), opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, results);
  },
});

export default command;
