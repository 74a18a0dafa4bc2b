// `seal report --template`: Handlebars over the report model (docs/report.md). Handlebars is loaded
// only here and only when a template is rendered, so other commands never pay for it. Output is
// text (Markdown, Slack JSON, CSV...), so HTML escaping is off; templates escape with helpers.
import { inputError } from '../errors.ts';
import { shortAge, type ReportModel } from './model.ts';
import { csvField, markdownCell } from './render.ts';

type HelperFn = (...args: unknown[]) => unknown;

/** The last argument Handlebars passes to a helper. */
interface HelperOptions {
  hash?: Record<string, unknown>;
  fn?: (ctx: unknown) => string;
  inverse?: (ctx: unknown) => string;
}

const isOptions = (v: unknown): v is HelperOptions => typeof v === 'object' && v !== null && 'hash' in v;

/** Drops the trailing Handlebars options argument. */
const params = (args: unknown[]): unknown[] => (args.length && isOptions(args[args.length - 1]) ? args.slice(0, -1) : args);

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The helpers every template gets; `now` anchors `age`. */
export function templateHelpers(now: Date): Record<string, HelperFn> {
  return {
    /** {{pad value 12}} left-aligns in 12 columns; {{pad value 5 align="right"}} right-aligns. */
    pad: (...args) => {
      const [value, width] = params(args);
      const opts = args[args.length - 1];
      const right = isOptions(opts) && opts.hash?.align === 'right';
      const w = Number(width) || 0;
      return right ? text(value).padStart(w) : text(value).padEnd(w);
    },
    padLeft: (...args) => {
      const [value, width] = params(args);
      return text(value).padStart(Number(width) || 0);
    },
    upper: (...args) => text(params(args)[0]).toUpperCase(),
    lower: (...args) => text(params(args)[0]).toLowerCase(),
    /** {{age scanFinishedOn}} or {{age ageMs}} → "3d"; "" when unknown. */
    age: (...args) => {
      const [value] = params(args);
      if (typeof value === 'number') return shortAge(value);
      if (typeof value === 'string' && value !== '') {
        const t = Date.parse(value);
        return Number.isNaN(t) ? '' : shortAge(now.getTime() - t);
      }
      if (value instanceof Date) return shortAge(now.getTime() - value.getTime());
      return '';
    },
    join: (...args) => {
      const [list, sep] = params(args);
      return Array.isArray(list) ? list.map(text).join(sep === undefined ? ', ' : text(sep)) : text(list);
    },
    /** A newline, for use inside subexpressions: (concat a (nl) b). Handlebars strings have no escapes. */
    nl: () => '\n',
    /** {{concat a b c}} → the values as one string. */
    concat: (...args) => params(args).map(text).join(''),
    /** JSON-encodes a value: for building JSON payloads (Slack) safely. */
    json: (...args) => JSON.stringify(params(args)[0] ?? null),
    csv: (...args) => csvField(text(params(args)[0])),
    md: (...args) => markdownCell(text(params(args)[0])),
    truncate: (...args) => {
      const [value, n] = params(args);
      const s = text(value);
      const max = Number(n) || 0;
      return max > 1 && s.length > max ? `${s.slice(0, max - 1)}…` : s;
    },
    default: (...args) => {
      const [value, fallback] = params(args);
      return value === undefined || value === null || value === '' ? fallback : value;
    },
    plural: (...args) => {
      const [n, word, pluralWord] = params(args);
      return `${text(n)} ${Number(n) === 1 ? text(word) : pluralWord === undefined ? `${text(word)}s` : text(pluralWord)}`;
    },
    add: (...args) => params(args).reduce((sum: number, v) => sum + (Number(v) || 0), 0),
    eq: (...args) => {
      const [a, b] = params(args);
      return a === b;
    },
    ne: (...args) => {
      const [a, b] = params(args);
      return a !== b;
    },
    gt: (...args) => {
      const [a, b] = params(args);
      return Number(a) > Number(b);
    },
    gte: (...args) => {
      const [a, b] = params(args);
      return Number(a) >= Number(b);
    },
    lt: (...args) => {
      const [a, b] = params(args);
      return Number(a) < Number(b);
    },
    and: (...args) => params(args).every(Boolean),
    or: (...args) => params(args).some(Boolean),
    not: (...args) => !params(args)[0],
  };
}

/**
 * Renders `source` against the model. Template errors (syntax, unknown helper) are input errors
 * naming the template.
 */
export async function renderTemplate(source: string, model: ReportModel, opts: { now: Date; name?: string }): Promise<string> {
  const { default: Handlebars } = await import('handlebars');
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(templateHelpers(opts.now))) hb.registerHelper(name, fn);
  try {
    const template = hb.compile(source, { noEscape: true, strict: false });
    return template(model);
  } catch (err) {
    const first = String((err as Error).message ?? err)
      .split('\n')
      .filter(Boolean)
      .join(' ');
    throw inputError(`template ${opts.name ?? ''}: ${first}`.replace('template : ', 'template: '), {
      code: 'TEMPLATE_INVALID',
      cause: err,
      hint: 'see docs/report.md for the template variables and helpers',
    });
  }
}

/**
 * Where the built-in templates live: beside this module when running from src/, and the source
 * tree when running from a built dist/ in a checkout (tsc does not copy .hbs files).
 */
const TEMPLATE_DIRS = [new URL('./templates/', import.meta.url), new URL('../../src/report/templates/', import.meta.url)];

/** Names of the built-in templates, e.g. ["findings.md", "slack", "summary.md"]. */
export async function listBuiltinTemplates(): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  for (const dir of TEMPLATE_DIRS) {
    try {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.hbs')).map((n) => n.slice(0, -4));
      return names.sort();
    } catch {
      // try the next location
    }
  }
  return [];
}

/**
 * The text of a built-in template by name: "summary.md", "summary.md.hbs", or a unique prefix up
 * to the first dot ("summary", "slack"). Undefined when no built-in template has that name.
 */
export async function loadBuiltinTemplate(name: string): Promise<string | undefined> {
  const names = await listBuiltinTemplates();
  const wanted = name.replace(/\.hbs$/, '');
  let match = names.find((n) => n === wanted);
  if (!match) {
    const byStem = names.filter((n) => n.split('.')[0] === wanted);
    if (byStem.length === 1) match = byStem[0];
  }
  if (!match) return undefined;
  const { readFile } = await import('node:fs/promises');
  for (const dir of TEMPLATE_DIRS) {
    try {
      return await readFile(new URL(`${match}.hbs`, dir), 'utf8');
    } catch {
      // try the next location
    }
  }
  return undefined;
}
