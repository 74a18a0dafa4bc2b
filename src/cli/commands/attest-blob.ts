import type { Argv } from 'yargs';
import { usageError } from '../../errors.ts';
import { defineCommand } from '../command.ts';
import { keylessFromArgs, keylessOptions, loadSigningKey, optionalSigningKeyOption } from '../options/key.ts';
import { readInput } from '../read-input.ts';

const command = defineCommand({
  command: 'attest-blob [file]',
  describe: 'Sign an in-toto attestation about a file into a Sigstore bundle',
  builder: (y: Argv) =>
    keylessOptions(optionalSigningKeyOption(y))
      .positional('file', { type: 'string', describe: 'The file the attestation is about' })
      .option('predicate', { type: 'string', describe: 'Predicate file (or -)' })
      .option('statement', { type: 'string', describe: 'A complete in-toto statement to sign as is' })
      .option('type', { type: 'string', default: 'custom', describe: 'Predicate type alias or URI (see seal attest --help)' })
      .option('hash', { type: 'string', describe: 'sha256 hex of the file, instead of reading it' })
      .option('bundle', { type: 'string', demandOption: 'pass --bundle OUT for the bundle file', describe: 'Where to write the bundle' })
      .option('force', { type: 'boolean', default: false, describe: 'Overwrite the bundle file' })
      .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Keyless: do not print the public transparency log notice' }),
  examples: [
    ['seal attest-blob --key cosign.key --predicate scan.json --type vuln --bundle app.att.json app.tar.gz', 'Attest a scan of a release file'],
    ['SIGSTORE_ID_TOKEN=$(cat token) seal attest-blob --predicate scan.json --type vuln --bundle app.att.json app.tar.gz', 'Keyless: Fulcio certificate + Rekor dsse entry'],
  ],
  run: async (argv, ctx) => {
    if (!argv.predicate && !argv.statement) throw usageError('pass --predicate FILE or --statement FILE');
    let signer;
    let makeBundle: ((statement: Uint8Array) => Promise<Uint8Array>) | undefined;
    if (argv.key !== undefined) {
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
    const { writeFileAtomic } = await import('../../fs/atomic.ts');
    await writeFileAtomic(argv.bundle, bundle, { overwrite: argv.force, mode: 0o644 });
    ctx.log.info(`Wrote bundle to file ${argv.bundle}`);
  },
});

export default command;
