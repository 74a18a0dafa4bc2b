// What one command learns about registries and shares between the stores it opens: the node
// transports (keep-alive pools) with the /v2/ ping answers got over each, the scheme each
// registry answered on, and whether each registry has the referrers API. One session per
// command: the CLI makes it with the registry options (StoreOptions.session); a store opened
// without one gets a session of its own. Nothing here is process-wide, so two commands run in
// one process (in-process tests, a library user) never share a connection or an answer.
// docs/design/registry-session.md says why.
import type { Log } from '../../log.ts';
import type { Transport } from './http.ts';

/** What GET /v2/ answered: where the registry is, and how it wants to be authenticated. */
export interface PingResult {
  origin: string;
  /** WWW-Authenticate of the 401 answer; null when /v2/ answered 200. */
  challenge: string | null;
}

/** A node transport shared by the clients of one session with the same log and connection settings. */
export interface SharedTransport {
  /** Closing it drops one user; the last user's close closes the pool. */
  transport: Transport & { close(): void };
  users: number;
  /** Ping answers got over this transport, by registry (and http-only or not). */
  pings: Map<string, Promise<PingResult>>;
}

export class RegistrySession {
  // By log too: the transport logs through the log of the client that made it.
  readonly #transports = new Map<Log, Map<string, SharedTransport>>();
  readonly #schemes = new Map<string, string>();
  readonly #referrersApi = new Map<string, Promise<boolean | undefined>>();
  readonly #capabilities = new Map<string, Promise<boolean>>();
  readonly #fastest = new Map<string, number>();

  /**
   * The transport of `log` and the connection settings `key`, made by `make` the first time (or
   * again once every user of the previous one closed it); counts one more user.
   */
  acquireTransport(log: Log, key: string, make: () => Transport & { close(): void }): SharedTransport {
    let byKey = this.#transports.get(log);
    if (!byKey) this.#transports.set(log, (byKey = new Map()));
    let shared = byKey.get(key);
    if (!shared) {
      const transport = make();
      const entry: SharedTransport = {
        transport: Object.assign((req: Parameters<Transport>[0]) => transport(req), {
          close: () => {
            if (--entry.users > 0) return;
            if (byKey.get(key) === entry) byKey.delete(key);
            transport.close();
          },
        }),
        users: 0,
        pings: new Map(),
      };
      byKey.set(key, (shared = entry));
    }
    shared.users++;
    return shared;
  }

  /** The scheme `registry` answered on before in this session ('https' or 'http'). */
  knownScheme(registry: string): string | undefined {
    return this.#schemes.get(registry);
  }

  rememberScheme(registry: string, scheme: string): void {
    this.#schemes.set(registry, scheme);
  }

  /**
   * Whether `registry` has the referrers API: true or false as the first lookup of this session
   * found (lookups started meanwhile wait for it), undefined when that lookup failed or none was
   * made yet.
   */
  referrersApi(registry: string): Promise<boolean | undefined> | undefined {
    return this.#referrersApi.get(registry);
  }

  /** Records the answer of a first referrers lookup; a failed one (undefined) is forgotten, so the next lookup asks again. */
  learnReferrersApi(registry: string, answer: Promise<boolean | undefined>): void {
    this.#referrersApi.set(registry, answer);
    void answer.then((has) => {
      if (has === undefined && this.#referrersApi.get(registry) === answer) this.#referrersApi.delete(registry);
    });
  }

  /**
   * Whether `registry` does something that does not depend on the repository or the image (e.g.
   * honours If-Match on manifest PUTs: safe-update.ts): `ask` runs once per registry and session
   * (callers meanwhile wait for its answer); a failed `ask` is forgotten and its error thrown.
   */
  capability(name: string, registry: string, ask: () => Promise<boolean>): Promise<boolean> {
    const key = `${name} ${registry}`;
    let answer = this.#capabilities.get(key);
    if (!answer) {
      answer = ask();
      this.#capabilities.set(key, answer);
      const asked = answer;
      asked.catch(() => this.#capabilities.get(key) === asked && this.#capabilities.delete(key));
    }
    return answer;
  }

  /** Records how long a request to `registry` took until its answer's headers (ms). */
  noteRoundTrip(registry: string, ms: number): void {
    if (!(ms >= (this.#fastest.get(registry) ?? Infinity))) this.#fastest.set(registry, ms);
  }

  /**
   * The quickest answer `registry` gave in this session (ms), undefined before the first: the
   * registry's own pace, which one slow request (a starved process, a retry) does not show.
   */
  fastestRoundTrip(registry: string): number | undefined {
    return this.#fastest.get(registry);
  }

  /** Closes every connection pool of the session, whoever still uses it; the answers stay. */
  close(): void {
    for (const byKey of this.#transports.values()) {
      for (const shared of byKey.values()) {
        shared.users = 1;
        shared.transport.close();
      }
    }
    this.#transports.clear();
  }
}
