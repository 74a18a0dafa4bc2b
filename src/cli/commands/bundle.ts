import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import type { BundleCreateOptions } from '../../ops/bundle-create.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { writeDocument } from '../output.ts';

const createFlags = (y: Argv) =>
  y
    .option('artifact', { type: 'string', describe: 'The signed file (its sha256 goes into a message-signature bundle)' })
    .option('signature', { type: 'string', describe: 'File with the base64 signature' })
    .option('attestation', { type: 'string', describe: 'File with a DSSE envelope (an attestation)' })
    .option('bundle', { type: 'string', describe: 'A cosign v2 bundle file (sign-blob --bundle before v3): signature, certificate and Rekor bundle' })
    .option('certificate', { type: 'string', describe: 'The signing certificate (PEM, or base64 of PEM as cosign writes it)' })
    .option('key', { type: 'string', describe: 'The public key that verifies the signature' })
    .option('rfc3161-timestamp', { type: 'string', describe: "File with cosign's RFC 3161 timestamp JSON" })
    .option('ignore-tlog', { type: 'boolean', default: false, describe: 'Write a bundle without a transparency-log entry' })
    .option('rekor-url', { type: 'string', describe: 'Accepted for cosign scripts; seal takes the entry from --bundle and does not search Rekor' })
    .option('out', { type: 'string', describe: 'Write the bundle to this file (default: stdout)' })
    .option('sk', { type: 'boolean', default: false, hidden: true })
    .option('slot', { type: 'string', hidden: true });

export async function toCreateOptions(argv: FlagsOf<typeof createFlags>, ctx: CliContext): Promise<BundleCreateOptions> {
  if (argv.sk || argv.slot !== undefined) {
    throw usageError('--sk/--slot (PIV hardware tokens) are not supported by seal', { hint: 'give the public key with --key, or use a pkcs11: key' });
  }
  const { resolve } = await import('node:path');
  const at = (f: string | undefined) => (f === undefined ? undefined : resolve(ctx.cwd, f));
  return {
    artifact: at(argv.artifact),
    signature: at(argv.signature),
    attestation: at(argv.attestation),
    legacyBundle: at(argv.bundle),
    certificate: at(argv.certificate),
    publicKey: at(argv.key),
    rfc3161Timestamp: at(argv.rfc3161Timestamp),
    ignoreTlog: argv.ignoreTlog,
  };
}

const create = defineCommand({
  command: 'create',
  describe: 'Assemble a Sigstore bundle from a signature or DSSE envelope, certificate or key, cosign v2 bundle and timestamp',
  builder: createFlags,
  examples: [
    ['seal bundle create --bundle legacy.bundle --artifact app.tar --out app.sigstore.json', 'A cosign v2 sign-blob --bundle file into a Sigstore bundle'],
    ['seal bundle create --signature app.sig --key cosign.pub --artifact app.tar --ignore-tlog --out app.sigstore.json', 'A bare key signature, no log entry'],
  ],
  run: async (argv, ctx) => {
    const options = await toCreateOptions(argv, ctx);
    const { createBundle } = await import('../../ops/bundle-create.ts');
    const bundle = await createBundle(options);
    const text = JSON.stringify(bundle) + '\n';
    await writeDocument(ctx, text, argv.out, 'bundle', 0o600);
  },
});

const command = defineCommand({
  command: 'bundle',
  describe: 'Sigstore bundles',
  subcommands: [create],
});

export default command;
