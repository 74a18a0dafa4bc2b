// A registry that misbehaves on purpose, for the tests of issue 9 items 6-11: endless pages,
// huge bodies, slow bodies, stalls, redirects to another host, wrong digests. It is a small
// in-memory OCI distribution server (node:http on 127.0.0.1) that serves what the tests put in
// it, plus rules that replace the answer to matching requests. Every request is logged, so tests
// can count what seal asked for; every socket is tracked, so stop() ends stalled exchanges too.
//
// It runs inside the test process: rules must never block the event loop (they answer with
// timers and streams), and clients that talk to it must be child processes or async code.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoggedRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, ctx: HandlerContext) => void;

export interface HandlerContext {
  registry: HostileRegistry;
  /** The path and query of the request. */
  path: string;
  /** The request's body (PUT/POST/PATCH), read before the handler runs. */
  body: Buffer;
}

export interface Rule {
  method?: string;
  /** Matched against the path and query. */
  path: RegExp;
  /** Applies this many times, then stops matching (default: always). */
  times?: number;
  handle: Handler;
}

export interface StoredManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

export const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class HostileRegistry {
  readonly server: http.Server;
  readonly requests: LoggedRequest[] = [];
  readonly blobs = new Map<string, Buffer>();
  /** repository → tag or digest → manifest. */
  readonly manifests = new Map<string, Map<string, StoredManifest>>();
  /** Answer the referrers API (OCI 1.1) from the manifests' subjects; false: 404 (tag fallback). */
  referrersApi = true;
  /** Basic credentials the registry demands on every /v2/ request, when set. */
  basicAuth: { username: string; password: string } | undefined;
  #rules: Rule[] = [];
  #waiters: { method?: string; path?: RegExp; resolve: (r: LoggedRequest) => void }[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  host = '';
  url = '';

  constructor() {
    this.server = http.createServer((req, res) => this.#serve(req, res));
    this.server.on('connection', (s: Socket) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    return this;
  }

  /** Ends every exchange (stalled ones too) and closes the server. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Rules are tried in the order added, before the registry's own answers. */
  rule(r: Rule): this {
    this.#rules.push({ ...r });
    return this;
  }

  reset(): void {
    this.#rules = [];
    this.requests.length = 0;
  }

  count(filter?: { method?: string; path?: RegExp }): number {
    return this.requests.filter((r) => (!filter?.method || r.method === filter.method) && (!filter?.path || filter.path.test(r.path))).length;
  }

  /** A timer the registry owns (cleared by stop()), for slow answers. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  // ---- content -------------------------------------------------------------------------------

  putBlob(bytes: Buffer | string): { digest: string; size: number } {
    const b = Buffer.from(bytes);
    const digest = sha256(b);
    this.blobs.set(digest, b);
    return { digest, size: b.length };
  }

  putManifest(repo: string, doc: object | Buffer, opts: { tag?: string; mediaType?: string } = {}): StoredManifest {
    const bytes = Buffer.isBuffer(doc) ? doc : Buffer.from(JSON.stringify(doc));
    const mediaType = opts.mediaType ?? ((doc as { mediaType?: string }).mediaType || OCI_MANIFEST);
    const m: StoredManifest = { bytes, mediaType, digest: sha256(bytes) };
    let repoMap = this.manifests.get(repo);
    if (!repoMap) this.manifests.set(repo, (repoMap = new Map()));
    repoMap.set(m.digest, m);
    if (opts.tag) repoMap.set(opts.tag, m);
    return m;
  }

  /** A small image (an OCI config and one random layer) tagged `tag`. */
  addImage(repo: string, tag = 'latest'): StoredManifest {
    const config = this.putBlob(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = this.putBlob(randomBytes(256));
    return this.putManifest(
      repo,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      },
      { tag },
    );
  }

  // ---- serving -------------------------------------------------------------------------------

  #serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = req.url ?? '/';
    const logged: LoggedRequest = { method: req.method ?? 'GET', path, headers: req.headers, at: performance.now() };
    this.requests.push(logged);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ctx: HandlerContext = { registry: this, path, body: Buffer.concat(chunks) };
      for (const rule of this.#rules) {
        if (rule.method && rule.method !== req.method) continue;
        if (!rule.path.test(path)) continue;
        if (rule.times !== undefined) {
          if (rule.times <= 0) continue;
          rule.times--;
        }
        rule.handle(req, res, ctx);
        this.#notify(logged);
        return;
      }
      this.#distribution(req, res, ctx);
      this.#notify(logged);
    });
  }

  /** Resolves when a request matching the filter has arrived and been answered (or stalled). */
  waitFor(filter: { method?: string; path?: RegExp }): Promise<LoggedRequest> {
    return new Promise((resolve) => this.#waiters.push({ ...filter, resolve }));
  }

  #notify(r: LoggedRequest): void {
    this.#waiters = this.#waiters.filter((w) => {
      if ((w.method && w.method !== r.method) || (w.path && !w.path.test(r.path))) return true;
      w.resolve(r);
      return false;
    });
  }

  /** The registry's own answer, for rules that only watch or delay. */
  pass(req: http.IncomingMessage, res: http.ServerResponse, ctx: HandlerContext): void {
    this.#distribution(req, res, ctx);
  }

  #distribution(req: http.IncomingMessage, res: http.ServerResponse, ctx: HandlerContext): void {
    const url = new URL(ctx.path, 'http://x');
    const p = url.pathname;
    if (this.basicAuth) {
      const want = `Basic ${Buffer.from(`${this.basicAuth.username}:${this.basicAuth.password}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="hostile"', 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    }
    if (p === '/v2/' || p === '/v2') return json(res, 200, {});
    let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(p);
    if (m) {
      const [, repo, ref] = m as unknown as [string, string, string];
      const repoMap = this.manifests.get(repo) ?? new Map<string, StoredManifest>();
      if (req.method === 'PUT') {
        const mediaType = (req.headers['content-type'] ?? OCI_MANIFEST).split(';')[0]!;
        const stored = this.putManifest(repo, ctx.body, { mediaType, tag: ref.startsWith('sha256:') ? undefined : ref });
        res.writeHead(201, { 'docker-content-digest': stored.digest, location: `/v2/${repo}/manifests/${stored.digest}` });
        return void res.end();
      }
      if (req.method === 'DELETE') {
        const stored = repoMap.get(ref);
        if (!stored) return json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
        for (const [k, v] of [...repoMap]) if (v.digest === stored.digest) repoMap.delete(k);
        res.writeHead(202);
        return void res.end();
      }
      const stored = repoMap.get(ref);
      if (!stored) return json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
      res.writeHead(200, { 'content-type': stored.mediaType, 'docker-content-digest': stored.digest, 'content-length': stored.bytes.length });
      return void res.end(req.method === 'HEAD' ? undefined : stored.bytes);
    }
    m = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]{64})$/.exec(p);
    if (m) {
      const blob = this.blobs.get(m[2]!);
      if (!blob) return json(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': m[2]!, 'content-length': blob.length });
      return void res.end(req.method === 'HEAD' ? undefined : blob);
    }
    m = /^\/v2\/(.+)\/blobs\/uploads\/?([^/]*)$/.exec(p);
    if (m) {
      // Monolithic uploads only: POST opens a session, PUT ?digest= stores the bytes.
      const repo = m[1]!;
      if (req.method === 'POST') {
        res.writeHead(202, { location: `/v2/${repo}/blobs/uploads/${randomBytes(8).toString('hex')}`, 'content-length': 0 });
        return void res.end();
      }
      if (req.method === 'PUT') {
        const digest = url.searchParams.get('digest') ?? '';
        if (sha256(ctx.body) !== digest) return json(res, 400, { errors: [{ code: 'DIGEST_INVALID', message: 'digest mismatch' }] });
        this.blobs.set(digest, ctx.body);
        res.writeHead(201, { 'docker-content-digest': digest, location: `/v2/${repo}/blobs/${digest}`, 'content-length': 0 });
        return void res.end();
      }
    }
    m = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})$/.exec(p);
    if (m && this.referrersApi) {
      const [, repo, subject] = m as unknown as [string, string, string];
      const manifests: object[] = [];
      const seen = new Set<string>();
      for (const stored of this.manifests.get(repo)?.values() ?? []) {
        if (seen.has(stored.digest)) continue;
        seen.add(stored.digest);
        const doc = JSON.parse(stored.bytes.toString('utf8')) as { subject?: { digest?: string }; artifactType?: string; annotations?: object };
        if (doc.subject?.digest !== subject) continue;
        manifests.push({
          mediaType: stored.mediaType,
          digest: stored.digest,
          size: stored.bytes.length,
          artifactType: doc.artifactType,
          annotations: doc.annotations,
        });
      }
      res.writeHead(200, { 'content-type': OCI_INDEX });
      return void res.end(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
    }
    m = /^\/v2\/(.+)\/tags\/list$/.exec(p);
    if (m) {
      const tags = [...(this.manifests.get(m[1]!)?.keys() ?? [])].filter((t) => !t.startsWith('sha256:'));
      return json(res, 200, { name: m[1], tags });
    }
    json(res, 404, { errors: [{ code: 'NAME_UNKNOWN', message: 'not found' }] });
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length });
  res.end(b);
}

export async function startHostileRegistry(): Promise<HostileRegistry> {
  return new HostileRegistry().listen();
}

// ---- misbehaviours, as rule handlers ----------------------------------------------------------

/** Empty pages, each linking to a page never seen before (`?page=N+1`), forever. */
export function endlessPages(kind: 'referrers' | 'tags'): Handler {
  return (_req, res, ctx) => {
    const url = new URL(ctx.path, 'http://x');
    const n = Number(url.searchParams.get('page') ?? '0') + 1;
    url.searchParams.set('page', String(n));
    const body = kind === 'referrers' ? { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] } : { name: 'x', tags: [] };
    res.writeHead(200, {
      'content-type': kind === 'referrers' ? OCI_INDEX : 'application/json',
      link: `<${url.pathname}${url.search}>; rel="next"`,
    });
    res.end(JSON.stringify(body));
  };
}

/**
 * Headers at once, then `bytes` of the body one byte every `everyMs`, forever when `bytes` is
 * Infinity. The declared length is `length` (none when undefined: chunked).
 */
export function trickle(opts: { everyMs: number; bytes?: number; length?: number; contentType?: string; headers?: http.OutgoingHttpHeaders }): Handler {
  return (_req, res, ctx) => {
    res.writeHead(200, {
      'content-type': opts.contentType ?? 'application/json',
      ...(opts.length !== undefined ? { 'content-length': opts.length } : {}),
      ...opts.headers,
    });
    let sent = 0;
    const total = opts.bytes ?? Infinity;
    const tick = () => {
      if (res.destroyed || sent >= total) return void res.end();
      res.write(' ');
      sent++;
      ctx.registry.later(opts.everyMs, tick);
    };
    tick();
  };
}

/** Headers at once, then `size` bytes of zeros as fast as the client reads (chunked unless declared). */
export function hugeBody(size: number, opts: { declare?: boolean; contentType?: string } = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': opts.contentType ?? 'application/json', ...(opts.declare ? { 'content-length': size } : {}) });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let left = size;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('error', () => {});
    pump();
  };
}

/** Never answers (the request is read, the socket stays open until the client gives up or stop()). */
export const stall: Handler = () => {};

/** Redirects (302) to `target` + the request's path. */
export function redirectTo(target: string): Handler {
  return (_req, res, ctx) => {
    res.writeHead(302, { location: new URL(ctx.path, target).href, 'content-length': 0 });
    res.end();
  };
}

/** Answers with these bytes under this digest header, whatever was asked (a registry lying about content). */
export function wrongContent(bytes: Buffer, headers: http.OutgoingHttpHeaders = {}): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-length': bytes.length, 'content-type': OCI_MANIFEST, ...headers });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
}
