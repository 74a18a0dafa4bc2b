import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import { defineCommand } from '../command.ts';
import { keylessFromArgs, keylessOptions, loadSigningKey, optionalSigningKeyOption, tlogFromArgs } from '../options/key.ts';
import { write } from '../output.ts';
import { readInput } from '../read-input.ts';
import { cosignKeylessFlags, newBundleFormatFlag, refused } from '../options/cosign.ts';

const attestBlobCosignFlags = (y: Argv): Argv => {
  let b: Argv = newBundleFormatFlag(cosignKeylessFlags(y))
    .option('output-signature', { type: 'string', describe: 'Also write the DSSE envelope (JSON) to this file' })
    .option('output-attestation', { type: 'string', describe: 'Also write the signed in-toto statement to this file' })
    .option('output-certificate', { type: 'string', describe: 'Keyless: also write the signing certificate (PEM) to this file' })
    .option('tlog-upload', { type: 'boolean', describe: 'With --key: also log the envelope in Rekor (cosign default true; seal default false)' })
    .option('rekor-entry-type', { type: 'string', hidden: true, describe: 'cosign: dsse (seal logs dsse entries; intoto is refused)' });
  const withKey = 'seal does not attach a certificate you supply to a key signature; sign keylessly for a certificate';
  for (const f of ['certificate', 'certificate-chain']) b = refused(b, f, 'string', withKey);
  b = refused(b, 'rfc3161-timestamp-bundle', 'string', 'seal keeps the RFC 3161 timestamp in the Sigstore bundle; pass --timestamp-server-url with --bundle FILE');
  return b;
};

const command = defineCommand({
  command: 'attest-blob [file]',
  describe: 'Sign an in-toto attestation about a file into a Sigstore bundle',
  builder: (y: Argv) =>
    attestBlobCosignFlags(keylessOptions(optionalSigningKeyOption(y)))
      .positional('file', { type: 'string', describe: 'The file the attestation is about' })
      .option('predicate', { type: 'string', describe: 'Predicate file (or -)' })
      .option('statement', { type: 'string', describe: 'A complete in-toto statement to sign as is' })
      .option('type', { type: 'string', default: 'custom', describe: 'Predicate type alias or URI (see seal attest --help)' })
      .option('hash', { type: 'string', describe: 'sha256 hex of the file, instead of reading it' })
      .option('bundle', { type: 'string', describe: 'Where to write the Sigstore bundle (replaced if it exists, as cosign does)' })
      .option('force', { type: 'boolean', default: false, describe: 'Accepted for older scripts: output files are always replaced, as cosign does' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Keyless: do not print the public transparency log notice' }),
  examples: [
    ['seal attest-blob --key cosign.key --predicate scan.json --type vuln --bundle app.att.json app.tar.gz', 'Attest a scan of a release file'],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal attest-blob --predicate scan.json --type vuln --bundle app.att.json app.tar.gz', 'Keyless: Fulcio certificate + Rekor dsse entry'],
  ],
  run: async (argv, ctx) => {
    if (!argv.predicate && !argv.statement) throw usageError('pass --predicate FILE or --statement FILE');
    let signer;
    let makeBundle: ((statement: Uint8Array) => Promise<Uint8Array>) | undefined;
    if (argv.key !== undefined && argv['tlog-upload'] === true) {
      // Logged in Rekor (a dsse entry); the entry goes into the bundle.
      const tlog = (await tlogFromArgs(argv, ctx))!;
      const key = await loadSigningKey(argv.key, ctx);
      const [{ checkLoggableKey, keyDsseBundle }, { INTOTO_PAYLOAD_TYPE }] = await Promise.all([
        import('../../sigstore/key-tlog.ts'),
        import('../../oci/cosign-layout.ts'),
      ]);
      checkLoggableKey(key);
      makeBundle = (statement) => keyDsseBundle(key, statement, INTOTO_PAYLOAD_TYPE, tlog);
    } else if (argv.key !== undefined) {
      signer = await loadSigningKey(argv.key, ctx);
    } else {
      const keyless = await keylessFromArgs(argv, ctx, 'attest-blob');
      const [{ keylessDsseBundle }, { INTOTO_PAYLOAD_TYPE }] = await Promise.all([
        import('../../sigstore/keyless.ts'),
        import('../../oci/cosign-layout.ts'),
      ]);
      makeBundle = (statement) => keylessDsseBundle(statement, INTOTO_PAYLOAD_TYPE, keyless);
    }
    const { attestBlob } = await import('../../ops/attest-blob.ts');
    const bundle = await attestBlob(
      {
        file: argv.file,
        hash: argv.hash,
        type: argv.type,
        predicate: argv.predicate ? await readInput(argv.predicate, ctx, 'predicate file') : undefined,
        predicateName: argv.predicate,
        statement: argv.statement ? await readInput(argv.statement, ctx, 'statement file') : undefined,
        ...(makeBundle ? { makeBundle } : {}),
      },
      signer,
      ctx.log,
    );
    const [{ writeFileAtomic }, { bundleParts }] = await Promise.all([import('../../fs/atomic.ts'), import('../../sigstore/bundle-parts.ts')]);
    const parts = bundleParts(bundle);
    // Output files are replaced when they exist, as cosign does: re-running a release script works.
    if (argv.bundle !== undefined) {
      await writeFileAtomic(argv.bundle, bundle, { overwrite: true, mode: 0o644 });
      ctx.log.info(`Wrote bundle to file ${argv.bundle}`);
    }
    if (argv['output-signature'] !== undefined) {
      await writeFileAtomic(argv['output-signature'], parts.envelopeJson ?? '', { overwrite: true, mode: 0o644 });
      ctx.log.info(`Signature written in ${argv['output-signature']}`);
    } else if (argv.bundle === undefined) {
      // cosign (legacy output) prints the DSSE envelope when no file is named.
      await write(ctx.stdout, (parts.envelopeJson ?? '') + '\n');
    }
    if (argv['output-attestation'] !== undefined && parts.payload) {
      await writeFileAtomic(argv['output-attestation'], parts.payload, { overwrite: true, mode: 0o644 });
      ctx.log.info(`Attestation written in ${argv['output-attestation']}`);
    }
    if (argv['output-certificate'] !== undefined) {
      if (parts.certificatePem) {
        await writeFileAtomic(argv['output-certificate'], parts.certificatePem, { overwrite: true, mode: 0o644 });
        ctx.log.info(`Certificate written to file ${argv['output-certificate']}`);
      } else {
        ctx.log.warn(`--output-certificate: a key signature has no certificate; ${argv['output-certificate']} not written`);
      }
    }
  },
});

export default command;
