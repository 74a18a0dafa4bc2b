// `-a key=value` pairs (repeatable, or comma separated as cosign allows), split on the first `=`.
import { usageError } from '../errors.ts';

export function parseAnnotations(values: string | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  for (const raw of list) {
    for (const pair of raw.split(',')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) throw usageError(`invalid annotation "${pair}": expected key=value`);
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return out;
}
