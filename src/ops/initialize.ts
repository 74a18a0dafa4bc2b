// `seal initialize`: cosign's name for a TUF update of the trusted root (seal trusted-root update),
// with cosign's ways to give the initial root: a file, or an http(s) URL pinned by --root-checksum
// (sha256 hex, or sha256:/sha512: prefixed). A root whose checksum does not match is never used.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { SealError, messageOf } from '../errors.ts';
import type { Log } from '../log.ts';
import type { TufCacheSummary } from '../sigstore/tuf-cache.ts';
import { updateTrustedRoot } from './trusted-root.ts';
import type { OpEnv } from './op-env.ts';

export const STAGING_TUF_MIRROR = 'https://tuf-repo-cdn.sigstage.dev';
/** A TUF root.json is a few KiB; anything this large is not one. */
const MAX_ROOT_BYTES = 1024 * 1024;

export interface InitializeOptions {
  mirror?: string;
  /** A file path (relative paths already resolved) or an http(s) URL. */
  root?: string;
  rootChecksum?: string;
  staging?: boolean;
  cacheDir: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export async function initialize(o: InitializeOptions, env: OpEnv): Promise<TufCacheSummary> {
  const { log } = env;
  if (o.staging && o.mirror !== undefined) {
    throw new SealError('usage', '--staging and --mirror name two different TUF repositories', { hint: 'give one of them' });
  }
  const mirror = o.staging ? STAGING_TUF_MIRROR : o.mirror;
  if (o.root === undefined) {
    if (o.rootChecksum !== undefined) throw new SealError('usage', '--root-checksum needs --root');
    if (o.staging) {
      throw new SealError('usage', 'seal has no built-in root for the staging TUF repository', {
        hint: 'pass --root with the staging root.json (and --root-checksum when it is a URL)',
      });
    }
    return updateTrustedRoot({ mirror, cacheDir: o.cacheDir, timeoutMs: o.timeoutMs }, env);
  }
  const bytes = await loadRoot(o, log);
  const dir = await mkdtemp(path.join(tmpdir(), 'seal-initialize-'));
  try {
    const file = path.join(dir, 'root.json');
    await writeFile(file, bytes, { mode: 0o600 });
    return await updateTrustedRoot({ mirror, rootPath: file, cacheDir: o.cacheDir, timeoutMs: o.timeoutMs }, env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function loadRoot(o: InitializeOptions, log: Log): Promise<Uint8Array> {
  const root = o.root!;
  const remote = /^https?:\/\//i.test(root);
  let bytes: Uint8Array;
  if (remote) {
    if (o.rootChecksum === undefined) {
      log.warn(`the initial root ${root} is fetched without --root-checksum: anyone able to change that answer chooses whom you trust`);
    }
    bytes = await fetchRoot(root, o);
  } else {
    try {
      bytes = await readFile(root);
    } catch (err) {
      throw new SealError('input', `cannot read the initial TUF root ${root}: ${messageOf(err)}`, { cause: err });
    }
  }
  if (o.rootChecksum !== undefined) checkChecksum(bytes, o.rootChecksum, root);
  // tuf-js would report a JSON parse error with the bad bytes quoted; say which file is wrong.
  let signed: unknown;
  try {
    signed = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { signed?: unknown } | null)?.signed;
  } catch {
    throw new SealError('input', `the initial TUF root ${root} is not JSON`, { hint: "give a TUF root.json (the mirror's N.root.json)" });
  }
  if (typeof signed !== 'object' || signed === null || (signed as { _type?: unknown })._type !== 'root') {
    throw new SealError('input', `the initial TUF root ${root} is not a TUF root (no signed._type "root")`, {
      hint: "give a TUF root.json (the mirror's N.root.json)",
    });
  }
  return bytes;
}

async function fetchRoot(url: string, o: InitializeOptions): Promise<Uint8Array> {
  const fetch = o.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(o.timeoutMs ?? 60_000) });
  } catch (err) {
    throw new SealError('network', `cannot fetch the initial TUF root ${url}: ${messageOf(err)}`, { cause: err });
  }
  if (!res.ok) throw new SealError('network', `cannot fetch the initial TUF root ${url}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_ROOT_BYTES) throw new SealError('input', `the initial TUF root ${url} is ${declared} bytes: not a root.json`);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body ?? []) {
    total += chunk.byteLength;
    if (total > MAX_ROOT_BYTES) throw new SealError('input', `the initial TUF root ${url} is over ${MAX_ROOT_BYTES} bytes: not a root.json`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** cosign's --root-checksum: bare hex is sha256; `sha256:` or `sha512:` name the algorithm. */
export function checkChecksum(bytes: Uint8Array, spec: string, what: string): void {
  const m = /^(?:(sha256|sha512):)?([0-9a-fA-F]+)$/.exec(spec.trim());
  const algorithm = m?.[1] ?? 'sha256';
  const want = m?.[2]?.toLowerCase();
  if (!want || want.length !== (algorithm === 'sha256' ? 64 : 128)) {
    throw new SealError('usage', `--root-checksum ${JSON.stringify(spec)} is not a ${algorithm} hex digest`, {
      hint: 'give 64 hex digits (sha256), or sha512:<128 hex digits>',
    });
  }
  const got = createHash(algorithm).update(bytes).digest('hex');
  if (got !== want) {
    throw new SealError('verification', `the initial TUF root ${what} has ${algorithm} ${got}, not the --root-checksum ${want}`, {
      hint: 'check where the root came from; nothing was trusted or cached',
    });
  }
}
