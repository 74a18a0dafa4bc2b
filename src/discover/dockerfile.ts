// The images a Dockerfile builds from, for `seal dockerfile verify`: FROM lines (less `scratch`
// and references to earlier stages) and COPY --from=IMAGE, with ARG/ENV values and the caller's
// environment substituted as cosign does ($X and ${X}), so a base image chosen by a build arg is
// checked too. A FROM that substitutes to nothing is an error: verifying fewer images than the
// build uses would pass a gate it should not.
import { SealError } from '../errors.ts';

export interface DockerfileImages {
  images: string[];
  /** The FROM images alone, in order (the last is the final stage's base, for --base-image-only). */
  bases: string[];
  /** What was passed over and why, for --verbose. */
  skipped: string[];
}

export function imagesInDockerfile(text: string, env: Readonly<Record<string, string | undefined>>): DockerfileImages {
  const vars = new Map<string, string>();
  const stages: string[] = [];
  const images: string[] = [];
  const bases: string[] = [];
  const skipped: string[] = [];
  const expand = (s: string) =>
    s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      return vars.get(name) ?? env[name] ?? '';
    });

  for (const raw of joinContinuations(text)) {
    const line = raw.trim();
    const word = /^(\S+)/.exec(line)?.[1]?.toUpperCase();
    const rest = line.replace(/^\S+\s*/, '');
    if (word === 'FROM') {
      const fields = expand(rest).split(/\s+/).filter(Boolean);
      const as = fields.findIndex((f, i) => i > 0 && f.toUpperCase() === 'AS');
      if (as >= 0) {
        if (as === fields.length - 1) throw new SealError('input', `no stage name after AS in ${JSON.stringify(line)}`);
        stages.push(fields[as + 1]!);
        fields.length = as;
      }
      const image = fields.filter((f) => !f.startsWith('--')).pop();
      if (image === undefined) {
        throw new SealError('input', `no image in ${JSON.stringify(line)}`, { hint: 'is a build argument missing from the environment?' });
      }
      if (image === 'scratch') skipped.push('scratch');
      else if (stages.slice(0, as >= 0 ? -1 : undefined).includes(image)) skipped.push(`stage ${image}`);
      else {
        images.push(image);
        bases.push(image);
      }
    } else if (word === 'COPY') {
      const from = /(?:^|\s)--from=(\S+)/.exec(expand(rest))?.[1];
      if (from === undefined) continue;
      if (stages.includes(from) || /^\d+$/.test(from)) skipped.push(`stage ${from}`);
      else images.push(from);
    } else if (word === 'ARG' || word === 'ENV') {
      for (const field of expand(rest).split(/\s+/)) {
        const eq = field.indexOf('=');
        if (eq > 0) vars.set(field.slice(0, eq), field.slice(eq + 1).replace(/^"(.*)"$/, '$1'));
      }
    }
  }
  return { images, bases, skipped };
}

/** Dockerfile lines with backslash continuations joined. */
function joinContinuations(text: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const line of text.split(/\r?\n/)) {
    if (/\\\s*$/.test(line)) acc += line.replace(/\\\s*$/, ' ');
    else {
      out.push(acc + line);
      acc = '';
    }
  }
  if (acc) out.push(acc);
  return out;
}
