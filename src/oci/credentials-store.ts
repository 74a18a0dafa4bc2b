// Writing registry credentials where `docker login` puts them, so docker, podman (which reads
// the docker file too), skopeo, cosign and seal all find them: the credential helper the docker
// config names for the registry (`docker-credential-<name> store` / `erase`), else the `auths`
// entry of $DOCKER_CONFIG/config.json (or ~/.docker/config.json). Everything else in the file is
// kept; the file is replaced atomically and stays private (0600, in a 0700 directory).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SealError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { dockerConfigFile, findKey, helperCommand, keysNaming, loginKey } from './credentials.ts';

/** Runs `docker-credential-<name> <action>` with `input` on stdin. */
export type HelperCommand = (
  program: string,
  action: 'store' | 'erase',
  input: string,
  env: Readonly<Record<string, string | undefined>>,
) => Promise<{ code: number; stdout: string; stderr: string; missing?: boolean }>;

export interface CredentialStoreOptions {
  /** host[:port] as seal names it (`index.docker.io` for Docker Hub). */
  registry: string;
  env: Readonly<Record<string, string | undefined>>;
  runHelper?: HelperCommand;
}

export interface StoredWhere {
  /** `~/.docker/config.json` or `docker-credential-osxkeychain`. */
  where: string;
  /** The key under which the entry lives (`ghcr.io`, `https://index.docker.io/v1/`). */
  key: string;
}

type Config = Record<string, unknown> & {
  auths?: Record<string, unknown>;
  credsStore?: unknown;
  credHelpers?: Record<string, unknown>;
};

async function readConfig(file: string): Promise<{ config: Config; mode?: number }> {
  let text: string;
  let mode: number | undefined;
  try {
    text = await fs.readFile(file, 'utf8');
    mode = (await fs.stat(file)).mode & 0o777;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: {} };
    throw new SealError('input', `cannot read ${file}: ${code ?? String(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new SealError('input', `${file} is not valid JSON (${(err as Error).message.split('\n')[0]}); not changing it`, {
      cause: err,
      hint: 'fix or move the file, then log in again',
    });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SealError('input', `${file} is not a JSON object; not changing it`, { hint: 'fix or move the file, then log in again' });
  }
  const config = parsed as Config;
  if (config.auths !== undefined && (typeof config.auths !== 'object' || config.auths === null || Array.isArray(config.auths))) {
    throw new SealError('input', `${file}: "auths" is not an object; not changing it`);
  }
  return { config, ...(mode !== undefined ? { mode } : {}) };
}

/** The helper the config names for this registry, found as the credential lookup finds it. */
function helperFor(config: Config, registry: string): string | undefined {
  const helpers = config.credHelpers && typeof config.credHelpers === 'object' ? config.credHelpers : undefined;
  const key = findKey(helpers, registry, undefined, false);
  const named = key === undefined ? undefined : helpers![key];
  if (typeof named === 'string' && named) return named;
  return typeof config.credsStore === 'string' && config.credsStore ? config.credsStore : undefined;
}

async function writeConfig(file: string, config: Config, mode: number | undefined): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // docker writes tab-indented JSON; a file seal creates is readable by its owner only.
  await writeFileAtomic(file, JSON.stringify(config, null, '\t') + '\n', { overwrite: true, mode: mode ?? 0o600 });
}

async function viaHelper(name: string, action: 'store' | 'erase', input: string, o: CredentialStoreOptions): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new SealError('input', `credential helper "${name}" is not a plain program name`);
  const program = `docker-credential-${name}`;
  const r = await (o.runHelper ?? helperCommand)(program, action, input, o.env);
  if (r.missing) {
    throw new SealError('input', `the docker config names the credential helper ${program}, which is not installed`, {
      hint: `install it, or remove "credsStore"/"credHelpers" for ${o.registry} from ${dockerConfigFile(o.env)}`,
    });
  }
  if (r.code !== 0) {
    // Helpers print their own message; it never contains the secret, which went on stdin.
    const said = (r.stdout || r.stderr).trim().split('\n')[0]?.slice(0, 200) ?? '';
    if (action === 'erase' && /not found/i.test(said)) return program;
    throw new SealError('input', `${program} ${action} failed (exit ${r.code})${said ? `: ${said}` : ''}`);
  }
  return program;
}

/** Saves user and password for the registry; returns where they went. */
export async function saveCredential(o: CredentialStoreOptions & { username: string; password: string }): Promise<StoredWhere> {
  const file = dockerConfigFile(o.env);
  const { config, mode } = await readConfig(file);
  const key = loginKey(o.registry);
  const helper = helperFor(config, o.registry);
  if (helper) {
    const where = await viaHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: o.username, Secret: o.password }), o);
    return { where, key };
  }
  const auths = { ...(config.auths ?? {}) };
  // Other spellings of the same registry would shadow or confuse the new entry.
  for (const k of keysNaming(auths, o.registry)) if (k !== key) delete auths[k];
  auths[key] = { auth: Buffer.from(`${o.username}:${o.password}`).toString('base64') };
  await writeConfig(file, { ...config, auths }, mode);
  return { where: file, key };
}

/** Removes what is stored for the registry; `removed` is false when there was nothing. */
export async function removeCredential(o: CredentialStoreOptions): Promise<StoredWhere & { removed: boolean }> {
  const file = dockerConfigFile(o.env);
  const { config, mode } = await readConfig(file);
  const key = loginKey(o.registry);
  const helper = helperFor(config, o.registry);
  if (helper) {
    const where = await viaHelper(helper, 'erase', key, o);
    return { where, key, removed: true };
  }
  const auths = { ...(config.auths ?? {}) };
  const keys = keysNaming(auths, o.registry);
  if (keys.length === 0) return { where: file, key, removed: false };
  for (const k of keys) delete auths[k];
  await writeConfig(file, { ...config, auths }, mode);
  return { where: file, key, removed: true };
}
