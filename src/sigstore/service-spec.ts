// cosign's service specifications for `trusted-root create` and `signing-config create`: one flag
// value per service, a comma-separated key=value list (`url=https://…,public-key=rekor.pub,
// start-time=2025-01-01T00:00:00Z`). Keys are checked against what the service takes, so a typo
// is an error and not a silently missing field.
import { SealError } from '../errors.ts';

export type ServiceSpec = Record<string, string>;

export function parseServiceSpec(flag: string, spec: string, required: readonly string[], optional: readonly string[]): ServiceSpec {
  const out: ServiceSpec = {};
  for (const pair of spec.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new SealError('usage', `--${flag} ${JSON.stringify(spec)}: ${JSON.stringify(pair)} is not key=value`, {
        hint: `a comma-separated list of ${[...required, ...optional].join(', ')}`,
      });
    }
    const key = pair.slice(0, eq).trim();
    if (!required.includes(key) && !optional.includes(key)) {
      throw new SealError('usage', `--${flag}: unknown key ${JSON.stringify(key)}`, { hint: `keys: ${[...required, ...optional].join(', ')}` });
    }
    out[key] = pair.slice(eq + 1).trim();
  }
  for (const key of required) {
    if (!out[key]) throw new SealError('usage', `--${flag} ${JSON.stringify(spec)} lacks ${key}=`, { hint: `required keys: ${required.join(', ')}` });
  }
  return out;
}

/** An RFC 3339 time of a spec, normalised the way protojson writes Timestamps. */
export function specTime(flag: string, key: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const t = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(t.getTime())) {
    throw new SealError('usage', `--${flag}: ${key}=${value} is not an RFC 3339 time`, { hint: 'e.g. 2025-01-01T00:00:00Z' });
  }
  return t.toISOString().replace(/\.000Z$/, 'Z');
}
