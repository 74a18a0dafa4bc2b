import type { Argv } from 'yargs';
import type { CreateVexOptions } from '../../ops/vex.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';
import { opEnv } from '../op-env.ts';

const createUsage = 'create <product>';

const createFlags = (y: Argv) =>
  registryOptions(y)
    .positional('product', { type: 'string', describe: 'Image reference (resolved to its digest) or a package URL' })
    .option('vuln', { alias: 'vulnerability', type: 'string', demandOption: 'pass --vuln CVE-…', describe: 'The vulnerability id (CVE-…, GHSA-…)' })
    .option('alias', { type: 'string', array: true, describe: 'Other ids of the same vulnerability (repeatable), e.g. the GHSA of a CVE' })
    .option('status', {
      choices: ['not_affected', 'affected', 'fixed', 'under_investigation'] as const,
      demandOption: 'pass --status not_affected|affected|fixed|under_investigation',
      describe: 'Impact on the product',
    })
    .option('justification', {
      choices: [
        'component_not_present',
        'vulnerable_code_not_present',
        'vulnerable_code_not_in_execute_path',
        'vulnerable_code_cannot_be_controlled_by_adversary',
        'inline_mitigations_already_exist',
      ] as const,
      describe: 'not_affected: why (required unless --impact-statement)',
    })
    .option('impact-statement', { type: 'string', describe: 'not_affected: free text on why' })
    .option('action-statement', { type: 'string', describe: 'affected: what users should do (required for affected)' })
    .option('status-notes', { type: 'string', describe: 'How the status was determined' })
    .option('subcomponent', {
      type: 'string',
      array: true,
      describe: 'Package URL inside the image the statement is about (repeatable); default: the whole image',
    })
    .option('author', { type: 'string', demandOption: 'pass --author "Security Team <security@example.com>"', describe: 'Who makes the statement' })
    .option('role', { type: 'string', describe: 'The author’s role' })
    .option('id', { type: 'string', describe: 'Document @id (IRI); default https://openvex.dev/docs/public/vex-<uuid>' })
    .option('timestamp', { type: 'string', describe: 'Document time (RFC 3339); default now' })
    .option('output-file', { type: 'string', describe: 'Write the document to this file instead of stdout' })
    .option('force', { type: 'boolean', default: false, describe: 'Overwrite --output-file' });

export async function toCreateOptions(argv: FlagsOf<typeof createFlags, typeof createUsage>, ctx: CliContext): Promise<CreateVexOptions> {
  const [{ parseRfc3339 }, { usageError }] = await Promise.all([import('../../scan/findings.ts'), import('../../errors.ts')]);
  let timestamp: Date | undefined;
  if (argv.timestamp !== undefined) {
    timestamp = parseRfc3339(argv.timestamp);
    if (!timestamp) throw usageError(`--timestamp ${JSON.stringify(argv.timestamp)} is not an RFC 3339 time`, { hint: 'write it like 2024-05-01T12:00:00Z' });
  }
  return {
    product: argv.product,
    vulnerability: argv.vuln,
    aliases: argv.alias,
    status: argv.status,
    justification: argv.justification,
    impactStatement: argv.impactStatement,
    actionStatement: argv.actionStatement,
    statusNotes: argv.statusNotes,
    subcomponents: argv.subcomponent,
    author: argv.author,
    role: argv.role,
    id: argv.id,
    timestamp,
    store: toStoreOptions(argv, ctx),
  };
}

const create = defineCommand({
  command: createUsage,
  describe: 'Write an OpenVEX document: one statement about a vulnerability in an image (or a package purl)',
  builder: createFlags,
  examples: [
    [
      'seal vex create IMAGE --vuln CVE-2023-45853 --status not_affected --justification vulnerable_code_not_in_execute_path --author "Security <sec@example.com>" > vex.json',
      'A not_affected statement about an image',
    ],
    ['seal attest --key security.key --type openvex --predicate vex.json IMAGE', 'Then sign and attach it'],
  ],
  run: async (argv, ctx) => {
    const options = await toCreateOptions(argv, ctx);
    const { createVexDocument } = await import('../../ops/vex.ts');
    const { document } = await createVexDocument(options, opEnv(ctx));
    const text = JSON.stringify(document, null, 2) + '\n';
    if (argv.outputFile) {
      const [{ writeFileAtomic }, { resolve }] = await Promise.all([import('../../fs/atomic.ts'), import('node:path')]);
      await writeFileAtomic(resolve(ctx.cwd, argv.outputFile), text, { overwrite: argv.force });
      ctx.log.info(`OpenVEX document written to ${argv.outputFile}`);
    } else {
      await write(ctx.stdout, text);
    }
  },
});

const command = defineCommand({
  command: 'vex',
  describe: 'OpenVEX documents: create one for a vulnerability and an image (sign it with attest --type openvex)',
  subcommands: [create],
});

export default command;
