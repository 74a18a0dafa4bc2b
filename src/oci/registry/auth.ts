// The auth layer. Handshake, as in go-containerregistry's transport.NewWithContext:
//   1. The client pings GET /v2/ once; 200 means no auth, 401 carries a challenge (`learn`).
//   2. Basic: every request to the registry's origin carries the credentials.
//      Bearer: a token for the request's scopes (pull, or pull,push) comes from the realm,
//      anonymously or with the credentials, and is cached per scope set (token.ts).
//   3. A 401 on a request (a token expired, a wider scope is needed, a registry that lets
//      anonymous clients ping but not pull) is learned from and the request is sent once more
//      with a fresh token for the request's scopes plus any the challenge names.
// Authorization is attached only to requests for the registry's own origin, here and nowhere
// else, so a redirect to a storage service (another host) never carries it.
import type { Log } from '../../log.ts';
import type { Credential } from '../credentials.ts';
import { findChallenge, parseChallenges } from './challenge.ts';
import { originOf, type HttpRequest, type HttpResponse, type Transport } from './http.ts';
import { TokenCache, fetchToken, mergeScopes, type Token } from './token.ts';

export interface RegistryAuthOptions {
  /** host[:port], for messages and token requests. */
  registry: string;
  /** Resolved once, on first need (so registries without auth never run a credential helper). */
  getCredential: () => Promise<Credential | undefined>;
  /** Retrying transport without auth, for the token realm. */
  tokenTransport: Transport;
  allowHttp?: boolean;
  log: Log;
  now?: () => number;
}

type Mode = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

export class RegistryAuth {
  #mode: Mode = { kind: 'none' };
  #origin: string | undefined;
  #credential: Promise<Credential | undefined> | undefined;
  readonly #tokens: TokenCache;
  readonly #inflight = new Map<string, Promise<Token>>();
  readonly #opts: RegistryAuthOptions;
  /** Whether a request carried credentials (not just an anonymous token); for error hints. */
  credentialsUsed = false;

  constructor(opts: RegistryAuthOptions) {
    this.#opts = opts;
    this.#tokens = new TokenCache(opts.now);
  }

  /** The registry's origin (scheme://host), known after the ping. */
  setOrigin(origin: string): void {
    this.#origin = origin;
  }

  get mode(): Mode['kind'] {
    return this.#mode.kind;
  }

  credential(): Promise<Credential | undefined> {
    this.#credential ??= this.#opts.getCredential();
    return this.#credential;
  }

  /**
   * Learns the auth scheme from a 401's WWW-Authenticate. Returns the scopes the challenge asks
   * for (bearer), or null when there is no challenge seal can answer.
   */
  learn(header: string | null): string[] | null {
    if (!header) return null;
    const bearer = findChallenge(header, 'bearer');
    if (bearer?.params.realm) {
      this.#mode = { kind: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
      return bearer.params.scope ? bearer.params.scope.split(' ').filter(Boolean) : [];
    }
    if (findChallenge(header, 'basic')) {
      this.#mode = { kind: 'basic' };
      return [];
    }
    this.#opts.log.debug(
      `${this.#opts.registry}: unsupported auth challenge(s): ${parseChallenges(header)
        .map((c) => c.scheme)
        .join(', ')}`,
    );
    return null;
  }

  /** The Authorization value for a request needing `scopes`, or undefined for none. */
  async header(scopes: readonly string[], signal?: AbortSignal, fresh = false): Promise<string | undefined> {
    const mode = this.#mode;
    if (mode.kind === 'none') return undefined;
    const cred = await this.credential();
    if (mode.kind === 'basic') {
      if (cred?.kind !== 'basic') return undefined;
      this.credentialsUsed = true;
      return 'Basic ' + Buffer.from(`${cred.username}:${cred.password}`).toString('base64');
    }
    if (cred?.kind === 'registry-token') {
      this.credentialsUsed = true;
      return `Bearer ${cred.token}`;
    }
    const wanted = mergeScopes(scopes);
    const key = wanted.join(' ');
    if (!fresh) {
      const cached = this.#tokens.get(wanted);
      if (cached) return `Bearer ${cached.token}`;
      // Requests sent in parallel before the first token arrives share one token request.
      const pending = this.#inflight.get(key);
      if (pending) return `Bearer ${(await pending).token}`;
    }
    const request = fetchToken(this.#opts.tokenTransport, {
      realm: mode.realm,
      service: mode.service,
      scopes: wanted,
      credential: cred,
      allowHttp: this.#opts.allowHttp,
      signal,
      registry: this.#opts.registry,
    });
    this.#inflight.set(key, request);
    let token: Token;
    try {
      token = await request;
    } finally {
      if (this.#inflight.get(key) === request) this.#inflight.delete(key);
    }
    if (cred) this.credentialsUsed = true;
    this.#opts.log.debug(`${this.#opts.registry}: got a ${cred ? '' : 'anonymous '}token for ${key || '(no scope)'}`);
    this.#tokens.put(token);
    return `Bearer ${token.token}`;
  }

  /** Wraps `inner` so requests to the registry's origin are authenticated. */
  wrap(inner: Transport): Transport {
    return async (req: HttpRequest): Promise<HttpResponse> => {
      if (this.#origin === undefined || originOf(req.url) !== this.#origin) {
        // Another host (a storage redirect, a token realm): never our credentials.
        const { authorization: _drop, ...headers } = req.headers;
        return inner({ ...req, headers });
      }
      const scopes = req.scopes ?? [];
      const first = await this.header(scopes, req.signal);
      const res = await inner(withAuthorization(req, first));
      if (res.status !== 401) return res;
      const extra = this.learn(res.headers.get('www-authenticate'));
      if (extra === null) return res;
      if (first?.startsWith('Bearer ')) this.#tokens.drop(first.slice(7));
      const next = await this.header(mergeScopes([...scopes, ...extra]), req.signal, true);
      if (next === undefined || next === first) return res;
      res.discard();
      // A 401 means the registry did not act on the request, so sending it again is safe.
      return inner(withAuthorization(req, next));
    };
  }
}

function withAuthorization(req: HttpRequest, value: string | undefined): HttpRequest {
  const { authorization: _drop, ...headers } = req.headers;
  return { ...req, headers: value ? { ...headers, authorization: value } : headers };
}
