// seal trusted-root update / show: refresh Sigstore trust over TUF into the local cache, and say
// which trusted root verification uses by default (src/sigstore/tuf-cache.ts, trusted-root.ts).
import type { TrustedRoot } from '@sigstore/protobuf-specs';

import type { TufCacheSummary } from '../sigstore/tuf-cache.ts';
import type { OpEnv } from './op-env.ts';

export interface TrustedRootUpdateOptions {
  /** Default: the Sigstore public-good mirror. */
  mirror?: string;
  /** Initial root.json for a mirror seal has no seed for (or to restart trust). */
  rootPath?: string;
  cacheDir: string;
  timeoutMs?: number;
}

export async function updateTrustedRoot(opts: TrustedRootUpdateOptions, env: OpEnv): Promise<TufCacheSummary> {
  const { log } = env;
  const { updateTufCache, PRODUCTION_TUF_MIRROR } = await import('../sigstore/tuf-cache.ts');
  return updateTufCache({ mirror: opts.mirror ?? PRODUCTION_TUF_MIRROR, rootPath: opts.rootPath, cacheDir: opts.cacheDir, timeoutMs: opts.timeoutMs }, log);
}

export interface TrustedRootShowResult {
  /** 'cache' (from `seal trusted-root update`) or 'embedded' (the @sigstore/tuf snapshot). */
  source: 'cache' | 'embedded';
  path: string;
  cache?: TufCacheSummary & { ageSeconds?: number };
  warnings: string[];
  document: unknown;
}

export async function showTrustedRoot(opts: { cacheDir: string; now?: Date }): Promise<TrustedRootShowResult> {
  const [{ loadDefaultTrustedRoot }, { TrustedRoot }] = await Promise.all([import('../sigstore/trusted-root.ts'), import('@sigstore/protobuf-specs')]);
  const now = opts.now ?? new Date();
  const loaded = await loadDefaultTrustedRoot({ tufCacheDir: opts.cacheDir, now });
  const document = TrustedRoot.toJSON(loaded.root as TrustedRoot);
  if (!loaded.cache) return { source: 'embedded', path: loaded.source, warnings: loaded.warnings, document };
  const updated = Date.parse(loaded.cache.updated);
  const ageSeconds = Number.isNaN(updated) ? undefined : Math.max(0, Math.round((now.getTime() - updated) / 1000));
  return { source: 'cache', path: loaded.source, cache: { ...loaded.cache, ageSeconds }, warnings: loaded.warnings, document };
}
