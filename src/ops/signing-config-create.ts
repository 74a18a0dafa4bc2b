// seal signing-config create: a signing config (v0.2) naming the Fulcio, Rekor, TSA and OIDC
// services signing uses, for a private deployment or to pin/extend the public-good one, from
// cosign's service specifications (`url=…,api-version=1,start-time=…,operator=…[,end-time=…]`).
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { SealError, messageOf } from '../errors.ts';
import { parseServiceSpec, specTime } from '../sigstore/service-spec.ts';

export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

type Json = Record<string, unknown>;
type Kind = 'fulcio' | 'rekor' | 'tsa' | 'oidc';
const SECTION: Record<Kind, string> = { fulcio: 'caUrls', rekor: 'rekorTlogUrls', tsa: 'tsaUrls', oidc: 'oidcUrls' };

export interface SigningConfigCreateOptions {
  fulcio: string[];
  rekor: string[];
  tsa: string[];
  oidcProvider: string[];
  rekorConfig?: string;
  tsaConfig?: string;
  /** A signing config file to start from. */
  baseConfig?: string;
  /** Start from the signing config cached by `seal trusted-root update`. */
  withDefaultServices: boolean;
  /** As withDefaultServices, keeping only Rekor v2 logs. */
  withDefaultRekorV2: boolean;
  noDefault: Partial<Record<Kind, boolean>>;
  tufCacheDir?: string;
}

function service(kind: Kind, spec: string): Json {
  const flag = kind === 'oidc' ? 'oidc-provider' : kind;
  const s = parseServiceSpec(flag, spec, ['url', 'api-version', 'start-time', 'operator'], ['end-time']);
  const major = Number(s['api-version']);
  if (!Number.isInteger(major) || major < 1) throw new SealError('usage', `--${flag}: api-version=${s['api-version']} is not a version number (1, 2, …)`);
  const end = specTime(flag, 'end-time', s['end-time']);
  return {
    url: s.url,
    majorApiVersion: major,
    validFor: { start: specTime(flag, 'start-time', s['start-time']), ...(end ? { end } : {}) },
    operator: s.operator,
  };
}

/** cosign's ANY | ALL | EXACT:N. */
export function serviceConfig(flag: string, value: string): Json {
  const m = /^(ANY|ALL|EXACT)(?::(\d+))?$/.exec(value.trim());
  if (!m || (m[1] === 'EXACT') !== (m[2] !== undefined) || m[2] === '0') {
    throw new SealError('usage', `--${flag} ${JSON.stringify(value)}: use ANY, ALL or EXACT:N (N ≥ 1)`);
  }
  return m[1] === 'EXACT' ? { selector: 'EXACT', count: Number(m[2]) } : { selector: m[1] };
}

async function readConfig(file: string, what: string): Promise<Json> {
  let doc: unknown;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (err) {
    throw new SealError('input', `cannot read ${what} ${file}: ${messageOf(err)}`);
  }
  if (doc === null || typeof doc !== 'object' || !String((doc as Json).mediaType ?? '').includes('signingconfig')) {
    throw new SealError('input', `${file} is not a signing config (no signingconfig mediaType)`);
  }
  return doc as Json;
}

async function cachedDefault(tufCacheDir: string | undefined): Promise<Json> {
  const none = new SealError('input', 'no cached signing config to take the default services from', {
    hint: 'run seal trusted-root update (it caches the public-good signing config), or give --base-config FILE',
  });
  if (!tufCacheDir) throw none;
  const [{ readTufCache, SIGNING_CONFIG_TARGET }] = await Promise.all([import('../sigstore/tuf-cache.ts')]);
  const cached = await readTufCache(tufCacheDir);
  const file = cached && path.join(cached.dir, 'targets', SIGNING_CONFIG_TARGET);
  if (!file || !cached.summary.files.some((f) => f.name === SIGNING_CONFIG_TARGET)) throw none;
  return readConfig(file, 'the cached signing config');
}

export async function createSigningConfig(o: SigningConfigCreateOptions): Promise<Json> {
  if (o.rekor.length && !o.rekorConfig) throw new SealError('usage', '--rekor-config must be given with --rekor', { hint: 'ANY (one log), ALL, or EXACT:N' });
  if (o.tsa.length && !o.tsaConfig) throw new SealError('usage', '--tsa-config must be given with --tsa', { hint: 'ANY (one TSA), ALL, or EXACT:N' });
  const out: Json = {
    mediaType: SIGNING_CONFIG_MEDIA_TYPE,
    caUrls: [],
    oidcUrls: [],
    rekorTlogUrls: [],
    rekorTlogConfig: { selector: 'ANY' },
    tsaUrls: [],
    tsaConfig: { selector: 'ANY' },
  };
  const given: Record<Kind, string[]> = { fulcio: o.fulcio, rekor: o.rekor, tsa: o.tsa, oidc: o.oidcProvider };
  const inherit = (base: Json, onlyWhenNotGiven: boolean) => {
    for (const kind of Object.keys(SECTION) as Kind[]) {
      if (o.noDefault[kind] || (onlyWhenNotGiven && given[kind].length)) continue;
      let list = (base[SECTION[kind]] as Json[] | undefined) ?? [];
      if (kind === 'rekor' && o.withDefaultRekorV2 && !onlyWhenNotGiven) list = list.filter((s) => s.majorApiVersion === 2);
      (out[SECTION[kind]] as Json[]).push(...list);
      if (kind === 'rekor' && base.rekorTlogConfig) out.rekorTlogConfig = base.rekorTlogConfig;
      if (kind === 'tsa' && base.tsaConfig) out.tsaConfig = base.tsaConfig;
    }
  };
  if (o.baseConfig) inherit(await readConfig(o.baseConfig, 'the base config'), true);
  if (o.withDefaultServices || o.withDefaultRekorV2) {
    inherit(await cachedDefault(o.tufCacheDir), false);
    if (o.withDefaultRekorV2 && !o.noDefault.rekor && !(out.rekorTlogUrls as Json[]).length) {
      throw new SealError('input', 'the cached signing config lists no Rekor v2 log', { hint: 'give the log with --rekor url=…,api-version=2,…' });
    }
  }
  if (o.rekorConfig) out.rekorTlogConfig = serviceConfig('rekor-config', o.rekorConfig);
  if (o.tsaConfig) out.tsaConfig = serviceConfig('tsa-config', o.tsaConfig);
  for (const kind of Object.keys(SECTION) as Kind[]) (out[SECTION[kind]] as Json[]).push(...given[kind].map((s) => service(kind, s)));
  return out;
}
