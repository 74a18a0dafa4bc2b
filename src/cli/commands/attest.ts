import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { AttestOptions } from '../../ops/attest.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { formatOption, signatureFormat } from '../options/format.ts';
import { keylessOptions, optionalSigningKeyOption, signingOptions, tlogUploadOption } from '../options/key.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write, writeJSON } from '../output.ts';
import { accepted, cosignKeylessFlags, newBundleFormatFlag, refused } from '../options/cosign.ts';

const attestCosignFlags = <T>(y: Argv<T>) => {
  let b = accepted(
    newBundleFormatFlag(cosignKeylessFlags(y)),
    'record-creation-timestamp',
    'boolean',
    'seal writes reproducible attestation manifests without a creation time',
  ).option('rekor-entry-type', { type: 'string', hidden: true, describe: 'cosign: dsse (seal logs dsse entries; intoto is refused)' });
  const withKey = 'seal does not attach a certificate you supply to a key signature; sign keylessly for a certificate';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', withKey);
  b = refused(
    b,
    'statement',
    'string',
    'seal attest builds the statement from --predicate and --type; for a complete statement use seal attest-blob --statement and seal attach attestation',
  );
  const withNoUpload = b.option('no-upload', {
    type: 'boolean',
    describe: 'Sign but do not attach: print the attestation (DSSE envelope, or the bundle with --format bundle) on stdout, as cosign',
  });
  return refused(withNoUpload, 'bundle', 'string', 'the attestation is stored with the image; seal download attestation IMAGE prints it');
};

const usage = 'attest <image>';

const flags = (y: Argv) =>
  attestCosignFlags(tlogUploadOption(keylessOptions(formatOption(registryOptions(optionalSigningKeyOption(y))))))
    .positional('image', { type: 'string', describe: 'Image reference' })
    .option('predicate', { type: 'string', demandOption: 'pass --predicate FILE (or - for stdin)', describe: 'Predicate file, or - for stdin' })
    .option('type', {
      type: 'string',
      default: 'custom',
      describe: 'custom, slsaprovenance, slsaprovenance02, slsaprovenance1, link, spdx, spdxjson, cyclonedx, vuln, openvex, or a URI',
    })
    .option('replace', { type: 'boolean', default: false, describe: 'Replace earlier attestations of the same predicate type' })
    .option('scan-started', { type: 'string', describe: 'vuln: when the scan started (RFC 3339); default from the report' })
    .option('scan-finished', { type: 'string', describe: 'vuln: when the scan finished (RFC 3339); default from the report' })
    .option('yes', {
      alias: 'y',
      type: 'boolean',
      default: false,
      describe: 'Skip confirmations; keyless and --tlog-upload: do not print the public transparency log notice',
    })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' });

export function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): AttestOptions {
  if (argv.predicate === '') throw usageError('--predicate is empty; give the predicate file, or - for stdin');
  const format = signatureFormat(argv, ctx);
  return {
    image: argv.image,
    predicate: argv.predicate,
    type: argv.type,
    replace: argv.replace,
    format,
    store: toStoreOptions(argv, ctx),
    scanStarted: argv.scanStarted,
    scanFinished: argv.scanFinished,
    signing: signingOptions(argv),
    ...(argv.noUpload === true ? { upload: false } : {}),
  };
}

const command = defineCommand({
  command: usage,
  describe: 'Attach a signed in-toto attestation (scan result, SBOM, provenance, ...) to an image',
  builder: flags,
  examples: [
    ['grype IMAGE -o json > scan.json && seal attest --key cosign.key --predicate scan.json --type vuln IMAGE', 'Attest a grype scan'],
    ['seal attest --key cosign.key --tlog-upload -y --predicate scan.json --type vuln IMAGE', 'Also log the envelope in Rekor (a dsse entry), as cosign does'],
    ['seal attest --key cosign.key --predicate sbom.spdx.json --type spdxjson IMAGE', 'Attest an SPDX SBOM'],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal attest --type vuln --predicate scan.json IMAGE', 'Keyless (Fulcio + Rekor dsse entry), as a cosign v2 .att layer'],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal attest --format bundle --type vuln --predicate scan.json IMAGE', 'Keyless, as a bundle referrer'],
  ],
  run: async (argv, ctx) => {
    const options = toOptions(argv, ctx);
    const [{ attestImage }, { opEnv }] = await Promise.all([import('../../ops/attest.ts'), import('../op-env.ts')]);
    const result = await attestImage(options, opEnv(ctx));
    if (result.document !== undefined) await write(ctx.stdout, result.document.trimEnd() + '\n');
    else if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

export default command;
