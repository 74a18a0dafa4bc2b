// Where verification trust comes from: a trusted_root.json given by the user, else the one a
// `seal trusted-root update` stored in the TUF cache (src/sigstore/tuf-cache.ts, read offline),
// else the production public-good root embedded in the installed @sigstore/tuf package
// (seeds.json), a snapshot. Verification never fetches anything (docs/trusted-root.md).
// Sync reads: a trusted root is small, and node:fs/promises costs ~1.5 ms of start-up to load.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';

import { SealError, jsonErrorDetail, messageOf } from '../errors.ts';
import { parseTrustedRoot } from './trusted-root-json.ts';
import { PRODUCTION_TUF_MIRROR, type TufCacheSummary } from './tuf-cache.ts';

export { PRODUCTION_TUF_MIRROR };

export const EMBEDDED_ROOT_WARNING =
  'using the Sigstore production trusted root embedded in @sigstore/tuf; it is a snapshot from the ' +
  'package release and may be out of date (run `seal trusted-root update` for current trust, or pass --trusted-root)';

export const expiredCacheWarning = (roles: string[], dir: string): string =>
  `the cached Sigstore trust in ${dir} has expired TUF metadata (${roles.join(', ')}.json); ` + 'run `seal trusted-root update` to refresh it';

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

let embeddedCache: LoadedTrustedRoot | undefined;

/**
 * Reads, validates and parses a trusted root; without a path, the default: the TUF cache when
 * an update stored one, else the embedded production root. Never touches the network.
 */
export async function loadTrustedRoot(file?: string, opts: DefaultTrustOptions = {}): Promise<LoadedTrustedRoot> {
  if (file === undefined) return loadDefaultTrustedRoot(opts);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
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
    seeds = JSON.parse(readFileSync(seedPath, 'utf8'));
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

/** Trust material for verification; `keyFinder` answers for bundles signed with a plain key. */
export function trustMaterialFor(root: TrustedRoot, keyFinder?: Parameters<typeof toTrustMaterial>[1]): TrustMaterial {
  return toTrustMaterial(root, keyFinder);
}

function parseJSON(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SealError('input', `invalid trusted root ${source}: not JSON (${jsonErrorDetail(err)})`, { cause: err });
  }
}

function errnoMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return messageOf(err);
}
