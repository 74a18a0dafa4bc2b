// One registry host, its layers composed:
//   node transport (user agent, TLS, idle timeout, logging) → retry → auth → redirects.
// The first request pings GET /v2/ to learn the scheme and the auth scheme (once per registry per
// session: later clients of the same RegistrySession reuse the answer). Scheme: https;
// `allowHttp` means plain http only; loopback registries (localhost, 127.0.0.0/8, ::1) try https
// and fall back to http when the server does not speak TLS, as go-containerregistry does (a bare
// TLS hello first tells a plain-http one apart cheaply: tls-probe.ts). Other hosts: https only.
import { SealError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { userAgent } from '../../version.ts';
import type { StoreOptions } from '../store.ts';
import { resolveCredential, type HelperRunner } from '../credentials.ts';
import { isLoopbackRegistry } from '../reference.ts';
import { RegistryAuth } from './auth.ts';
import { responseError } from './errors.ts';
import type { HttpRequest, HttpResponse, RequestBody, Transport } from './http.ts';
import { withRedirects } from './redirect.ts';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './retry.ts';
import { RegistrySession, type SharedTransport } from './session.ts';
import { loadCAFiles, loadClientCertificate, loadExtraCAs } from './tls.ts';
import { probeTls, type TlsProbe } from './tls-probe.ts';
import { createNodeTransport, proxyEnvOf } from './transport.ts';

// A command opens one store (one client) per repository: `seal verify` of 100 images in 100
// repositories used to build 100 transports (each reading SSL_CERT_FILE and NODE_EXTRA_CA_CERTS
// again, ~2.5 ms of CPU each) with their own keep-alive pools, and ping /v2/ 100 times. Clients
// of one session with the same log and connection settings share one node transport, and a
// registry's ping answer (its origin and auth challenge) is kept per transport for the session.

/** The CA and proxy variables of an environment (walking process.env is slow: once per env object). */
const connectionEnv = new WeakMap<object, string>();

/** What decides how a node transport connects: equal keys can share one. */
function transportKey(o: RegistryClientOptions): string {
  let env = connectionEnv.get(o.env);
  if (env === undefined) {
    env = JSON.stringify(
      Object.entries(o.env)
        .filter(([k]) => /^(ssl_cert_file|node_extra_ca_certs|https?_proxy|no_proxy)$/i.test(k))
        .sort(),
    );
    connectionEnv.set(o.env, env);
  }
  return JSON.stringify([env, o.allowInsecure ?? false, o.caFiles ?? [], o.clientCertFile, o.clientKeyFile, o.timeoutMs ?? DEFAULT_TIMEOUT_MS]);
}

export interface RegistryClientOptions extends StoreOptions {
  /** host[:port]. */
  registry: string;
  /** Repository, for podman's namespace-scoped credential keys. */
  repository?: string;
  /** Overrides for tests: the bottom transport, retry timing, credential helpers. */
  transport?: Transport;
  retryPolicy?: Partial<RetryPolicy>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  runHelper?: HelperRunner;
}

export interface ApiRequest {
  method: HttpRequest['method'];
  /** Path and query under the origin (`/v2/team/app/manifests/latest`), or an absolute URL
   *  from a Location header. */
  path: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  scopes: string[];
  idempotent?: boolean;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** The longest the TLS probe of a loopback registry waits (tls-probe.ts). */
export const PROBE_TIMEOUT_MS = 3_000;

export class RegistryClient {
  readonly registry: string;
  readonly log: Log;
  readonly signal: AbortSignal | undefined;
  /** What this client shares with the other clients of its command (a session of its own when none was given). */
  readonly session: RegistrySession;
  readonly #opts: RegistryClientOptions;
  readonly #auth: RegistryAuth;
  #bottom: (Transport & { close?: () => void }) | undefined;
  #api: Transport | undefined;
  #retrying: Transport | undefined;
  #origin: Promise<string> | undefined;
  #shared: SharedTransport | undefined;
  /** WWW-Authenticate of this client's own ping, when it answered 401. */
  #challenge: string | null = null;
  #closed = false;

  constructor(opts: RegistryClientOptions) {
    this.#opts = opts;
    this.registry = opts.registry;
    this.log = opts.log;
    this.signal = opts.signal;
    this.session = opts.session ?? new RegistrySession();
    this.#auth = new RegistryAuth({
      registry: opts.registry,
      getCredential: () =>
        resolveCredential({
          registry: opts.registry,
          repository: opts.repository,
          env: opts.env,
          log: opts.log,
          username: opts.username,
          password: opts.password,
          registryToken: opts.registryToken,
          runHelper: opts.runHelper,
        }),
      tokenTransport: (req) => this.#layers().retrying(req),
      allowHttp: opts.allowHttp,
      log: opts.log,
    });
  }

  get credentialsUsed(): boolean {
    return this.#auth.credentialsUsed;
  }

  #layers(): { retrying: Transport; api: Transport } {
    if (!this.#api || !this.#retrying) {
      const o = this.#opts;
      this.#bottom = o.transport ?? this.#sharedTransport().transport;
      const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...o.retryPolicy };
      if (o.retries !== undefined) policy.retries = o.retries;
      this.#retrying = withRetry(this.#bottom, { policy, log: o.log, sleep: o.sleep });
      this.#api = withRedirects(this.#auth.wrap(this.#retrying), { log: o.log, allowHttp: o.allowHttp });
    }
    return { retrying: this.#retrying, api: this.#api };
  }

  /** The node transport of this client's settings, shared with the other clients of the session. */
  #sharedTransport(): SharedTransport {
    if (this.#shared) return this.#shared;
    const o = this.#opts;
    this.#shared = this.session.acquireTransport(o.log, transportKey(o), () =>
      createNodeTransport({
        log: o.log,
        userAgent,
        allowInsecure: o.allowInsecure,
        extraCA: [...loadExtraCAs(o.env, o.log), ...loadCAFiles(o.caFiles ?? [], o.log)],
        ...loadClientCertificate(o.clientCertFile, o.clientKeyFile),
        proxyEnv: proxyEnvOf(o.env, o.log),
        timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      }),
    );
    return this.#shared;
  }

  /** scheme://host of the registry, after the ping. */
  origin(): Promise<string> {
    this.#origin ??= this.#pingOnce();
    // A failed ping is not remembered: the next call tries again.
    this.#origin.catch(() => (this.#origin = undefined));
    return this.#origin;
  }

  /**
   * The ping, or the answer another client of this session got from the same registry over the
   * same transport (clients with a test transport always ping). A 401 on a later request is
   * learned from by the auth layer either way, so a remembered "no auth" cannot lock anyone out.
   */
  async #pingOnce(): Promise<string> {
    if (this.#opts.transport) return this.#ping();
    const pings = this.#sharedTransport().pings;
    const key = `${this.registry} ${this.#opts.allowHttp ? 'http' : ''}`;
    let ping = pings.get(key);
    if (!ping) {
      ping = this.#ping().then((origin) => ({ origin, challenge: this.#challenge }));
      pings.set(key, ping);
      ping.catch(() => pings.get(key) === ping && pings.delete(key));
      return (await ping).origin;
    }
    const { origin, challenge } = await ping;
    if (challenge !== null) this.#auth.learn(challenge);
    this.#auth.setOrigin(origin);
    return origin;
  }

  async #ping(): Promise<string> {
    const { registry } = this;
    let schemes = this.#opts.allowHttp ? ['http'] : isLoopbackRegistry(registry) ? ['https', 'http'] : ['https'];
    // A command opens one store per repository: try first what worked for this registry before.
    const known = this.session.knownScheme(registry);
    if (known && schemes.includes(known)) schemes = [known, ...schemes.filter((s) => s !== known)];
    else if (schemes.length > 1 && (await this.#probe()) === 'plain') schemes = ['http'];
    let firstError: unknown;
    for (const scheme of schemes) {
      const url = new URL(`${scheme}://${registry}/v2/`);
      let res: HttpResponse;
      try {
        res = await this.#layers().retrying({ method: 'GET', url, headers: {}, signal: this.signal });
      } catch (err) {
        // A certificate problem means the server does speak TLS: report it, do not try http.
        // A proxy's refusal says nothing about the registry's scheme.
        if (err instanceof SealError && /^(TLS_(UNTRUSTED|EXPIRED|HOSTNAME|CLIENT_CERT)|PROXY)$/.test(err.code)) throw err;
        if (err instanceof SealError && err.kind === 'interrupted') throw err;
        firstError ??= err;
        this.log.debug(`${scheme}://${registry}/v2/ failed: ${(err as Error).message}`);
        continue;
      }
      const origin = `${scheme}://${url.host}`;
      if (res.status === 200) {
        res.discard();
      } else if (res.status === 401) {
        this.#challenge = res.headers.get('www-authenticate');
        this.#auth.learn(this.#challenge);
        res.discard();
      } else {
        throw await responseError(res, { action: 'checking the registry API (GET /v2/)', name: registry, credentialsUsed: false });
      }
      this.#auth.setOrigin(origin);
      this.session.rememberScheme(registry, scheme);
      this.log.debug(`${registry}: ${scheme}, auth ${this.#auth.mode}`);
      return origin;
    }
    throw firstError;
  }

  /**
   * First contact with a loopback registry: does its port speak TLS at all (tls-probe.ts)? Not
   * with a test transport, nor through a proxy (the probe connects directly).
   */
  async #probe(): Promise<TlsProbe> {
    const o = this.#opts;
    if (o.transport || proxyEnvOf(o.env)) return 'unknown';
    // A loopback server answers a hello in milliseconds; one that does not is left to the ping's
    // own timeout and retries (the answer is then "unknown": https first, as without the probe).
    const timeoutMs = Math.min(o.timeoutMs ?? DEFAULT_TIMEOUT_MS, PROBE_TIMEOUT_MS);
    const answer = await probeTls(this.registry, { timeoutMs, signal: this.signal });
    this.log.debug(`${this.registry}: TLS probe: ${answer}`);
    return answer;
  }

  /** Sends a request through all layers. Non-2xx answers are returned, not thrown. */
  async request(r: ApiRequest): Promise<HttpResponse> {
    const origin = await this.origin();
    const url = new URL(r.path, origin); // Location headers may be absolute or origin-relative
    const at = performance.now();
    const res = await this.#layers().api({
      method: r.method,
      url,
      headers: r.headers ?? {},
      body: r.body,
      scopes: r.scopes,
      idempotent: r.idempotent,
      signal: this.signal,
    });
    // The registry's pace for safe-update.ts (retries and token fetches only make one slower).
    this.session.noteRoundTrip(this.registry, performance.now() - at);
    return res;
  }

  /**
   * Checks the credentials as `docker login` does: GET /v2/ with them (on a token registry, with
   * a token for no scope, which the token service only hands out to valid credentials).
   * 'open' when the registry asks for no credentials at all.
   */
  async checkCredentials(): Promise<'accepted' | 'open'> {
    await this.origin();
    if (this.#auth.mode === 'none') return 'open';
    const res = await this.request({ method: 'GET', path: '/v2/', scopes: [] });
    if (res.status === 200) {
      res.discard();
      return 'accepted';
    }
    throw await responseError(res, { action: 'logging in (GET /v2/)', name: this.registry, credentialsUsed: this.credentialsUsed });
  }

  close(): void {
    if (this.#closed) return; // a shared transport counts its users: close once
    this.#closed = true;
    (this.#bottom ?? this.#shared?.transport)?.close?.();
  }
}
