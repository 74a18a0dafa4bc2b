// An HTTP proxy in front of a registry that records every request and injects faults: error
// statuses (with Retry-After), dropped connections, truncated or corrupted bodies, delays.
// Clients speak plain HTTP to the proxy; the target may be http or https (self-signed is fine).
// Bodies stream in both directions, so multi-hundred-MB blobs pass through without buffering.
//
// Upload URLs stay on the proxy: the target sees X-Forwarded-Host/-Proto (distribution builds
// Location headers from them) and any absolute Location pointing at the target is rewritten.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type FaultAction =
  { status: number; retryAfter?: string; body?: string } | { drop: true } | { truncateAt: number } | { corrupt: true } | { delayMs: number };

export interface FaultRule {
  /** Match this method only (case-insensitive). */
  method?: string;
  /** Tested against the request path with its query string, e.g. /v2/app/blobs/sha256:… */
  path?: RegExp;
  /** How many matching requests get the fault; default: all of them. */
  times?: number;
  /** Each matching request gets the fault with this probability (0..1); default 1. */
  probability?: number;
  action: FaultAction;
}

export interface ProxiedRequest {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** Status sent to the client; 0 when the connection was dropped before a response. */
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  /** Request body bytes received from the client. */
  requestBytes: number;
  /** The fault applied, if any: 'status', 'drop', 'truncate', 'corrupt', 'delay'. */
  fault?: string;
  /** When the request arrived: milliseconds since the proxy started (fractional: requests on a loopback take less than one). */
  at: number;
  /** Milliseconds from the request's arrival to the end of the response (or the drop). */
  ms: number;
}

export type RequestFilter = ((r: ProxiedRequest) => boolean) | { method?: string; path?: RegExp; status?: number };

export interface FaultProxy {
  host: string;
  url: string;
  /** Every request so far, in arrival order (entries are updated as responses finish). */
  requests: ProxiedRequest[];
  /** Replaces the fault rules; the first matching rule with times left applies. */
  setFaults(rules: FaultRule[]): void;
  /** Clears the rules and the request log. */
  reset(): void;
  count(filter?: RequestFilter): number;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** PEM to trust for an https target; without it the target's certificate is not checked. */
  ca?: string | Buffer;
}

interface ActiveRule {
  rule: FaultRule;
  left: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  // Node's server already answered 100 Continue to the client.
  'expect',
]);

function matches(r: ProxiedRequest, filter?: RequestFilter): boolean {
  if (!filter) return true;
  if (typeof filter === 'function') return filter(r);
  if (filter.method && filter.method.toUpperCase() !== r.method) return false;
  if (filter.path && !testRe(filter.path, r.path)) return false;
  if (filter.status !== undefined && filter.status !== r.status) return false;
  return true;
}

function testRe(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
}

function errorBody(status: number): string {
  const code = status === 429 ? 'TOOMANYREQUESTS' : status >= 500 ? 'UNAVAILABLE' : 'DENIED';
  return JSON.stringify({ errors: [{ code, message: `fault injected by the test proxy (${status})` }] });
}

export async function startFaultProxy(targetUrl: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const secure = target.protocol === 'https:';
  const targetOrigin = target.origin;
  const agent = secure ? new https.Agent({ keepAlive: true, ca: opts.ca, rejectUnauthorized: opts.ca !== undefined }) : new http.Agent({ keepAlive: true });
  let rules: ActiveRule[] = [];
  const requests: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const startedAt = performance.now();
  let proxyOrigin = '';

  const pickRule = (method: string, path: string): FaultRule | undefined => {
    for (const active of rules) {
      const { rule } = active;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path && !testRe(rule.path, path)) continue;
      if (active.left <= 0) continue;
      if (rule.probability !== undefined && Math.random() >= rule.probability) continue;
      active.left--;
      return rule;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      status: 0,
      bytes: 0,
      requestBytes: 0,
      at: started - startedAt,
      ms: 0,
    };
    requests.push(entry);
    res.on('close', () => (entry.ms = performance.now() - started));
    const rule = pickRule(entry.method, entry.path);
    const action = rule?.action;

    if (action && 'drop' in action) {
      entry.fault = 'drop';
      req.socket.destroy();
      return;
    }
    if (action && 'status' in action) {
      entry.fault = 'status';
      // Read the whole request first so the client sees the status rather than a reset.
      req.on('data', (c: Buffer) => (entry.requestBytes += c.length));
      req.on('end', () => {
        const body = entry.method === 'HEAD' ? '' : (action.body ?? errorBody(action.status));
        const headers: Record<string, string | number> = {
          'content-type': action.body === undefined ? 'application/json' : 'text/plain',
          'content-length': Buffer.byteLength(body),
        };
        if (action.retryAfter !== undefined) headers['retry-after'] = action.retryAfter;
        entry.status = action.status;
        entry.bytes = Buffer.byteLength(body);
        res.writeHead(action.status, headers);
        res.end(body);
      });
      return;
    }
    const forward = (): void => forwardRequest(req, res, entry, action);
    if (action && 'delayMs' in action) {
      entry.fault = 'delay';
      const timer = setTimeout(() => {
        if (!req.socket.destroyed) forward();
      }, action.delayMs);
      // A client that gives up during the delay is never forwarded.
      res.once('close', () => clearTimeout(timer));
      return;
    }
    forward();
  });

  function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, entry: ProxiedRequest, action: FaultAction | undefined): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers['x-forwarded-host'] = req.headers.host ?? new URL(proxyOrigin).host;
    headers['x-forwarded-proto'] = 'http';
    const upstream = (secure ? https : http).request(
      {
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: entry.method,
        path: entry.path,
        headers,
        agent,
      },
      (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        const location = up.headers.location;
        if (location?.startsWith(targetOrigin)) out.location = proxyOrigin + location.slice(targetOrigin.length);
        entry.status = up.statusCode ?? 502;
        res.writeHead(entry.status, out);
        const declared = Number(up.headers['content-length'] ?? NaN);
        const hasBody = entry.method !== 'HEAD';
        let offset = 0;
        let truncated = false;
        // corrupt: flip the middle byte when the length is known, else the first.
        const flipAt = Number.isFinite(declared) && declared > 0 ? Math.floor(declared / 2) : 0;
        if (hasBody && action && 'truncateAt' in action) entry.fault = 'truncate';
        if (hasBody && action && 'corrupt' in action) entry.fault = 'corrupt';
        up.on('data', (chunk: Buffer) => {
          if (truncated) return;
          let data = chunk;
          if (hasBody && action && 'truncateAt' in action && offset + data.length >= action.truncateAt) {
            data = data.subarray(0, Math.max(0, action.truncateAt - offset));
            truncated = true;
          }
          if (hasBody && action && 'corrupt' in action && flipAt >= offset && flipAt < offset + data.length) {
            data = Buffer.from(data);
            data[flipAt - offset] ^= 0xff;
          }
          offset += data.length;
          entry.bytes += data.length;
          if (truncated) {
            up.destroy();
            // Headers promised more: send what we have, then cut the connection.
            res.write(data, () => res.socket?.destroy());
            if (data.length === 0) res.socket?.destroy();
            return;
          }
          if (!res.write(data)) {
            up.pause();
            res.once('drain', () => up.resume());
          }
        });
        up.on('end', () => {
          if (!truncated) res.end();
        });
        up.on('error', () => res.socket?.destroy());
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) {
        res.socket?.destroy();
        return;
      }
      const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `proxy: ${err.message}` }] });
      entry.status = 502;
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    // The client going away mid-request aborts the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on('data', (c: Buffer) => (entry.requestBytes += c.length));
    req.pipe(upstream);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Uploads of large blobs must not hit Node's default request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `http://${host}`;
  let stopped: Promise<void> | undefined;

  return {
    host,
    url: proxyOrigin,
    requests,
    setFaults(next: FaultRule[]) {
      rules = next.map((rule) => ({ rule, left: rule.times ?? Infinity }));
    },
    reset() {
      rules = [];
      requests.length = 0;
    },
    count(filter?: RequestFilter) {
      return requests.filter((r) => matches(r, filter)).length;
    },
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      })),
  };
}
