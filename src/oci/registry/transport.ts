// The bottom layer: one HTTP exchange over node:http/node:https, with the user agent, TLS
// policy, a per-request idle timeout, debug logging (Authorization redacted) and network
// failures turned into SealError 'network' messages that name the host and the cause.
//
// Why node:https and not the global fetch: fetch's TLS options need an undici Agent passed as
// `dispatcher`, and the undici that Node bundles is not importable; an npm undici@7 Agent is a
// different copy whose dispatcher interface is not guaranteed to match Node 22's fetch, and
// undici@7's own fetch would add a dependency for what node:https already has: `ca` and
// `rejectUnauthorized` per agent, an idle (not total) timeout that suits 200 MB blobs, redirects
// that are never followed behind our back, and request bodies streamed with backpressure.
import http from 'node:http';
import https from 'node:https';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { Readable, pipeline } from 'node:stream';
import { SealError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { readAll } from '../digest.ts';
import { redactUrl, type HttpRequest, type HttpResponse, type ResponseHeaders, type Transport } from './http.ts';

export interface NodeTransportOptions {
  log: Log;
  userAgent: string;
  /** Skip TLS certificate verification (--allow-insecure-registry). */
  allowInsecure?: boolean;
  /** Extra PEM CA certificates, trusted in addition to Node's bundled roots. */
  extraCA?: string[];
  /** PEM client certificate (chain) and key, for mutual TLS. */
  clientCert?: string;
  clientKey?: string;
  /**
   * Idle timeout: connecting, waiting for headers, and any pause in the body. It is also the
   * whole-request deadline (headers and body together), extended by one second for every
   * MIN_RATE bytes moved, so a registry trickling a byte at a time is cut off while a large blob
   * on a slow but working link is not.
   */
  timeoutMs: number;
  /** HTTPS_PROXY, HTTP_PROXY, NO_PROXY (either case), from the environment the store was given. */
  proxyEnv?: ProxyEnv;
}

export type ProxyEnv = Record<string, string | undefined>;

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

/**
 * The proxy variables of `env`, or undefined when none is set. Node's agents (>= 22.21) tunnel
 * https through CONNECT and send http as absolute URIs, honouring NO_PROXY; credentials in the
 * proxy URL go only to the proxy (Proxy-Authorization), never to the registry.
 */
export function proxyEnvOf(env: Readonly<Record<string, string | undefined>>, log?: Log): ProxyEnv | undefined {
  const out: ProxyEnv = {};
  for (const name of PROXY_VARIABLES) if (env[name]) out[name] = env[name];
  if (!(out.HTTPS_PROXY || out.https_proxy || out.HTTP_PROXY || out.http_proxy)) return undefined;
  for (const [name, value] of Object.entries(out)) log?.debug(`${name}=${name.toLowerCase() === 'no_proxy' ? value : withoutUserinfo(value!)}`);
  return out;
}

/** A proxy URL for messages: `http://***@proxy:3128`, never its password. */
export function withoutUserinfo(value: string): string {
  try {
    const u = new URL(value);
    if (!u.username && !u.password) return value;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return '(unparseable proxy URL)';
  }
}

export interface NodeTransport extends Transport {
  /** Closes idle keep-alive connections. */
  close(): void;
}

// tls.connect builds a SecureContext (parsing every root certificate, ~30 ms) for each
// connection unless it is given one; build one per CA set for the whole process instead.
const secureContexts = new Map<string, SecureContext>();
function secureContextFor(extraCA: string[] | undefined, cert?: string, key?: string): SecureContext {
  const id = [...(extraCA ?? []), cert ?? '', key ?? ''].join('\n');
  let ctx = secureContexts.get(id);
  if (!ctx) {
    // `ca` replaces Node's roots, so the bundled roots go along with the extra ones.
    ctx = createSecureContext({
      ...(extraCA?.length ? { ca: uniqueCertificates([...rootCertificates, ...extraCA]) } : {}),
      ...(cert && key ? { cert, key } : {}),
    });
    secureContexts.set(id, ctx);
  }
  return ctx;
}

/**
 * The same trust set without repeats. SSL_CERT_FILE and NODE_EXTRA_CA_CERTS commonly name the
 * system bundle, which holds mostly Node's own roots: 404 certificates parsed where 165 differ,
 * ~60 of the ~100 ms this context costs every registry command. A PEM with anything but CERTIFICATE blocks is
 * passed on whole, as before.
 */
const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';
export function uniqueCertificates(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of pems) {
    const pem = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
    const blocks: string[] = [];
    let rest = '';
    let at = 0;
    for (;;) {
      const b = pem.indexOf(BEGIN, at);
      const e = b < 0 ? -1 : pem.indexOf(END, b);
      if (e < 0) {
        rest += pem.slice(at);
        break;
      }
      rest += pem.slice(at, b);
      blocks.push(pem.slice(b, e + END.length));
      at = e + END.length;
    }
    if (rest.includes('-----BEGIN')) {
      out.push(raw);
      continue;
    }
    for (const block of blocks) {
      // Node's roots wrap at 72 characters, PEM files at 64: compare without the line breaks.
      const key = block.replaceAll('\n', '').replaceAll(' ', '');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(block);
    }
  }
  return out;
}

export function createNodeTransport(opts: NodeTransportOptions): NodeTransport {
  const proxy = opts.proxyEnv ? { proxyEnv: opts.proxyEnv } : {};
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8, ...proxy });
  // Made on the first https request: its TLS context (Node's roots plus SSL_CERT_FILE and
  // NODE_EXTRA_CA_CERTS) costs ~45 ms of CPU, which a plain-http registry never needs.
  let httpsAgent: https.Agent | undefined;
  const httpsAgentNow = (): https.Agent =>
    (httpsAgent ??= new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ...proxy,
      rejectUnauthorized: !opts.allowInsecure,
      secureContext: secureContextFor(opts.extraCA, opts.clientCert, opts.clientKey),
    }));
  const send = (req: HttpRequest): Promise<HttpResponse> => {
    let agent: http.Agent;
    try {
      agent = req.url.protocol === 'https:' ? httpsAgentNow() : httpAgent;
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return exchange(req, opts, agent);
  };
  return Object.assign(send, {
    close: () => {
      httpAgent.destroy();
      httpsAgent?.destroy();
    },
  });
}

function describeHeaders(headers: Record<string, string>): string {
  const auth = headers['authorization'];
  return auth ? ` [authorization: ${auth.split(' ')[0]} <redacted>]` : '';
}

/**
 * The slowest transfer the whole-request deadline tolerates: each MIN_RATE bytes sent or received
 * add a second to it. A slow-loris server (a byte every few seconds) earns nothing; a 200 MiB blob
 * may take 200 MiB / 16 KiB/s ~ 3.6 h on top of the timeout.
 */
export const MIN_RATE = 16 * 1024;

/**
 * One request's deadline: `timeoutMs` from the start, plus a second per MIN_RATE bytes moved.
 * `onExpire` runs once when it passes. Timer-driven (one timer, re-armed only when it fires), so
 * counting bytes costs an addition per chunk.
 */
export class Deadline {
  #moved = 0;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  readonly #started = performance.now();
  readonly timeoutMs: number;
  readonly onExpire: () => void;
  constructor(timeoutMs: number, onExpire: () => void) {
    this.timeoutMs = timeoutMs;
    this.onExpire = onExpire;
    this.#arm(timeoutMs);
  }
  /** Bytes sent or received: each MIN_RATE of them extends the deadline by a second. */
  moved(bytes: number): void {
    this.#moved += bytes;
  }
  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#check(), Math.max(1, ms));
    this.#timer.unref?.();
  }
  #check(): void {
    this.#timer = undefined;
    if (this.#done) return;
    const allowed = this.timeoutMs + (this.#moved * 1000) / MIN_RATE;
    const left = allowed - (performance.now() - this.#started);
    if (left > 0) return this.#arm(left);
    this.#done = true;
    this.onExpire();
  }
  clear(): void {
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function exchange(req: HttpRequest, opts: NodeTransportOptions, agent: http.Agent): Promise<HttpResponse> {
  const { url } = req;
  const started = Date.now();
  opts.log.debug(`--> ${req.method} ${redactUrl(url)}${describeHeaders(req.headers)}`);
  const headers: Record<string, string> = { 'user-agent': opts.userAgent, ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(req.body.length);
  else if (req.method === 'PUT' || req.method === 'POST' || req.method === 'PATCH') headers['content-length'] = '0';

  return new Promise<HttpResponse>((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    let response: http.IncomingMessage | undefined;
    const deadline = new Deadline(opts.timeoutMs, () => {
      if (!response) {
        // Headers not complete in time (silent, or trickled): the same as the idle timeout.
        timedOut = true;
        r.destroy(new Error('timeout'));
        return;
      }
      // A body sent too slowly: not retried (the next attempt would crawl the same way).
      const err = deadlineError(url, opts.timeoutMs);
      response.destroy(err);
      r.destroy(err);
    });
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      deadline.clear();
      reject(toNetworkError(err, url, { timedOut, timeoutMs: opts.timeoutMs, signal: req.signal }));
    };
    const mod = url.protocol === 'https:' ? https : http;
    const r = mod.request(url, { method: req.method, headers, agent, timeout: opts.timeoutMs, signal: req.signal }, (res) => {
      settled = true;
      response = res;
      const status = res.statusCode ?? 0;
      opts.log.debug(`<-- ${status} ${req.method} ${redactUrl(url)} (${Date.now() - started} ms)`);
      res.once('close', () => deadline.clear());
      resolve(wrapResponse(res, url, () => timedOut, opts.timeoutMs, req.signal, deadline));
    });
    r.on('timeout', () => {
      timedOut = true;
      r.destroy(new Error('timeout'));
    });
    r.on('error', fail);
    if (req.body === undefined) {
      r.end();
    } else if (req.body instanceof Uint8Array) {
      deadline.moved(req.body.length);
      r.end(req.body);
    } else {
      // Streamed with backpressure; an error on either side closes both (and the file).
      deadline.moved(req.body.length);
      pipeline(Readable.from(req.body.open()), r, (err) => {
        if (err) r.destroy(err);
      });
    }
  });
}

function deadlineError(url: URL, timeoutMs: number): SealError {
  const within = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
  return new SealError('network', `${url.host} did not finish answering within ${within} (it sent the response too slowly); cut off`, {
    code: 'DEADLINE',
    hint: 'raise --registry-timeout if the registry is slow',
  });
}

/**
 * Node's parsed headers (lower-case names, repeated ones already joined) read as a Headers would
 * be: a WHATWG Headers built per response cost ~0.1 ms each in validation (a few % of a
 * many-image verify), for the handful of headers seal reads.
 */
function headersOf(raw: http.IncomingHttpHeaders): ResponseHeaders {
  const get = (name: string): string | null => {
    const v = raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  };
  return { get, has: (name) => get(name) !== null };
}

function wrapResponse(
  res: http.IncomingMessage,
  url: URL,
  timedOut: () => boolean,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  deadline: Deadline,
): HttpResponse {
  const headers = headersOf(res.headers);
  let consumed = false;
  async function* body(): AsyncGenerator<Uint8Array> {
    consumed = true;
    try {
      for await (const chunk of res) {
        deadline.moved((chunk as Buffer).length);
        yield chunk as Buffer;
      }
    } catch (err) {
      throw Object.assign(toNetworkError(err, url, { timedOut: timedOut(), timeoutMs, signal, midBody: true }), { [MID_BODY]: true });
    }
  }
  const response: HttpResponse = {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    headers,
    url,
    body: { [Symbol.asyncIterator]: () => body() },
    bytes: (maxBytes, tooLarge) => {
      const tooBig = tooLarge ?? (() => new SealError('registry', `response from ${url.host} is larger than ${maxBytes} bytes; refused`));
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > maxBytes) {
        response.discard();
        return Promise.reject(tooBig());
      }
      return readAll(body(), maxBytes, () => {
        res.destroy();
        return tooBig();
      });
    },
    textPrefix: async (maxBytes) => {
      const chunks: Buffer[] = [];
      let length = 0;
      try {
        for await (const chunk of body()) {
          chunks.push(Buffer.from(chunk));
          length += chunk.length;
          if (length >= maxBytes) {
            res.destroy();
            break;
          }
        }
      } catch {
        // An error body that breaks off is still worth showing as far as it got.
      }
      return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
    },
    discard: () => {
      if (consumed) return;
      consumed = true;
      // Small bodies are drained so the connection goes back to the pool (a response nobody
      // reads holds its socket, even a HEAD's); large or unknown ones are cut off.
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (res.complete || res.method === 'HEAD' || declared <= 64 * 1024) res.resume();
      else res.destroy();
    },
  };
  return response;
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Marks a network error that broke a response body off after its headers had arrived. */
export const MID_BODY = Symbol('midBody');
export const isMidBodyError = (err: unknown): boolean => !!err && typeof err === 'object' && MID_BODY in err;

/** Network error codes (SealError.code) the retry layer may retry. */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set(['TIMEOUT', 'CONNECTION_RESET', 'DNS_TEMPORARY', 'NETWORK']);

export function toNetworkError(err: unknown, url: URL, ctx: { timedOut: boolean; timeoutMs: number; signal?: AbortSignal; midBody?: boolean }): SealError {
  if (err instanceof SealError) return err;
  const host = url.host;
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code ?? '';
  const during = ctx.midBody ? ' while reading the response' : '';
  const net = (c: string, message: string, hint?: string) => new SealError('network', message, { code: c, cause: err, hint });
  if (ctx.signal?.aborted || e?.name === 'AbortError') {
    return new SealError('interrupted', `request to ${host} was interrupted`, { cause: err });
  }
  if (ctx.timedOut) {
    const within = ctx.timeoutMs < 1000 ? `${ctx.timeoutMs} ms` : `${Math.round(ctx.timeoutMs / 1000)} s`;
    return net('TIMEOUT', `${host} did not answer within ${within}${during}`, 'raise --registry-timeout if the registry is slow');
  }
  if (TLS_UNTRUSTED.has(code)) {
    return net('TLS_UNTRUSTED', `TLS certificate for ${host} is not trusted (${e.message})`, 'pass --allow-insecure-registry or add the CA with SSL_CERT_FILE');
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return net('TLS_EXPIRED', `TLS certificate for ${host} is not valid now (${e.message})`, 'pass --allow-insecure-registry to skip the check');
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return net(
      'TLS_HOSTNAME',
      `TLS certificate for ${host} is for another host (${e.reason ?? e.message})`,
      'pass --allow-insecure-registry to skip the check',
    );
  }
  // The server's alert when it wants a client certificate (mutual TLS) and got none it trusts.
  if (
    /ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN)|alert (bad certificate|certificate required|unknown ca)/i.test(
      `${code} ${e?.message ?? ''}`,
    )
  ) {
    return net(
      'TLS_CLIENT_CERT',
      `${host} refused the TLS connection: it wants a client certificate it trusts (${(e.message.split('\n')[0] ?? '').replace(/^.*:(ssl\/tls alert [^:]*):.*$/, '$1')})`,
      'pass --registry-client-cert and --registry-client-key',
    );
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || /wrong version number|packet length too long/i.test(e?.message ?? '')) {
    return net('TLS_PROTOCOL', `TLS handshake with ${host} failed (${e.message.split('\n')[0]})`, 'if it is a plain-http registry, pass --allow-http-registry');
  }
  if (code === 'ERR_PROXY_TUNNEL') {
    // Node's message names the proxy; ours does not, so no proxy credentials can end up in it.
    const status = (e as { statusCode?: number }).statusCode;
    const answer = status ? `it answered ${status}` : 'the tunnel could not be opened';
    return net(
      'PROXY',
      `the proxy refused the connection to ${host}: ${answer}`,
      status === 407 ? 'check the user and password in HTTPS_PROXY (http://USER:PASSWORD@PROXY:PORT)' : 'check HTTPS_PROXY, or add the registry to NO_PROXY',
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return net('CONNECTION_REFUSED', `cannot connect to ${host}: connection refused`, 'check the registry address and that it is running');
    case 'ENOTFOUND':
      return net('DNS', `cannot resolve registry host ${url.hostname}`, 'check the registry name');
    case 'EAI_AGAIN':
      return net('DNS_TEMPORARY', `cannot resolve registry host ${url.hostname} (temporary DNS failure)`);
    case 'ECONNRESET':
    case 'EPIPE':
      return net('CONNECTION_RESET', `connection to ${host} was reset${during}`);
    case 'ETIMEDOUT':
      return net('TIMEOUT', `connection to ${host} timed out${during}`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return net('UNREACHABLE', `${host} is unreachable (${code})`);
  }
  if (e?.message === 'aborted' || e?.message === 'socket hang up') {
    return net('CONNECTION_RESET', `connection to ${host} was closed early${during}`);
  }
  return net('NETWORK', `request to ${host} failed${during}: ${e?.message ?? String(err)}`);
}
