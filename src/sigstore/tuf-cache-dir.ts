// Where `seal trusted-root update` keeps its TUF cache. Its own small module: every verification
// command computes it, and the verify-blob start-up path must not load the TUF code (or the ESM
// facades of node:fs and node:os) for that.
const path = process.getBuiltinModule('node:path');

/** `$SEAL_TUF_CACHE`, else `$XDG_CACHE_HOME/seal/tuf`, else `~/.cache/seal/tuf`. */
export function defaultTufCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.SEAL_TUF_CACHE) return env.SEAL_TUF_CACHE;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'seal', 'tuf');
  return path.join(env.HOME || process.getBuiltinModule('node:os').homedir(), '.cache', 'seal', 'tuf');
}
