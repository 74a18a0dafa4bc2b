// Where verification trust comes from: a trusted_root.json given by the user, else the one a
// `seal trusted-root update` stored in the TUF cache (src/sigstore/tuf-cache.ts, read offline),
// else the production public-good root embedded in the installed @sigstore/tuf package
// (seeds.json), a snapshot. Verification never fetches anything (docs/trusted-root.md).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';

import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';

import { SealError, messageOf } from '../errors.ts';
import { PRODUCTION_TUF_MIRROR, type TufCacheSummary } from './tuf-cache.ts';

export { PRODUCTION_TUF_MIRROR };

export const EMBEDDED_ROOT_WARNING =
  'using the Sigstore production trusted root embedded in @sigstore/tuf; it is a snapshot from the ' +
  'package release and may be out of date (run `seal trusted-root update` for current trust, or pass --trusted-root)';

export const expiredCacheWarning = (roles: string[], dir: string): string =>
  `the cached Sigstore trust in ${dir} has expired TUF metadata (${roles.join(', ')}.json); ` +
  'run `seal trusted-root update` to refresh it';

export interface LoadedTrustedRoot {
  root: TrustedRoot;
  /** The file it came from, the cached target's path, or `@sigstore/tuf/seeds.json` for the embedded root. */
  source: string;
  embedded: boolean;
  /** Set when the root came from the TUF cache. */
  cache?: TufCacheSummary;
  /** Warnings for stderr: the embedded snapshot, or expired cached metadata. */
  warnings: string[];
}

export interface DefaultTrustOptions {
  /** The TUF cache directory (the CLI passes `defaultTufCacheDir(env)`); none: the embedded root. */
  tufCacheDir?: string;
  now?: Date;
}

// trusted roots are `…trustedroot+json;version=0.1` today; the `.vX.Y+json` form is the newer spelling.
const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.[0-9]+|\.v0\.[0-9]+\+json)$/;

let embeddedCache: LoadedTrustedRoot | undefined;

/**
 * Reads, validates and parses a trusted root; without a path, the default: the TUF cache when
 * an update stored one, else the embedded production root. Never touches the network.
 */
export async function loadTrustedRoot(file?: string, opts: DefaultTrustOptions = {}): Promise<LoadedTrustedRoot> {
  if (file === undefined) return loadDefaultTrustedRoot(opts);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SealError('input', `cannot read trusted root ${file}: ${errnoMessage(err)}`, { cause: err });
  }
  return { root: parseTrustedRoot(parseJSON(text, file), file), source: file, embedded: false, warnings: [] };
}

/** The cached root of the last `seal trusted-root update`, else the embedded snapshot. */
export async function loadDefaultTrustedRoot(opts: DefaultTrustOptions = {}): Promise<LoadedTrustedRoot> {
  const cacheDir = opts.tufCacheDir;
  if (!cacheDir || !existsSync(path.join(cacheDir, 'remote.json'))) return loadEmbeddedTrustedRoot();
  const { readTufCache } = await import('./tuf-cache.ts');
  const cached = await readTufCache(cacheDir, opts.now);
  if (!cached) return loadEmbeddedTrustedRoot();
  const source = path.join(cached.dir, 'targets', 'trusted_root.json');
  return {
    root: parseTrustedRoot(parseJSON(cached.trustedRoot, source), source),
    source,
    embedded: false,
    cache: cached.summary,
    warnings: cached.expired.length > 0 ? [expiredCacheWarning(cached.expired, cached.dir)] : [],
  };
}

export async function loadEmbeddedTrustedRoot(): Promise<LoadedTrustedRoot> {
  if (embeddedCache) return embeddedCache;
  const source = '@sigstore/tuf/seeds.json';
  let seeds: Record<string, { targets?: Record<string, string> }>;
  try {
    const seedPath = createRequire(import.meta.url).resolve('@sigstore/tuf/seeds.json');
    seeds = JSON.parse(await readFile(seedPath, 'utf8'));
  } catch (err) {
    throw new SealError('input', `cannot read the embedded trusted root (${source}): ${messageOf(err)}`, {
      cause: err,
      hint: 'reinstall seal, or pass --trusted-root FILE',
    });
  }
  const b64 = seeds[PRODUCTION_TUF_MIRROR]?.targets?.['trusted_root.json'];
  if (typeof b64 !== 'string') {
    throw new SealError('input', `${source} has no trusted_root.json for ${PRODUCTION_TUF_MIRROR}`, {
      hint: 'pass --trusted-root FILE',
    });
  }
  const json = parseJSON(Buffer.from(b64, 'base64').toString('utf8'), source);
  embeddedCache = { root: parseTrustedRoot(json, source), source, embedded: true, warnings: [EMBEDDED_ROOT_WARNING] };
  return embeddedCache;
}

/** Validates the JSON of a trusted root (stricter than @sigstore/verify) and parses it. */
export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const problem = trustedRootProblem(json);
  if (problem) throw new SealError('input', `invalid trusted root ${source}: ${problem}`);
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
    // Parses every key and certificate now, so a broken root is an input error and not a
    // verification failure later.
    toTrustMaterial(root);
  } catch (err) {
    throw new SealError('input', `invalid trusted root ${source}: ${messageOf(err)}`, { cause: err });
  }
  return root;
}

/** Trust material for verification; `keyFinder` answers for bundles signed with a plain key. */
export function trustMaterialFor(root: TrustedRoot, keyFinder?: Parameters<typeof toTrustMaterial>[1]): TrustMaterial {
  return toTrustMaterial(root, keyFinder);
}

/**
 * Why the trusted root JSON is unusable, or undefined. @sigstore/verify reads a missing
 * `validFor.start` as "since the beginning of time", which would let a key vouch for entries
 * from before it existed; the protobuf spec makes `start` required, and sigstore-conformance
 * (`trust-root-tlog-missing-validity-start_fail`) expects such a root to be rejected.
 */
export function trustedRootProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const r = json as Record<string, unknown>;
  if (typeof r.mediaType !== 'string') return 'mediaType is missing';
  if (!TRUSTED_ROOT_MEDIA_TYPE.test(r.mediaType)) return `unsupported mediaType ${JSON.stringify(r.mediaType)}`;
  for (const field of ['tlogs', 'ctlogs'] as const) {
    const list = r[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${field} is not a list`;
    for (const [i, log] of list.entries()) {
      const where = `${field}[${i}]`;
      const key = (log as { publicKey?: Record<string, unknown> } | null)?.publicKey;
      if (!key || typeof key !== 'object') return `${where} has no publicKey`;
      if (typeof key.rawBytes !== 'string' || key.rawBytes === '') return `${where}.publicKey has no rawBytes`;
      const range = rangeProblem(key.validFor, `${where}.publicKey.validFor`);
      if (range) return range;
      const logId = (log as { logId?: { keyId?: unknown } }).logId;
      if (typeof logId?.keyId !== 'string' || logId.keyId === '') return `${where} has no logId.keyId`;
    }
  }
  for (const field of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    const list = r[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${field} is not a list`;
    for (const [i, ca] of list.entries()) {
      const where = `${field}[${i}]`;
      const certs = (ca as { certChain?: { certificates?: unknown } } | null)?.certChain?.certificates;
      if (!Array.isArray(certs) || certs.length === 0) return `${where} has no certChain.certificates`;
      const range = rangeProblem((ca as { validFor?: unknown }).validFor, `${where}.validFor`);
      if (range) return range;
    }
  }
  return undefined;
}

function rangeProblem(validFor: unknown, where: string): string | undefined {
  const v = validFor as { start?: unknown; end?: unknown } | undefined;
  if (!v || typeof v !== 'object' || v.start === undefined || v.start === null) return `${where}.start is missing`;
  const start = typeof v.start === 'string' ? Date.parse(v.start) : NaN;
  if (Number.isNaN(start)) return `${where}.start is not a timestamp`;
  // protobuf JSON writes an absent field as null; an open end is fine.
  if (v.end !== undefined && v.end !== null) {
    const end = typeof v.end === 'string' ? Date.parse(v.end) : NaN;
    if (Number.isNaN(end)) return `${where}.end is not a timestamp`;
    if (end < start) return `${where}.end is before its start`;
  }
  return undefined;
}

function parseJSON(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SealError('input', `invalid trusted root ${source}: not JSON (${messageOf(err)})`, { cause: err });
  }
}

function errnoMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return messageOf(err);
}
