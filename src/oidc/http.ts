// The HTTP calls the OIDC code makes, over an injected fetch: bounded in time and bytes, and never
// following a redirect (credentials must not travel to another host; an identity endpoint that
// redirects is refused instead).
import { SealError, flattenControls } from '../errors.ts';

export type Fetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

const MAX_BYTES = 1 << 20;

export interface JsonRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A form (application/x-www-form-urlencoded) or a JSON body. */
  form?: Record<string, string>;
  json?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface JsonAnswer {
  status: number;
  body: unknown;
  text: string;
}

/** One request; the answer's JSON body (undefined when not JSON). Network failures throw `what`: reason. */
export async function requestJson(fetch: Fetch, url: string, what: string, req: JsonRequest = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(req.form).toString();
  } else if (req.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.json);
  }
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 30_000);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { method: req.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, redirect: 'manual', signal });
  } catch (err) {
    const reason = timeout.aborted ? 'timed out' : causeOf(err);
    throw new SealError('network', `could not reach ${what} at ${origin(url)}: ${reason}`, { code: 'OIDC_UNREACHABLE', cause: err });
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new SealError('input', `${what} at ${origin(url)} answered with a redirect (${res.status}); seal does not follow it with credentials`, {
      code: 'OIDC_REDIRECT',
    });
  }
  const text = await readBounded(res, what, url);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

/** A short one-line description of a non-2xx answer: the OAuth error fields, else the text. */
export function describeAnswer(a: JsonAnswer): string {
  const b = a.body as { error?: unknown; error_description?: unknown; message?: unknown } | undefined;
  const parts = [b?.error, b?.error_description, b?.message].filter((v): v is string => typeof v === 'string');
  const detail = parts.length > 0 ? parts.join(': ') : a.text;
  return flattenControls(`(${a.status}) ${detail}`).slice(0, 200);
}

const origin = (url: string): string => {
  try {
    const u = new URL(url);
    return u.origin + u.pathname;
  } catch {
    return url;
  }
};

function causeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; message?: string };
  return flattenControls(e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err));
}

async function readBounded(res: Response, what: string, url: string): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BYTES) {
      await reader.cancel();
      throw new SealError('input', `${what} at ${origin(url)} answered with more than ${MAX_BYTES} bytes`, { code: 'OIDC_TOO_LARGE' });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
