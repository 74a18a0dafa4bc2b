// Prints the flag-by-flag part of docs/cosign-migration.md from cosign's flag table
// (test/fixtures/cosign-cli/cosign-cli-flags.tsv) and seal's own declarations:
//   node scripts/cosign-flag-table.ts > /tmp/flags.md
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { resolveCommand, GLOBAL_OPTIONS } from '../src/cli/fast-path.ts';

interface Decl {
  describe?: string;
  hidden?: boolean;
  refuse?: string;
}

function declarations(builder: ((y: Argv) => Argv) | undefined): Map<string, Decl> {
  const out = new Map<string, Decl>();
  const stub: Record<string, unknown> = new Proxy(
    {},
    {
      get(_t, prop) {
        if (prop === 'option' || prop === 'options') {
          return (name: string, cfg: Record<string, unknown> = {}) => {
            const d = { ...out.get(name), ...(cfg as Decl) };
            out.set(name, d);
            for (const a of ([] as unknown[]).concat(cfg.alias ?? [])) out.set(String(a), d);
            return stub;
          };
        }
        return () => stub;
      },
    },
  );
  builder?.(stub as unknown as Argv);
  return out;
}

const rows = readFileSync(new URL('../test/fixtures/cosign-cli/cosign-cli-flags.tsv', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('command\t'))
  .map((l) => l.split('\t'));
const byCommand = new Map<string, string[][]>();
for (const r of rows) byCommand.set(r[0]!, [...(byCommand.get(r[0]!) ?? []), r]);
const globals = new Set(GLOBAL_OPTIONS.map(([n]) => n).concat('help'));
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

for (const [command, list] of byCommand) {
  const resolved = await resolveCommand(command.split(' '));
  if (!resolved || resolved.rest.length || !resolved.command.run) continue;
  const decl = declarations(resolved.command.builder);
  const lines: string[] = [];
  for (const r of list) {
    const name = r[1]!.replace(/^--/, '');
    if (globals.has(name)) continue;
    const d = decl.get(name);
    let what: string;
    if (!d) what = 'not declared (test/cli/cosign-flags.test.ts fails)';
    else if (d.refuse) what = `**refused** (exit 2): ${d.refuse}`;
    else if (d.hidden || d.describe?.startsWith('cosign compatibility: '))
      what = `accepted: ${(d.describe ?? '').replace(/^cosign compatibility: |^cosign: /, '')}`;
    else what = `same: ${d.describe ?? ''}`;
    lines.push(`| \`${r[1]}\`${r[2] ? ` \`${r[2]}\`` : ''} | ${cell(what)} |`);
  }
  if (lines.length === 0) continue;
  console.log(`### seal ${command}\n\n| cosign flag | in seal |\n|---|---|\n${lines.join('\n')}\n`);
}
