// `seal env`: the variables seal reads with their current values, secrets masked, in cosign env's
// layout (`# NAME description`, `# Expects: …`, `NAME=value`), then any other SEAL_/COSIGN_/
// SIGSTORE_/TUF_ variable that is set, since a misspelt one is a common reason a setting is ignored.
import { ENVIRONMENT, ENVIRONMENT_PREFIXES, type EnvVariable } from '../config/environment.ts';

export interface EnvOptions {
  env: Readonly<Record<string, string | undefined>>;
  showDescriptions: boolean;
  showSensitiveValues: boolean;
  variables?: readonly EnvVariable[];
}

const MASK = '******';

export function renderEnvironment(o: EnvOptions): string {
  const known = [...(o.variables ?? ENVIRONMENT)].sort((a, b) => (a.name < b.name ? -1 : 1));
  const names = new Set(known.map((k) => k.name));
  const show = (value: string, sensitive: boolean) => (sensitive && !o.showSensitiveValues && value !== '' ? MASK : value);
  const lines: string[] = [];
  for (const k of known) {
    if (o.showDescriptions) lines.push(`# ${k.name} ${k.description}`, `# Expects: ${k.expects}`);
    lines.push(`${k.name}=${show(o.env[k.name] ?? '', k.sensitive)}`);
  }
  const others = Object.keys(o.env)
    .filter((n) => !names.has(n) && ENVIRONMENT_PREFIXES.some((p) => n.startsWith(p)))
    .sort();
  if (others.length && o.showDescriptions) {
    lines.push('# Not read by seal, but set: a misspelling, or a variable of another tool. Values masked');
    lines.push('# unless --show-sensitive-values, since seal cannot tell whether they are secret.');
  }
  for (const n of others) lines.push(`${n}=${show(o.env[n] ?? '', true)}`);
  return lines.join('\n') + '\n';
}
