// seal login / logout: check credentials against the registry, then store them where docker
// login does (src/oci/credentials-store.ts), or remove them. The password is never printed.
import { SealError, usageError } from '../errors.ts';
import { removeCredential, saveCredential, type HelperCommand } from '../oci/credentials-store.ts';
import { parseReference } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

/** `ghcr.io`, `localhost:5000`, `https://index.docker.io/v1/`, `docker.io` → seal's host[:port]. */
export function registryHost(input: string): string {
  const bare = input
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '');
  if (!bare) throw usageError(`"${input}" is not a registry name`, { hint: 'give a host, e.g. ghcr.io or localhost:5000' });
  let ref;
  try {
    ref = parseReference(`${bare}/seal-login/x`);
  } catch {
    throw usageError(`"${input}" is not a registry name`, { hint: 'give a host, e.g. ghcr.io or localhost:5000' });
  }
  if (ref.kind !== 'registry' || (bare.indexOf('.') < 0 && bare.indexOf(':') < 0 && bare !== 'localhost')) {
    throw usageError(`"${input}" is not a registry name`, { hint: 'give a host with a dot or a port, e.g. ghcr.io or localhost:5000' });
  }
  return ref.registry;
}

export interface LoginOptions {
  registry: string;
  username: string;
  password: string;
  store: StoreOptions;
  runHelper?: HelperCommand;
}

export async function login(o: LoginOptions, env: OpEnv): Promise<{ registry: string; stored: string; checked: 'accepted' | 'open' }> {
  const { log } = env;
  const registry = registryHost(o.registry);
  if (!o.username) throw usageError('the user name is empty');
  if (!o.password) throw usageError('the password is empty', { hint: 'pipe it in with --password-stdin' });
  const { RegistryClient } = await import('../oci/registry/client.ts');
  const client = new RegistryClient({ ...o.store, username: o.username, password: o.password, registry });
  let checked: 'accepted' | 'open';
  try {
    checked = await client.checkCredentials();
  } catch (err) {
    if (err instanceof SealError && /\b401\b/.test(err.message)) {
      throw new SealError('registry', `${registry} refused the user name and password for ${o.username}; nothing was stored`, { cause: err });
    }
    throw err;
  } finally {
    client.close();
  }
  if (checked === 'open') log.warn(`${registry} asks for no credentials; storing them anyway`);
  const saved = await saveCredential({ registry, username: o.username, password: o.password, env: o.store.env, runHelper: o.runHelper });
  log.info(`Logged in to ${registry} as ${o.username}; credentials stored in ${saved.where}`);
  return { registry, stored: saved.where, checked };
}

export async function logout(o: { registry: string; env: Readonly<Record<string, string | undefined>>; runHelper?: HelperCommand }, env: OpEnv) {
  const { log } = env;
  const registry = registryHost(o.registry);
  const r = await removeCredential({ registry, env: o.env, runHelper: o.runHelper });
  if (r.removed) log.info(`Removed the credentials for ${registry} from ${r.where}`);
  else log.info(`No credentials for ${registry} in ${r.where}`);
  return { registry, removed: r.removed, where: r.where };
}
