// The request/response shape every layer of the registry client speaks:
//   transport (user agent, TLS, timeouts) → retry → auth → redirects → registry API.
// Each layer is a `Transport` wrapping the one below it, so each can be tested alone with a fake.
// Bodies are replayable (bytes, or a factory that opens a fresh stream), which is what lets the
// retry and auth layers resend a request without buffering uploads in memory.
import type { Log } from '../../log.ts';

/** A request body that can be produced again for a retry. */
export type RequestBody = Uint8Array | { length: number; open: () => AsyncIterable<Uint8Array> };

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  url: URL;
  /** Lower-case names. Callers never set `authorization`: only the auth layer does, per origin. */
  headers: Record<string, string>;
  body?: RequestBody;
  /**
   * Safe to send again after a failure. GET, HEAD, PUT and DELETE are; a POST or PATCH only
   * when the caller says so (starting an upload session twice is harmless, appending twice is not).
   */
  idempotent?: boolean;
  /** Token scopes for the auth layer, e.g. `repository:team/app:pull`. */
  scopes?: string[];
  signal?: AbortSignal;
}

/** The response headers seal reads (a WHATWG Headers is one; the transport's own is lighter). */
export interface ResponseHeaders {
  get(name: string): string | null;
  has(name: string): boolean;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: ResponseHeaders;
  /** The URL that answered (after redirects). */
  url: URL;
  /** The body as it arrives; consume it or call `discard()`, or the connection is not reused. */
  body: AsyncIterable<Uint8Array>;
  /** Reads the body, refusing more than `maxBytes` (the error comes from `tooLarge`). */
  bytes(maxBytes: number, tooLarge?: () => Error): Promise<Uint8Array>;
  /** Up to `maxBytes` of the body as text; the rest is dropped. Never throws for size. */
  textPrefix(maxBytes: number): Promise<string>;
  /** Drops the body and frees the connection. */
  discard(): void;
}

export type Transport = (req: HttpRequest) => Promise<HttpResponse>;

export interface TransportLogging {
  log: Log;
}

export const isReplayable = (req: HttpRequest): boolean =>
  req.idempotent ?? (req.method === 'GET' || req.method === 'HEAD' || req.method === 'PUT' || req.method === 'DELETE');

/** How much of an error body seal reads: enough for a distribution error, never a whole blob. */
export const ERROR_BODY_LIMIT = 64 * 1024;
/** Manifests and indexes larger than this are refused (distribution's own limit is 4 MiB). */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;
/** Default cap for getBlob; openBlob streams without one. */
export const BLOB_LIMIT = 128 * 1024 * 1024;

/** scheme://host:port, for deciding whether credentials may go to a URL. */
export const originOf = (url: URL): string => `${url.protocol}//${url.host}`;

/** The URL for logs and errors: query values that may be secrets (pre-signed storage URLs) are hidden. */
export function redactUrl(url: URL): string {
  if (!url.search) return url.href;
  const safe = new Set(['digest', 'mount', 'from', 'n', 'last', 'artifactType', 'service', 'scope', '_state']);
  const u = new URL(url.href);
  for (const key of [...u.searchParams.keys()]) {
    if (!safe.has(key)) u.searchParams.set(key, 'REDACTED');
    else if (key === '_state') u.searchParams.set(key, '…');
  }
  return u.href;
}
