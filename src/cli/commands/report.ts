import type { Argv } from 'yargs';
import { SealError } from '../../errors.ts';
import type { VulnReportOptions } from '../../ops/report.ts';
import { defineCommand, type FlagsOf } from '../command.ts';
import type { CliContext } from '../context.ts';
import { loadTrustPolicy, trustOptions } from '../options/trust.ts';
import { registryOptions, toStoreOptions } from '../options/registry.ts';
import { write } from '../output.ts';
import { readInput } from '../../fs/read-input.ts';
import { loadVexOptions, vexOptions } from '../options/vex.ts';
import { opEnv } from '../op-env.ts';

const usage = 'report <images..>';

const flags = (y: Argv) =>
  vexOptions(registryOptions(trustOptions(y)))
    .positional('images', { type: 'string', array: true, describe: 'Image references' })
    .option('format', { alias: 'f', choices: ['table', 'json', 'csv', 'markdown'] as const, default: 'table' as const })
    .option('template', { type: 'string', describe: 'A Handlebars template file, or a built-in name (summary.md, findings.md, slack)' });

export async function toOptions(argv: FlagsOf<typeof flags, typeof usage>, ctx: CliContext): Promise<VulnReportOptions & { now: Date }> {
  const trust = await loadTrustPolicy(argv, ctx);
  return { images: argv.images, store: toStoreOptions(argv, ctx), trust, now: new Date(), vex: await loadVexOptions(argv, ctx) };
}

const command = defineCommand({
  command: usage,
  describe: 'Compare vulnerability findings of images from their verified scan attestations',
  builder: flags,
  examples: [
    ['seal report --key cosign.pub python:latest python:alpine', 'Critical/high/... side by side'],
    ['seal report --key cosign.pub --template summary.md IMAGE > summary.md', 'A built-in template'],
  ],
  run: async (argv, ctx) => {
    const options = await toOptions(argv, ctx);
    const { buildVulnReport } = await import('../../ops/report.ts');
    const model = await buildVulnReport(options, opEnv(ctx));
    let text: string;
    if (argv.template) {
      const { renderTemplate, loadBuiltinTemplate } = await import('../../report/template.ts');
      // A file that exists wins over a built-in template of the same name.
      const [{ existsSync }, { resolve }] = await Promise.all([import('node:fs'), import('node:path')]);
      const builtin = existsSync(resolve(ctx.cwd, argv.template)) ? undefined : await loadBuiltinTemplate(argv.template);
      const source = builtin ?? Buffer.from(await readInput(argv.template, ctx, 'template')).toString('utf8');
      text = await renderTemplate(source, model, { now: options.now, name: argv.template });
    } else {
      const { renderReport } = await import('../../report/render.ts');
      text = renderReport(model, argv.format);
    }
    await write(ctx.stdout, text.endsWith('\n') ? text : text + '\n');
    if (model.totals.scanned === 0) {
      throw new SealError('no-matching', 'no image has a verified vulnerability scan', { hint: 'attest one with seal attest --type vuln' });
    }
  },
});

export default command;
