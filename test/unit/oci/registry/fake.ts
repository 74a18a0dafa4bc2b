// A fake bottom transport for unit tests: answers from a handler function and records every
// request (headers included), so each layer can be tested without sockets.
import type { HttpRequest, HttpResponse, Transport } from '../../../../src/oci/registry/http.ts';
import { readAll } from '../../../../src/oci/digest.ts';
import { silentLog, type Log } from '../../../../src/log.ts';

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string | undefined>;
  body?: string | Uint8Array;
}

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array;
}

export type Handler = (req: HttpRequest, body: Uint8Array | undefined) => FakeAnswer | Error | Promise<FakeAnswer | Error>;

export function makeResponse(answer: FakeAnswer, url: URL): HttpResponse {
  const data = typeof answer.body === 'string' ? new TextEncoder().encode(answer.body) : (answer.body ?? new Uint8Array());
  const headers = new Headers();
  for (const [k, v] of Object.entries(answer.headers ?? {})) if (v !== undefined) headers.set(k, v);
  if (!headers.has('content-length')) headers.set('content-length', String(data.length));
  let consumed = false;
  async function* body(): AsyncGenerator<Uint8Array> {
    consumed = true;
    if (data.length) yield data;
  }
  return {
    status: answer.status,
    statusText: '',
    headers,
    url,
    body: { [Symbol.asyncIterator]: () => body() },
    bytes: (max, tooLarge) => readAll(body(), max, tooLarge ?? (() => new Error('too large'))),
    textPrefix: async (max) => Buffer.from(data).subarray(0, max).toString('utf8'),
    discard: () => {
      consumed = true;
    },
    get consumed() {
      return consumed;
    },
  } as HttpResponse;
}

export interface FakeTransport extends Transport {
  requests: Recorded[];
}

export function fakeTransport(handler: Handler): FakeTransport {
  const requests: Recorded[] = [];
  const t = async (req: HttpRequest): Promise<HttpResponse> => {
    let body: Uint8Array | undefined;
    if (req.body instanceof Uint8Array) body = req.body;
    else if (req.body) body = await readAll(req.body.open(), 1 << 30, () => new Error('too large'));
    requests.push({ method: req.method, url: req.url.href, headers: { ...req.headers }, body });
    const answer = await handler(req, body);
    if (answer instanceof Error) throw answer;
    return makeResponse(answer, req.url);
  };
  return Object.assign(t, { requests });
}

/** A log that keeps every line, to assert what --verbose would show. */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`info: ${m}`),
    warn: (m) => void lines.push(`warn: ${m}`),
    debug: (m) => void lines.push(`debug: ${m}`),
  };
}

export { silentLog };

export const noSleep = async (): Promise<void> => {};
