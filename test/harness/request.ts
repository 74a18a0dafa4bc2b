// A small HTTP(S) client for the harness and its tests. Unlike global fetch it accepts a CA
// (the registries' self-signed certificates) and returns the raw body bytes.
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** PEM of the certificate(s) to trust for https URLs. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM), for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip TLS verification (https only). */
  insecure?: boolean;
  /** Basic credentials. */
  auth?: { username: string; password: string };
  timeoutMs?: number;
}

export function httpRequest(url: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth) headers.authorization = basicAuth(opts.auth.username, opts.auth.password);
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const lib = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      target,
      {
        method: opts.method ?? 'GET',
        headers,
        agent: false,
        ...(target.protocol === 'https:' ? { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecure } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export const basicAuth = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
