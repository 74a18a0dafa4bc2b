import type { Argv, Options } from 'yargs';
import { usageError } from '../../errors.ts';
import type { AttachAttestationOptions } from '../../ops/attach-attestation.ts';
import type { AttachSignatureOptions } from '../../ops/attach-signature.ts';
import type { AttachSbomOptions } from '../../ops/sbom.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadVerifyingKey } from '../options/key.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { writeJSON } from '../output.ts';
import { readInput } from '../../fs/read-input.ts';
import { opEnv } from '../op-env.ts';

const sbomUsage = 'sbom <image>';

const sbomFlags = (y: Argv) =>
  registryOptions(y)
    .positional('image', { type: 'string', describe: 'Image reference' })
    .option('sbom', { type: 'string', demandOption: 'pass --sbom FILE (or - for stdin)', describe: 'SBOM file, or - for stdin' })
    .option('type', { choices: ['spdx', 'cyclonedx', 'syft'] as const, describe: 'SBOM type; default: detected from the content' })
    .option('input-format', { choices: ['json', 'xml', 'text'] as const, describe: 'Encoding; default: detected' })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const });

export async function toAttachSbomOptions(argv: FlagsOf<typeof sbomFlags, typeof sbomUsage>, ctx: CliContext): Promise<AttachSbomOptions> {
  const bytes = await readInput(argv.sbom, ctx, 'SBOM file');
  return { image: argv.image, sbom: bytes, filename: argv.sbom, type: argv.type, inputFormat: argv.inputFormat, store: toStoreOptions(argv, ctx) };
}

const sbom = defineCommand({
  command: sbomUsage,
  describe: "Attach an SBOM to an image under cosign's .sbom tag (unsigned; prefer seal attest)",
  builder: sbomFlags,
  examples: [['syft IMAGE -o spdx-json > sbom.json && seal attach sbom --sbom sbom.json IMAGE', 'Type and media type detected from the file']],
  run: async (argv, ctx) => {
    const options = await toAttachSbomOptions(argv, ctx);
    const [{ attachSbom }, { withProgress, storeLogTo }] = await Promise.all([import('../../ops/sbom.ts'), import('../op-env.ts')]);
    const result = await withProgress(ctx, (env) => attachSbom(storeLogTo(options, env), env));
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

const publicKeyOptions = <T>(y: Argv<T>) =>
  y
    .option('key', {
      alias: 'k',
      type: 'string',
      describe: 'Public key (cosign.pub, PEM or env://VAR): refuse unless the signature verifies with it',
    })
    .option('trusted-root', { type: 'string', describe: 'trusted_root.json for a bundle with a transparency log entry (with --key)' })
    .option('output', { alias: 'o', choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json: print what was attached on stdout' });

const signatureUsage = 'signature <image>';

const signatureFlags = (y: Argv) =>
  publicKeyOptions(registryOptions(y))
    .positional('image', { type: 'string', describe: 'Image reference' })
    .option('payload', {
      alias: 'bundle', // cosign: --bundle is another name of --payload
      type: 'string',
      demandOption: 'pass --payload FILE: the exact payload that was signed (seal generate IMAGE > FILE)',
      describe: 'The signed simple-signing payload (or - for stdin); a Sigstore bundle from sign --format bundle --upload=false is attached as a referrer',
    })
    .option('signature', { type: 'string', describe: 'The signature: base64 text or raw DER (or - for stdin)' })
    .option('certificate', { type: 'string', describe: 'PEM signing certificate, stored with the signature (cosign annotation)' })
    .option('certificate-chain', { type: 'string', describe: 'PEM certificate chain of --certificate' })
    .option('rekor-response', {
      type: 'string',
      hidden: true,
      refuse: 'seal attaches the Rekor entry inside a Sigstore bundle; sign with --format bundle --upload=false --bundle FILE and attach FILE with --payload',
    } as Options)
    .option('tsr', {
      type: 'string',
      hidden: true,
      refuse: 'seal attaches RFC 3161 timestamps inside a Sigstore bundle; attach the bundle with --payload',
    } as Options);

export async function toAttachSignatureOptions(argv: FlagsOf<typeof signatureFlags, typeof signatureUsage>, ctx: CliContext): Promise<AttachSignatureOptions> {
  if (argv.payload === '-' && argv.signature === '-') throw usageError('--payload and --signature cannot both be stdin');
  const payload = await readInput(argv.payload, ctx, 'payload file');
  const sig = argv.signature === undefined ? undefined : await readInput(argv.signature, ctx, 'signature file');
  const certificate = argv.certificate === undefined ? undefined : await readInput(argv.certificate, ctx, 'certificate file');
  const chain = argv.certificateChain === undefined ? undefined : await readInput(argv.certificateChain, ctx, 'certificate chain file');
  const verifier = argv.key === undefined ? undefined : await loadVerifyingKey(argv.key, ctx);
  return {
    image: argv.image,
    payload,
    ...(sig ? { signature: sig } : {}),
    ...(certificate ? { certificate } : {}),
    ...(chain ? { certificateChain: chain } : {}),
    ...(verifier ? { verifier } : {}),
    trustedRootPath: argv.trustedRoot,
    store: toStoreOptions(argv, ctx),
  };
}

const signature = defineCommand({
  command: signatureUsage,
  describe: 'Attach a signature made elsewhere (over a seal generate payload) to the .sig image',
  builder: signatureFlags,
  examples: [
    ['seal generate IMAGE > payload.json', 'Step 1: the payload to sign'],
    ['openssl dgst -sha256 -sign key.pem -out payload.sig payload.json', 'Step 2: sign it elsewhere (DER signature)'],
    ['seal attach signature --payload payload.json --signature payload.sig --key cosign.pub IMAGE', 'Step 3: check and attach; seal verify --key then passes'],
  ],
  run: async (argv, ctx) => {
    const options = await toAttachSignatureOptions(argv, ctx);
    const { attachSignature } = await import('../../ops/attach-signature.ts');
    const result = await attachSignature(options, opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

const attestationUsage = 'attestation <image>';

const attestationFlags = (y: Argv) =>
  publicKeyOptions(registryOptions(y)).positional('image', { type: 'string', describe: 'Image reference' }).option('attestation', {
    type: 'string',
    demandOption: 'pass --attestation FILE: a DSSE envelope or a Sigstore bundle',
    describe: 'DSSE envelope JSON (one) or Sigstore bundle, or - for stdin',
  });

export async function toAttachAttestationOptions(
  argv: FlagsOf<typeof attestationFlags, typeof attestationUsage>,
  ctx: CliContext,
): Promise<AttachAttestationOptions> {
  const bytes = await readInput(argv.attestation, ctx, 'attestation file');
  const verifier = argv.key === undefined ? undefined : await loadVerifyingKey(argv.key, ctx);
  return {
    image: argv.image,
    attestation: bytes,
    name: argv.attestation === '-' ? 'the attestation on stdin' : argv.attestation,
    ...(verifier ? { verifier } : {}),
    trustedRootPath: argv.trustedRoot,
    store: toStoreOptions(argv, ctx),
  };
}

const attestation = defineCommand({
  command: attestationUsage,
  describe: 'Attach an attestation signed elsewhere: a DSSE envelope (.att image) or a Sigstore bundle (referrer)',
  builder: attestationFlags,
  examples: [
    ['seal attach attestation --attestation envelope.json --key cosign.pub IMAGE', 'Check the subject and signature, then append to the .att image'],
    ['seal attach attestation --attestation att.sigstore.json IMAGE', 'A Sigstore bundle: attached as an OCI 1.1 referrer'],
  ],
  run: async (argv, ctx) => {
    const options = await toAttachAttestationOptions(argv, ctx);
    const { attachAttestation } = await import('../../ops/attach-attestation.ts');
    const result = await attachAttestation(options, opEnv(ctx));
    if (argv.output === 'json') await writeJSON(ctx.stdout, result);
  },
});

const command = defineCommand({
  command: 'attach',
  describe: 'Attach material made elsewhere to an image: a signature, an attestation, an SBOM',
  subcommands: [signature, attestation, sbom],
});

export default command;
