// Registry credentials: where they come from, in this order (the first source with an entry
// for the registry wins):
//   1. --registry-username/--registry-password (StoreOptions.username/password)
//   2. docker's config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json
//        credHelpers[host] → credsStore → auths[host] (inline `auth`, `username`/`password`,
//        `identitytoken`, `registrytoken`)
//   3. $REGISTRY_AUTH_FILE (podman/skopeo/buildah auth.json)
//   4. $XDG_RUNTIME_DIR/containers/auth.json
// Host matching is exact (scheme and path of a key are ignored, the port is not): a substring
// match would send `registry.example.com` credentials to `registry.example.com.evil.net`
// (the bug fixed in @sigstore/oci 0.7.1). Docker Hub's names are aliases of each other.
// Nothing here prints a secret; `source` says where a credential came from, for --verbose.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { DOCKER_HUB } from './reference.ts';

export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (docker `identitytoken`, or a helper's Username `<token>`). */
  | { kind: 'identity-token'; token: string; source: string }
  /** A bearer token to send as is (docker `registrytoken`). */
  | { kind: 'registry-token'; token: string; source: string };

export interface CredentialLookup {
  /** host[:port] as in the reference (`index.docker.io` for Docker Hub). */
  registry: string;
  /** Used for podman's namespace-scoped keys (`quay.io/team`). */
  repository?: string;
  env: Readonly<Record<string, string | undefined>>;
  log: Log;
  username?: string;
  password?: string;
  /** --registry-token: wins over everything else. */
  registryToken?: string;
  /** Runs `docker-credential-<name> get`; injectable for tests. */
  runHelper?: HelperRunner;
}

export type HelperRunner = (
  program: string,
  serverUrl: string,
  env: Readonly<Record<string, string | undefined>>,
) => Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }>;

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

const DOCKER_HUB_NAMES = new Set([DOCKER_HUB, 'docker.io', 'registry-1.docker.io']);
/** The key `docker login` uses for Docker Hub, and what its helpers are asked for. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';

/** `https://Host:5000/v1/` → `host:5000`; podman's `host/ns` keys keep their path when `keepPath`. */
export function normalizeKey(key: string, keepPath = false): string {
  let k = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  if (!keepPath) k = k.split('/')[0]!;
  else k = k.replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  return slash < 0 ? host : host + k.slice(slash);
}

function hostMatches(keyHost: string, registry: string): boolean {
  if (keyHost === registry) return true;
  return DOCKER_HUB_NAMES.has(keyHost) && DOCKER_HUB_NAMES.has(registry);
}

/** The key `docker login` uses for a registry (and asks helpers for): Docker Hub has its own. */
export const loginKey = (registry: string): string => (DOCKER_HUB_NAMES.has(registry) ? DOCKER_HUB_KEY : registry);

/** Every key of `map` that names `registry`, in any spelling (`https://host/v2/`, Docker Hub's aliases). */
export const keysNaming = (map: Record<string, unknown>, registry: string): string[] =>
  Object.keys(map).filter((key) => hostMatches(normalizeKey(key), registry));

/** The key of `map` naming `registry` (docker: host only; podman: most specific namespace). */
export function findKey(map: Record<string, unknown> | undefined, registry: string, repository: string | undefined, namespaced: boolean): string | undefined {
  if (!map) return undefined;
  let best: string | undefined;
  let bestLen = -1;
  for (const key of Object.keys(map)) {
    const norm = normalizeKey(key, namespaced && !/^[a-z]+:\/\//i.test(key));
    const slash = norm.indexOf('/');
    const host = slash < 0 ? norm : norm.slice(0, slash);
    if (!hostMatches(host, registry)) continue;
    let specificity = 0;
    if (slash >= 0) {
      const ns = norm.slice(slash + 1);
      if (!repository || (repository !== ns && !repository.startsWith(ns + '/'))) continue;
      specificity = ns.length;
    } else if (key === DOCKER_HUB_KEY) {
      specificity = 0.5; // prefer docker login's own key among Docker Hub aliases
    }
    if (specificity > bestLen) {
      best = key;
      bestLen = specificity;
    }
  }
  return best;
}

function fromEntry(entry: AuthEntry, source: string): Credential | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken, source };
  if (entry.registrytoken) return { kind: 'registry-token', token: entry.registrytoken, source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
    return undefined;
  }
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: entry.password, source };
  return undefined;
}

async function readConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new SealError('input', `cannot read registry credentials file ${file}: ${code ?? String(err)}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as DockerConfig;
  } catch (err) {
    throw new SealError('input', `cannot parse registry credentials file ${file}: ${(err as Error).message}`, {
      cause: err,
      hint: 'fix or remove the file (docker login rewrites it)',
    });
  }
}

/** Docker's config.json: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function dockerConfigFile(env: Readonly<Record<string, string | undefined>>): string {
  return path.join(env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker'), 'config.json');
}

/** The credential files seal reads, in order, for a given environment. */
export function credentialFiles(env: Readonly<Record<string, string | undefined>>): { file: string; podman: boolean }[] {
  const files: { file: string; podman: boolean }[] = [];
  files.push({ file: dockerConfigFile(env), podman: false });
  if (env.REGISTRY_AUTH_FILE) files.push({ file: env.REGISTRY_AUTH_FILE, podman: true });
  if (env.XDG_RUNTIME_DIR) files.push({ file: path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), podman: true });
  return files;
}

export async function resolveCredential(lookup: CredentialLookup): Promise<Credential | undefined> {
  const { registry, repository, log } = lookup;
  if (lookup.registryToken !== undefined) return { kind: 'registry-token', token: lookup.registryToken, source: '--registry-token' };
  if (lookup.username !== undefined && lookup.password !== undefined) {
    return { kind: 'basic', username: lookup.username, password: lookup.password, source: '--registry-username/--registry-password' };
  }
  for (const { file, podman } of credentialFiles(lookup.env)) {
    const config = await readConfig(file);
    if (!config) continue;
    const cred = await fromConfig(config, file, podman, lookup);
    if (cred) {
      log.debug(`registry credentials for ${registry}${repository ? '/' + repository : ''}: ${cred.source}`);
      return cred;
    }
  }
  log.debug(`no registry credentials for ${registry}; anonymous access`);
  return undefined;
}

async function fromConfig(config: DockerConfig, file: string, podman: boolean, lookup: CredentialLookup): Promise<Credential | undefined> {
  const { registry, repository } = lookup;
  const authKey = findKey(config.auths, registry, repository, podman);
  const serverUrl = authKey ?? loginKey(registry);
  const helperKey = findKey(config.credHelpers, registry, repository, podman);
  const helper = helperKey ? config.credHelpers![helperKey] : config.credsStore;
  if (helper) {
    const how = helperKey ? `credHelpers[${helperKey}]` : 'credsStore';
    const cred = await fromHelper(helper, serverUrl, `${file} (${how}: docker-credential-${helper})`, lookup);
    if (cred) return cred;
  }
  if (authKey) return fromEntry(config.auths![authKey]!, `${file} (auths[${authKey}])`);
  return undefined;
}

async function fromHelper(name: string, serverUrl: string, source: string, lookup: CredentialLookup): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    lookup.log.warn(`ignoring credential helper "${name}" in ${source}: not a plain program name`);
    return undefined;
  }
  const program = `docker-credential-${name}`;
  const run = lookup.runHelper ?? runHelper;
  const result = await run(program, serverUrl, lookup.env);
  if (result.missing) {
    lookup.log.warn(`credential helper ${program} is not installed (named in ${source}); trying other sources`);
    return undefined;
  }
  if (result.code !== 0) {
    const out = (result.stdout + result.stderr).trim();
    if (/credentials not found/i.test(out)) return undefined;
    lookup.log.warn(`credential helper ${program} failed for ${serverUrl} (exit ${result.code}): ${out.split('\n')[0]?.slice(0, 200) ?? ''}`);
    return undefined;
  }
  let parsed: { Username?: string; Secret?: string };
  try {
    parsed = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
  } catch {
    lookup.log.warn(`credential helper ${program} printed something that is not JSON; ignoring it`);
    return undefined;
  }
  if (!parsed.Secret) return undefined;
  if (parsed.Username === '<token>') return { kind: 'identity-token', token: parsed.Secret, source };
  if (!parsed.Username) return { kind: 'registry-token', token: parsed.Secret, source };
  return { kind: 'basic', username: parsed.Username, password: parsed.Secret, source };
}

/** The docker credential-helper protocol: `<program> get`, server URL on stdin, JSON on stdout. */
export const runHelper: HelperRunner = (program, serverUrl, env) => helperCommand(program, 'get', serverUrl, env);

/** Runs `docker-credential-<name> <action>` with `input` on stdin (the credential helper protocol). */
export const helperCommand = (
  program: string,
  action: 'get' | 'store' | 'erase',
  input: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }> =>
  new Promise((resolve) => {
    const child = execFile(
      program,
      [action],
      { env: env as NodeJS.ProcessEnv, timeout: 60_000, maxBuffer: 1024 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: string | number }) | null;
        if (e && (e.code === 'ENOENT' || e.code === 'EACCES')) {
          resolve({ code: -1, stdout: '', stderr: '', missing: true });
          return;
        }
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {}); // a helper that exits without reading stdin
    child.stdin?.end(input);
  });
