// Which services a keyless signature uses, chosen as cosign v3 chooses them (sigstore-go
// pkg/root/signing_config.go): from a Sigstore signing config (`signing_config.v0.2.json`,
// distributed over TUF beside trusted_root.json, or a file), taking for each kind of service the
// newest one valid now whose major API version seal speaks (the highest first), and for Rekor and
// TSAs as many as the config's selector asks (ALL: one per operator; ANY: one; EXACT: count).
// Where sigstore-go picks ANY at random, seal takes the newest, so a run can be predicted
// (`seal signing-config show`). Explicit --fulcio-url, --rekor-url (a v1 log) and
// --timestamp-server-url replace the chosen service of their kind.
import { SealError } from '../errors.ts';

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/** The API versions seal speaks, per kind of service. */
export const SUPPORTED_API_VERSIONS = { ca: [1], tlog: [1, 2], tsa: [1], oidc: [1] } as const;

export interface ConfigService {
  url: string;
  majorApiVersion: number;
  start?: Date;
  end?: Date;
  operator: string;
}

export type Selector = { selector: 'ALL' } | { selector: 'ANY' } | { selector: 'EXACT'; count: number };

export interface SigningConfig {
  ca: ConfigService[];
  oidc: ConfigService[];
  tlog: ConfigService[];
  tlogSelector: Selector;
  tsa: ConfigService[];
  tsaSelector: Selector;
}

export interface ChosenService {
  url: string;
  apiVersion: number;
  operator?: string;
  /** Where the choice came from: the config, or the flag that overrode it. */
  from: string;
}

export interface SigningServices {
  fulcio: ChosenService;
  rekor: ChosenService[];
  tsa: ChosenService[];
  /** The OIDC issuer of the config, if it names one valid now. */
  oidcIssuer?: ChosenService;
  /** Where the config came from: a file, the TUF cache, or seal's defaults. */
  source: string;
}

/** Parses a signing config document; a SealError naming `source` and the problem when it is not one. */
export function parseSigningConfig(json: unknown, source: string): SigningConfig {
  const bad = (why: string) =>
    new SealError('input', `${source} is not a usable signing config: ${why}`, {
      hint: 'use a signing_config.v0.2.json (cosign signing-config create, or the one `seal trusted-root update` stores)',
      code: 'BAD_SIGNING_CONFIG',
    });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad('not a JSON object');
  const doc = json as Record<string, unknown>;
  if (doc.mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw bad(`mediaType is ${JSON.stringify(doc.mediaType)}, expected ${SIGNING_CONFIG_MEDIA_TYPE}`);
  }
  const services = (field: string): ConfigService[] => {
    const list = doc[field] ?? [];
    if (!Array.isArray(list)) throw bad(`${field} is not a list`);
    return list.map((raw, i) => {
      const s = raw as { url?: unknown; majorApiVersion?: unknown; validFor?: { start?: unknown; end?: unknown }; operator?: unknown };
      const where = `${field}[${i}]`;
      if (typeof s?.url !== 'string' || !/^https?:\/\//.test(s.url)) throw bad(`${where}.url is not an http(s) URL`);
      if (typeof s.majorApiVersion !== 'number' || !Number.isInteger(s.majorApiVersion)) throw bad(`${where}.majorApiVersion is not a number`);
      const time = (v: unknown, name: string): Date | undefined => {
        if (v === undefined) return undefined;
        const d = typeof v === 'string' ? new Date(v) : undefined;
        if (!d || Number.isNaN(d.getTime())) throw bad(`${where}.validFor.${name} is not a time`);
        return d;
      };
      const start = time(s.validFor?.start, 'start');
      const end = time(s.validFor?.end, 'end');
      return {
        url: s.url.replace(/\/+$/, ''),
        majorApiVersion: s.majorApiVersion,
        ...(start ? { start } : {}),
        ...(end ? { end } : {}),
        operator: typeof s.operator === 'string' ? s.operator : '',
      };
    });
  };
  const selector = (field: string): Selector => {
    const raw = (doc[field] ?? {}) as { selector?: unknown; count?: unknown };
    const sel = raw.selector ?? 'ANY';
    if (sel === 'ALL' || sel === 'ANY') return { selector: sel };
    if (sel === 'EXACT') {
      if (typeof raw.count !== 'number' || !Number.isInteger(raw.count) || raw.count < 1) throw bad(`${field}.count must be a positive number with EXACT`);
      return { selector: 'EXACT', count: raw.count };
    }
    throw bad(`${field}.selector ${JSON.stringify(sel)} is not ALL, ANY or EXACT`);
  };
  return {
    ca: services('caUrls'),
    oidc: services('oidcUrls'),
    tlog: services('rekorTlogUrls'),
    tlogSelector: selector('rekorTlogConfig'),
    tsa: services('tsaUrls'),
    tsaSelector: selector('tsaConfig'),
  };
}

const validAt = (s: ConfigService, now: Date) => (!s.start || s.start <= now) && (!s.end || s.end >= now);
const newestFirst = (list: ConfigService[]) => [...list].sort((a, b) => (b.start?.getTime() ?? 0) - (a.start?.getTime() ?? 0));

/** The newest service valid at `now` with the highest supported version; undefined when none. */
export function selectService(list: ConfigService[], versions: readonly number[], now: Date): ConfigService | undefined {
  for (const version of [...versions].sort((a, b) => b - a)) {
    const found = newestFirst(list).find((s) => s.majorApiVersion === version && validAt(s, now));
    if (found) return found;
  }
  return undefined;
}

/** The services `selector` asks for (see the top of this file); empty when none is valid. */
export function selectServices(list: ConfigService[], selector: Selector, versions: readonly number[], now: Date): ConfigService[] {
  let chosen: ConfigService[] = [];
  for (const version of [...versions].sort((a, b) => b - a)) {
    const operators = new Set<string>();
    for (const s of newestFirst(list)) {
      if (s.majorApiVersion !== version || !validAt(s, now) || operators.has(s.operator)) continue;
      operators.add(s.operator);
      chosen.push(s);
    }
    if (chosen.length > 0) break;
  }
  if (selector.selector === 'ANY') chosen = chosen.slice(0, 1);
  if (selector.selector === 'EXACT') {
    if (chosen.length < selector.count) return [];
    chosen = chosen.slice(0, selector.count);
  }
  return chosen;
}

export interface ChooseOptions {
  now?: Date;
  /** --fulcio-url, --rekor-url (a v1 log), --timestamp-server-url. */
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  /** The legacy image format carries only Rekor v1 entries (an inclusion promise): choose v1 logs. */
  rekorV1Only?: boolean;
}

/**
 * The services a keyless signing run uses with `config` (from `source`) and the explicit URLs.
 * Refuses a run that would have no Fulcio or no log, and a Rekor v2 log without a TSA (a v2
 * entry has no signed entry timestamp, so the signature would have no trusted time).
 */
export function chooseServices(config: SigningConfig, source: string, opts: ChooseOptions = {}): SigningServices {
  const now = opts.now ?? new Date();
  const from = `the signing config (${source})`;
  const none = (what: string, hint: string) =>
    new SealError('input', `${source} names no ${what} valid now (${now.toISOString()})`, { hint, code: 'SIGNING_CONFIG_NO_SERVICE' });
  const chosen = (s: ConfigService): ChosenService => ({ url: s.url, apiVersion: s.majorApiVersion, ...(s.operator ? { operator: s.operator } : {}), from });

  let fulcio: ChosenService;
  if (opts.fulcioUrl) fulcio = { url: opts.fulcioUrl, apiVersion: 1, from: '--fulcio-url' };
  else {
    const ca = selectService(config.ca, SUPPORTED_API_VERSIONS.ca, now);
    if (!ca) throw none('Fulcio (caUrls with API version 1)', 'pass --fulcio-url, or use a signing config with a valid caUrls entry');
    fulcio = chosen(ca);
  }

  let rekor: ChosenService[];
  if (opts.rekorUrl) rekor = [{ url: opts.rekorUrl, apiVersion: 1, from: '--rekor-url' }];
  else {
    const versions = opts.rekorV1Only ? [1] : SUPPORTED_API_VERSIONS.tlog;
    rekor = selectServices(config.tlog, config.tlogSelector, versions, now).map(chosen);
    if (rekor.length === 0) {
      if (opts.rekorV1Only && selectServices(config.tlog, config.tlogSelector, [2], now).length > 0) {
        throw new SealError('input', `${source} names only Rekor v2 logs, and the legacy signature format needs a Rekor v1 entry (an inclusion promise)`, {
          hint: 'sign with --format bundle (or --new-bundle-format), or pass --rekor-url with a Rekor v1 log',
          code: 'SIGNING_CONFIG_NO_SERVICE',
        });
      }
      throw none(
        `transparency log (rekorTlogUrls with API version 1 or 2${config.tlogSelector.selector === 'EXACT' ? `, ${config.tlogSelector.count} of them` : ''})`,
        'pass --rekor-url, or use a signing config with a valid rekorTlogUrls entry',
      );
    }
  }

  let tsa: ChosenService[];
  if (opts.tsaUrl) tsa = [{ url: opts.tsaUrl, apiVersion: 1, from: '--timestamp-server-url' }];
  else tsa = selectServices(config.tsa, config.tsaSelector, SUPPORTED_API_VERSIONS.tsa, now).map(chosen);

  const v2 = rekor.find((r) => r.apiVersion === 2);
  if (v2 && tsa.length === 0) {
    throw new SealError('input', `Rekor v2 (${v2.url}) gives no signed timestamp, and ${source} names no timestamp authority valid now`, {
      hint: 'add a tsaUrls entry to the signing config, or pass --timestamp-server-url URL',
      code: 'SIGNING_CONFIG_NO_TSA',
    });
  }

  const oidc = selectService(config.oidc, SUPPORTED_API_VERSIONS.oidc, now);
  return { fulcio, rekor, tsa, ...(oidc ? { oidcIssuer: chosen(oidc) } : {}), source };
}
