// Bearer tokens for the distribution token flow (https://distribution.github.io/distribution/spec/auth/token/
// and .../oauth/): GET realm?service=&scope= with Basic credentials (or none, for anonymous pulls),
// or POST grant_type=refresh_token when the credential is an identity token. Tokens are cached
// per scope set; a cached token whose scopes cover a request is reused until shortly before it expires.
import { SealError, flattenControls } from '../../errors.ts';
import type { Credential } from '../credentials.ts';
import { isLoopbackRegistry } from '../reference.ts';
import { ERROR_BODY_LIMIT, type Transport } from './http.ts';
import { attemptsOf } from './retry.ts';

export interface TokenRequest {
  realm: string;
  service?: string;
  scopes: string[];
  credential?: Credential;
  /** Plain-http realms get credentials only on loopback or when the user allowed http. */
  allowHttp?: boolean;
  signal?: AbortSignal;
  /** For messages: the registry the token is for. */
  registry: string;
}

export interface Token {
  token: string;
  /** ms since epoch. */
  expiresAt: number;
  scopes: string[];
}

/** Tokens without expires_in live 60 s (the token spec's default). */
const DEFAULT_LIFETIME_S = 60;
/** The longest lifetime believed. */
const MAX_LIFETIME_S = 24 * 3600;
/** Refresh this long before expiry so a token does not lapse mid-request. */
const EXPIRY_MARGIN_MS = 10_000;

export async function fetchToken(transport: Transport, req: TokenRequest, now: () => number = Date.now): Promise<Token> {
  let realm: URL;
  try {
    realm = new URL(req.realm);
  } catch {
    throw new SealError('registry', `${req.registry} sent an invalid token realm "${req.realm}"`);
  }
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
    throw new SealError('registry', `${req.registry} sent a token realm that is not http(s): ${realm.protocol}`);
  }
  let credential = req.credential;
  if (credential && realm.protocol === 'http:' && !req.allowHttp && !isLoopbackRegistry(realm.host)) {
    // Never send a password in clear text because a registry asked for it.
    credential = undefined;
  }
  const started = now();
  let res;
  if (credential?.kind === 'identity-token') {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credential.token, client_id: 'seal' });
    if (req.service) form.set('service', req.service);
    if (req.scopes.length) form.set('scope', req.scopes.join(' '));
    res = await transport({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new TextEncoder().encode(form.toString()),
      idempotent: true,
      signal: req.signal,
    });
  } else {
    const url = new URL(realm.href);
    if (req.service) url.searchParams.set('service', req.service);
    for (const scope of req.scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential?.kind === 'basic') {
      url.searchParams.set('account', credential.username);
      headers['authorization'] = 'Basic ' + Buffer.from(`${credential.username}:${credential.password}`).toString('base64');
    }
    res = await transport({ method: 'GET', url, headers, signal: req.signal });
  }
  if (res.status !== 200) {
    const text = await res.textPrefix(ERROR_BODY_LIMIT);
    // The first line of the answer, control characters flattened, so the message stays one line.
    const detail = flattenControls(text.trim().split(/\r\n|\r|\n/)[0] ?? '').slice(0, 300);
    const attempts = attemptsOf(res);
    const tried = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
    if (res.status === 401 || res.status === 403) {
      throw new SealError('registry', `the token service for ${req.registry} refused the credentials (${res.status})${detail ? `: ${detail}` : ''}`, {
        code: 'UNAUTHORIZED',
        hint: credential ? `check the credentials from ${credential.source}` : 'log in with docker login, or pass --registry-username and --registry-password',
      });
    }
    throw new SealError('registry', `the token service for ${req.registry} answered ${res.status}${tried}${detail ? `: ${detail}` : ''}`, {
      code: 'TOKEN_FAILED',
    });
  }
  const body = await res.bytes(
    ERROR_BODY_LIMIT * 16,
    () => new SealError('registry', `the token service for ${req.registry} answered with more than ${ERROR_BODY_LIMIT * 16} bytes`, { code: 'TOKEN_FAILED' }),
  );
  let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8')) as typeof parsed;
  } catch {
    throw new SealError('registry', `the token service for ${req.registry} answered with something that is not JSON`, { code: 'TOKEN_FAILED' });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SealError('registry', `the token service for ${req.registry} answered with JSON that is not an object`, { code: 'TOKEN_FAILED' });
  }
  // Only a string is a token: anything else would end up as "Bearer [object Object]".
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const token = str(parsed.token) || str(parsed.access_token);
  if (!token) throw new SealError('registry', `the token service for ${req.registry} answered without a token`, { code: 'TOKEN_FAILED' });
  // A day at most: an absurd expires_in (1e308) must not make a token live forever in the cache.
  const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? Math.min(parsed.expires_in, MAX_LIFETIME_S) : DEFAULT_LIFETIME_S;
  return { token, expiresAt: started + lifetime * 1000, scopes: [...req.scopes] };
}

/** `repository:team/app:pull,push` → resource `repository:team/app`, actions {pull, push}. */
export function parseScope(scope: string): { resource: string; actions: Set<string> } {
  const last = scope.lastIndexOf(':');
  if (last < 0) return { resource: scope, actions: new Set() };
  return {
    resource: scope.slice(0, last),
    actions: new Set(
      scope
        .slice(last + 1)
        .split(',')
        .filter(Boolean),
    ),
  };
}

/** Merges scopes per resource: [`repository:a:pull`, `repository:a:push`] → [`repository:a:pull,push`]. */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes) {
    const { resource, actions } = parseScope(s);
    const set = byResource.get(resource) ?? new Set<string>();
    for (const a of actions) set.add(a);
    byResource.set(resource, set);
  }
  return [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`).sort();
}

/** Every action of every `needed` scope is granted by `granted`. */
export function scopesCover(granted: readonly string[], needed: readonly string[]): boolean {
  const have = new Map<string, Set<string>>();
  for (const g of granted) {
    const { resource, actions } = parseScope(g);
    const set = have.get(resource) ?? new Set<string>();
    for (const a of actions) set.add(a);
    have.set(resource, set);
  }
  return needed.every((n) => {
    const { resource, actions } = parseScope(n);
    const set = have.get(resource);
    return set !== undefined && [...actions].every((a) => set.has(a) || set.has('*'));
  });
}

export class TokenCache {
  #tokens: Token[] = [];
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A live token whose scopes cover `scopes`. */
  get(scopes: readonly string[]): Token | undefined {
    const now = this.#now();
    this.#tokens = this.#tokens.filter((t) => t.expiresAt - EXPIRY_MARGIN_MS > now);
    return this.#tokens.find((t) => scopesCover(t.scopes, scopes));
  }

  put(token: Token): void {
    this.#tokens = this.#tokens.filter((t) => !scopesCover(token.scopes, t.scopes));
    this.#tokens.push(token);
  }

  /** Forgets tokens the registry refused. */
  drop(token: string): void {
    this.#tokens = this.#tokens.filter((t) => t.token !== token);
  }
}
