import type { Argv } from 'yargs';
import type { VerifyImagesOptions } from '../../ops/verify.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadTrustPolicy, trustOptions } from '../options/trust.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { accepted, cosignVerifyFlags, refused } from '../options/cosign.ts';
import { write, writeJSON } from '../output.ts';
import { opEnv } from '../op-env.ts';

/** cosign verify's flags for detached material, which seal does not take. */
const verifyImageCosignFlags = <T>(y: Argv<T>) => {
  let b = accepted(y, 'check-claims', 'boolean', 'seal always checks the claims (false is refused)');
  b = accepted(b, 'local-image', 'boolean', 'the image argument is an OCI layout directory (cosign save): seal reads it as oci:DIR');
  const detached = 'seal verifies signatures stored with the image; for a detached signature use seal verify-blob';
  for (const f of ['certificate', 'certificate-chain', 'payload', 'signature']) b = refused(b, f, 'string', detached);
  b = refused(b, 'attachment', 'string', 'cosign deprecated attachment signatures; verify the attachment by its digest');
  return b;
};

/** seal verify's flags; seal manifest verify and seal dockerfile verify take them too. */
export const verifyFlags = (y: Argv) =>
  verifyImageCosignFlags(registryOptions(cosignVerifyFlags(trustOptions(y))))
    .positional('images', { type: 'string', array: true, describe: 'Image references' })
    .option('annotations', { alias: 'a', type: 'string', array: true, describe: 'Require this signed annotation key=value (repeatable)' })
    .option('output', {
      alias: 'o',
      choices: ['cosign', 'text', 'json'] as const,
      default: 'cosign',
      describe: "cosign: the JSON array of verified payloads, as cosign prints it; text: a line per image; json: seal's report per image",
    })
    .option('concurrency', { type: 'number', default: 4, describe: 'Images verified at once' });

export type VerifyFlags = FlagsOf<typeof verifyFlags>;

export async function toOptions(argv: VerifyFlags, images: string[], ctx: CliContext): Promise<VerifyImagesOptions> {
  const { parseAnnotations } = await import('../../cosign/annotations.ts');
  const annotations = parseAnnotations(argv.annotations);
  const trust = await loadTrustPolicy(argv, ctx);
  return { images, annotations, store: toStoreOptions(argv, ctx), concurrency: argv.concurrency, trust };
}

/** Verifies `images` as the flags say; messages on stderr and the verified payloads on stdout, as cosign. */
export async function verifyImagesAndReport(argv: VerifyFlags, images: string[], ctx: CliContext): Promise<void> {
  const options = await toOptions(argv, images, ctx);
  const { verifyImages, verificationError } = await import('../../ops/verify.ts');
  const reports = await verifyImages(options, opEnv(ctx));
  for (const r of reports.filter((r) => r.verified)) {
    ctx.log.info(`\nVerification for ${r.image} (${r.digest}) --`);
    ctx.log.info('The following checks were performed on each of these signatures:');
    if (Object.keys(options.annotations).length) ctx.log.info('  - The specified annotations were verified.');
    ctx.log.info('  - The signed payload names this image digest');
    if (r.signatures.some((s) => s.verified && s.checks.tlog)) {
      ctx.log.info('  - Existence of the claims in the transparency log was verified offline');
    }
    ctx.log.info(
      options.trust.verifier
        ? '  - The signatures were verified against the specified public key'
        : '  - The code-signing certificate was verified using trusted certificate authority certificates',
    );
  }
  const { cosignVerifyJson, signatureLabel } = await import('../cosign-output.ts');
  const err = verificationError(reports);
  if (argv.output === 'json') await writeJSON(ctx.stdout, reports);
  else if (argv.output === 'text') {
    for (const r of reports) {
      const ok = r.signatures.filter((s) => s.verified).length;
      await write(ctx.stdout, `${r.image}@${r.digest}: ${ok} of ${r.signatures.length} signature(s) verified\n`);
    }
  } else if (!err) {
    // cosign prints the verified payloads only when the whole command succeeds.
    await write(ctx.stdout, cosignVerifyJson(reports));
  }
  for (const r of reports) {
    for (const s of r.signatures.filter((s) => !s.verified)) {
      if (argv.output === 'text' || err) ctx.log.info(`  ${r.image}: ${signatureLabel(s)}: ${s.error}`);
    }
  }
  if (err) throw err;
}

const command = defineCommand({
  command: 'verify <images..>',
  describe: 'Verify image signatures in both storage formats',
  builder: verifyFlags,
  examples: [
    [
      'seal verify --key cosign.pub registry.example.com/app:1.2 | jq -r ".[].critical.image"',
      'Exit 0 when at least one signature verifies; stdout is what cosign prints',
    ],
    ['seal verify --key cosign.pub -a env=prod -o json IMAGE | jq .', "Require an annotation; seal's JSON report of every check"],
    [
      'seal verify --key cosign.pub --require-tlog --trusted-root trusted_root.json IMAGE',
      'Also demand a Rekor entry, checked offline, as cosign verify --key does',
    ],
  ],
  run: (argv, ctx) => verifyImagesAndReport(argv, argv.images, ctx),
});

export default command;
