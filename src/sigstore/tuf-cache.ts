// A local cache of Sigstore trust fetched over TUF (https://theupdateframework.github.io/specification/latest/).
// `updateTufCache` runs a TUF client update (tuf-js) against a mirror and stores the verified
// `trusted_root.json` target (and `signing_config.v0.2.json` when the repository has one);
// `readTufCache` reads it back for verification without any network access, re-checking the
// cached TUF metadata signatures and the target hash, so a cache edited on disk is refused.
//
// Layout of the cache directory (cosign keeps a similar `remote.json` beside its TUF copy):
//   remote.json                  {"mirror": URL}: the mirror of the last successful update,
//                                the one verification uses
//   <host+path, URI-encoded>/    one per mirror
//     root.json timestamp.json snapshot.json targets.json   verified TUF metadata
//     targets/trusted_root.json  targets/signing_config.v0.2.json
//     seal.json                  when and what was fetched (informational; never trusted)
// An update works in a fresh directory beside the mirror's and renames it into place only when
// everything verified, so a failed update leaves the previous cache as it was.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { SealError, messageOf } from '../errors.ts';
import type { Log } from '../log.ts';

export const PRODUCTION_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
export const TRUSTED_ROOT_TARGET = 'trusted_root.json';
export const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';

const TUF_FILES = ['root.json', 'timestamp.json', 'snapshot.json', 'targets.json'] as const;

export { defaultTufCacheDir } from './tuf-cache-dir.ts';

/** The mirror URL without a trailing slash; a usage error when it is not http(s). */
export function normalizeMirror(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new SealError('usage', `--mirror ${JSON.stringify(mirror)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SealError('usage', `--mirror must be an http(s) URL, not ${url.protocol}`);
  }
  return mirror.replace(/\/+$/, '');
}

/** The directory of one mirror inside the cache, named as @sigstore/tuf names it. */
export function mirrorDir(cacheDir: string, mirror: string): string {
  const url = new URL(mirror);
  return path.join(cacheDir, encodeURIComponent(url.host + url.pathname.replace(/\/$/, '')));
}

export interface TufTargetSummary {
  name: string;
  sha256: string;
  length: number;
}

export interface TufRoleSummary {
  version: number;
  expires: string;
}

export interface TufCacheSummary {
  mirror: string;
  dir: string;
  /** When the update that wrote this cache finished (ISO 8601). */
  updated: string;
  root: TufRoleSummary;
  timestamp: TufRoleSummary;
  snapshot: TufRoleSummary;
  targets: TufRoleSummary;
  files: TufTargetSummary[];
}

export interface UpdateTufCacheOptions {
  mirror: string;
  cacheDir: string;
  /** The initial trusted root.json; default: the cached one, else the seed in @sigstore/tuf (production mirror only). */
  rootPath?: string;
  timeoutMs?: number;
  now?: () => Date;
}

/** Runs a TUF update and stores the verified targets; the previous cache is replaced only on success. */
export async function updateTufCache(opts: UpdateTufCacheOptions, log: Log): Promise<TufCacheSummary> {
  const mirror = normalizeMirror(opts.mirror);
  const finalDir = mirrorDir(opts.cacheDir, mirror);
  const initialRoot = await initialRootFor(mirror, finalDir, opts.rootPath, log);

  await mkdirOrFail(opts.cacheDir);
  const staging = path.join(opts.cacheDir, `.${path.basename(finalDir)}.${randomBytes(6).toString('hex')}.tmp`);
  await mkdirOrFail(path.join(staging, 'targets'));
  try {
    await fs.writeFile(path.join(staging, 'root.json'), initialRoot);
    // The previous timestamp, snapshot and targets let the client refuse a rollback to older versions.
    for (const name of TUF_FILES.slice(1)) {
      const previous = path.join(finalDir, name);
      if (existsSync(previous)) await fs.copyFile(previous, path.join(staging, name));
    }
    const summary = await runUpdate(mirror, staging, opts, log);
    summary.dir = finalDir;
    await fs.writeFile(path.join(staging, 'seal.json'), JSON.stringify(summary, null, 2) + '\n');
    await swapInto(staging, finalDir);
    await writeRemote(opts.cacheDir, mirror);
    return summary;
  } finally {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

async function runUpdate(mirror: string, staging: string, opts: UpdateTufCacheOptions, log: Log): Promise<TufCacheSummary> {
  const { Updater, BaseFetcher } = await import('tuf-js');
  let networkFailure: unknown;
  // tuf-js folds some errors into strings, so the fetcher remembers whether the network failed.
  class Fetcher extends BaseFetcher {
    override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
      log.debug(`GET ${url}`);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { 'User-Agent': 'seal' },
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        networkFailure = err;
        throw err;
      }
      if (!response.ok || !response.body) {
        const { DownloadHTTPError } = await import('tuf-js/dist/error.js');
        // 404/403 for the next N.root.json is how a TUF repository says "no newer root".
        const noNewerRoot = (response.status === 404 || response.status === 403) && /\/[0-9]+\.root\.json$/.test(url);
        if (!noNewerRoot) networkFailure = new Error(`HTTP ${response.status} from ${url}`);
        throw new DownloadHTTPError(`HTTP ${response.status} from ${url}`, response.status);
      }
      return response.body as ReadableStream<Uint8Array<ArrayBuffer>>;
    }
  }
  const updater = new Updater({
    metadataBaseUrl: mirror,
    metadataDir: staging,
    targetBaseUrl: `${mirror}/targets`,
    targetDir: path.join(staging, 'targets'),
    fetcher: new Fetcher(),
  });
  const files: TufTargetSummary[] = [];
  try {
    await updater.refresh();
    for (const name of [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET]) {
      const info = await updater.getTargetInfo(name);
      if (!info) {
        if (name === TRUSTED_ROOT_TARGET) {
          throw new SealError('verification', `the TUF repository at ${mirror} has no ${name} target`);
        }
        continue;
      }
      const file = await updater.downloadTarget(info, path.join(staging, 'targets', name));
      const bytes = await fs.readFile(file);
      files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length });
    }
  } catch (err) {
    if (err instanceof SealError) throw err;
    if (networkFailure !== undefined) {
      throw new SealError('network', `cannot reach the TUF mirror ${mirror}: ${networkMessage(networkFailure)}`, {
        cause: err,
        hint: 'check the URL and your connection; the cache was left as it was',
      });
    }
    if ((err as NodeJS.ErrnoException)?.code !== undefined && (err as NodeJS.ErrnoException).syscall) {
      throw new SealError('input', `cannot write the TUF cache: ${messageOf(err)}`, { cause: err });
    }
    throw new SealError('verification', `TUF update from ${mirror} failed: ${tufReason(err)}`, {
      cause: err,
      code: 'TUF_VERIFICATION',
      hint: 'the cache was left as it was',
    });
  }
  // The trusted root must also be one seal can use.
  const { parseTrustedRoot } = await import('./trusted-root-json.ts');
  const rootText = await fs.readFile(path.join(staging, 'targets', TRUSTED_ROOT_TARGET), 'utf8');
  try {
    parseTrustedRoot(JSON.parse(rootText), `${mirror}/targets/${TRUSTED_ROOT_TARGET}`);
  } catch (err) {
    throw new SealError('verification', `the mirror's ${TRUSTED_ROOT_TARGET} is not a usable trusted root: ${messageOf(err)}`, { cause: err });
  }
  const meta = await readMetadataSummaries(staging);
  return { mirror, dir: staging, updated: (opts.now?.() ?? new Date()).toISOString(), ...meta, files };
}

export interface CachedTrust {
  mirror: string;
  dir: string;
  /** The trusted_root.json bytes, verified against the cached TUF metadata. */
  trustedRoot: string;
  /** The signing_config.v0.2.json bytes, verified likewise, when the repository has one. */
  signingConfig?: string;
  summary: TufCacheSummary;
  /** Roles whose metadata has expired (root, timestamp, snapshot, targets). */
  expired: string[];
}

/**
 * The cached trust of the last updated mirror, or undefined when there is none. Offline: the
 * cached metadata is checked (signatures by the cached root, versions, hashes, the target's
 * hash) but nothing is fetched. Expired metadata is reported in `expired`, not refused: a
 * verifier that is offline by design can still use it, with a warning.
 */
export async function readTufCache(cacheDir: string, now: Date = new Date()): Promise<CachedTrust | undefined> {
  let remote: { mirror?: unknown };
  try {
    remote = JSON.parse(await fs.readFile(path.join(cacheDir, 'remote.json'), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return undefined;
    throw cacheError(cacheDir, `remote.json: ${messageOf(err)}`, err);
  }
  if (typeof remote?.mirror !== 'string') throw cacheError(cacheDir, 'remote.json names no mirror');
  const mirror = remote.mirror;
  const dir = mirrorDir(cacheDir, mirror);
  if (!existsSync(path.join(dir, 'root.json'))) return undefined;
  try {
    return await checkCachedTrust(mirror, dir, now);
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw cacheError(dir, tufReason(err), err);
  }
}

async function checkCachedTrust(mirror: string, dir: string, now: Date): Promise<CachedTrust> {
  // Loaded only when a cache exists: verification without one pays nothing for TUF.
  const [{ Metadata, MetadataKind }, { Readable }] = await Promise.all([import('@tufjs/models'), import('node:stream')]);
  const raw = async (name: string) => fs.readFile(path.join(dir, name));
  const json = (bytes: Buffer) => JSON.parse(bytes.toString('utf8'));
  const root = Metadata.fromJSON(MetadataKind.Root, json(await raw('root.json')));
  root.verifyDelegate('root', root);
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, json(await raw('timestamp.json')));
  root.verifyDelegate('timestamp', timestamp);
  const snapshotBytes = await raw('snapshot.json');
  const snapshot = Metadata.fromJSON(MetadataKind.Snapshot, json(snapshotBytes));
  root.verifyDelegate('snapshot', snapshot);
  timestamp.signed.snapshotMeta.verify(snapshotBytes);
  if (timestamp.signed.snapshotMeta.version !== snapshot.signed.version) throw new Error('snapshot.json is not the version timestamp.json names');
  const targetsBytes = await raw('targets.json');
  const targets = Metadata.fromJSON(MetadataKind.Targets, json(targetsBytes));
  root.verifyDelegate('targets', targets);
  const targetsMeta = snapshot.signed.meta['targets.json'];
  if (!targetsMeta) throw new Error('snapshot.json does not list targets.json');
  targetsMeta.verify(targetsBytes);
  if (targetsMeta.version !== targets.signed.version) throw new Error('targets.json is not the version snapshot.json names');
  const info = targets.signed.targets[TRUSTED_ROOT_TARGET];
  if (!info) throw new Error(`targets.json has no ${TRUSTED_ROOT_TARGET}`);
  const trustedRoot = await raw(path.join('targets', TRUSTED_ROOT_TARGET));
  await info.verify(Readable.from([trustedRoot]));
  // The signing config (keyless signing's services) is checked the same way when it was fetched.
  const configInfo = targets.signed.targets[SIGNING_CONFIG_TARGET];
  const configFile = path.join(dir, 'targets', SIGNING_CONFIG_TARGET);
  let signingConfig: Buffer | undefined;
  if (configInfo && existsSync(configFile)) {
    signingConfig = await raw(path.join('targets', SIGNING_CONFIG_TARGET));
    await configInfo.verify(Readable.from([signingConfig]));
  }

  const expired = (
    [
      ['root', root.signed],
      ['timestamp', timestamp.signed],
      ['snapshot', snapshot.signed],
      ['targets', targets.signed],
    ] as const
  )
    .filter(([, signed]) => signed.isExpired(now))
    .map(([name]) => name);
  let updated = '';
  try {
    updated = String(JSON.parse(await fs.readFile(path.join(dir, 'seal.json'), 'utf8')).updated ?? '');
  } catch {
    // informational only
  }
  const files: TufTargetSummary[] = [];
  for (const name of [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET]) {
    const file = path.join(dir, 'targets', name);
    if (!existsSync(file)) continue;
    const bytes = await fs.readFile(file);
    files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length });
  }
  const role = (s: { version: number; expires: string }): TufRoleSummary => ({ version: s.version, expires: s.expires });
  return {
    mirror,
    dir,
    trustedRoot: trustedRoot.toString('utf8'),
    ...(signingConfig ? { signingConfig: signingConfig.toString('utf8') } : {}),
    expired,
    summary: {
      mirror,
      dir,
      updated,
      root: role(root.signed),
      timestamp: role(timestamp.signed),
      snapshot: role(snapshot.signed),
      targets: role(targets.signed),
      files,
    },
  };
}

async function readMetadataSummaries(dir: string): Promise<Pick<TufCacheSummary, 'root' | 'timestamp' | 'snapshot' | 'targets'>> {
  const read = async (name: string): Promise<TufRoleSummary> => {
    const signed = JSON.parse(await fs.readFile(path.join(dir, `${name}.json`), 'utf8')).signed;
    return { version: signed.version, expires: signed.expires };
  };
  return { root: await read('root'), timestamp: await read('timestamp'), snapshot: await read('snapshot'), targets: await read('targets') };
}

async function initialRootFor(mirror: string, finalDir: string, rootPath: string | undefined, log: Log): Promise<Buffer> {
  if (rootPath !== undefined) {
    try {
      return await fs.readFile(rootPath);
    } catch (err) {
      throw new SealError('input', `cannot read the initial TUF root ${rootPath}: ${messageOf(err)}`, { cause: err });
    }
  }
  const cached = path.join(finalDir, 'root.json');
  if (existsSync(cached)) {
    log.debug(`starting from the cached TUF root ${cached}`);
    return fs.readFile(cached);
  }
  const seeds = JSON.parse(await fs.readFile(createRequire(import.meta.url).resolve('@sigstore/tuf/seeds.json'), 'utf8'));
  const seed = seeds[mirror]?.['root.json'];
  if (typeof seed !== 'string') {
    throw new SealError('usage', `no initial TUF root for ${mirror}`, {
      hint: "pass --root FILE with the mirror's trusted root.json (only the Sigstore public-good mirror has one built in)",
    });
  }
  return Buffer.from(seed, 'base64');
}

/** Puts `staging` where `finalDir` is: the old directory is moved aside, then removed. */
async function swapInto(staging: string, finalDir: string): Promise<void> {
  const aside = `${staging}.old`;
  const hadPrevious = existsSync(finalDir);
  try {
    if (hadPrevious) await fs.rename(finalDir, aside);
    try {
      await fs.rename(staging, finalDir);
    } catch (err) {
      if (hadPrevious) await fs.rename(aside, finalDir);
      throw err;
    }
  } catch (err) {
    throw new SealError('input', `cannot write the TUF cache ${finalDir}: ${messageOf(err)}`, { cause: err });
  }
  if (hadPrevious) await fs.rm(aside, { recursive: true, force: true });
}

async function writeRemote(cacheDir: string, mirror: string): Promise<void> {
  const tmp = path.join(cacheDir, `.remote.json.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, JSON.stringify({ mirror }) + '\n');
    await fs.rename(tmp, path.join(cacheDir, 'remote.json'));
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw new SealError('input', `cannot write ${path.join(cacheDir, 'remote.json')}: ${messageOf(err)}`, { cause: err });
  }
}

async function mkdirOrFail(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' || code === 'EEXIST' ? 'not a directory' : messageOf(err);
    throw new SealError('input', `cannot write the TUF cache ${dir}: ${why}`, {
      cause: err,
      hint: 'pass --cache-dir DIR or set SEAL_TUF_CACHE to a writable directory',
    });
  }
}

function cacheError(where: string, reason: string, cause?: unknown): SealError {
  return new SealError('verification', `the cached TUF trust in ${where} does not verify: ${reason}`, {
    cause,
    code: 'TUF_CACHE_INVALID',
    hint: 'run seal trusted-root update, or pass --trusted-root FILE',
  });
}

/** The reason tuf-js gave, without its wrapping ("Unable to load ... error RepositoryError: ..."). */
function tufReason(err: unknown): string {
  const message = messageOf(err).replace(/^Unable to load (snapshot metadata|targets) error /, '');
  const name = err instanceof Error && err.name !== 'Error' ? err.constructor.name : '';
  return name && !message.includes(name) ? `${message} (${name})` : message;
}

function networkMessage(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if ((err as Error)?.name === 'TimeoutError') return 'timed out';
  return messageOf(err);
}
