// Redirects are followed here, by hand, never by the transport: registries send blob downloads
// to storage services (S3, GCS, a CDN) on other hosts, and those must not see the registry's
// Authorization. The auth layer below only authenticates the registry's own origin, so a hop to
// another origin goes out bare; this layer adds the hop limit, refuses https → http downgrades
// (unless plain http was allowed) and logs where it went.
import { SealError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { originOf, redactUrl, type HttpRequest, type HttpResponse, type Transport } from './http.ts';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;

export interface RedirectOptions {
  log: Log;
  allowHttp?: boolean;
}

export function withRedirects(inner: Transport, opts: RedirectOptions): Transport {
  return async (req: HttpRequest): Promise<HttpResponse> => {
    let current = req;
    let res = await inner(current);
    for (let hop = 1; REDIRECTS.has(res.status); hop++) {
      // Only reads follow redirects; a redirected write is the registry's error to report.
      if (current.method !== 'GET' && current.method !== 'HEAD') return res;
      const location = res.headers.get('location');
      if (!location) return res;
      res.discard();
      if (hop > MAX_REDIRECTS) {
        throw new SealError('registry', `${req.url.host} redirected ${req.method} ${redactUrl(req.url)} more than ${MAX_REDIRECTS} times`, {
          code: 'TOO_MANY_REDIRECTS',
        });
      }
      let next: URL;
      try {
        next = new URL(location, current.url);
      } catch {
        throw new SealError('registry', `${current.url.host} redirected to an invalid URL`, { code: 'BAD_REDIRECT' });
      }
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        throw new SealError('registry', `${current.url.host} redirected to a ${next.protocol} URL; refused`, { code: 'BAD_REDIRECT' });
      }
      if (current.url.protocol === 'https:' && next.protocol === 'http:' && !opts.allowHttp) {
        throw new SealError('registry', `${current.url.host} redirected to plain http (${next.host}); refused`, {
          code: 'BAD_REDIRECT',
          hint: 'pass --allow-http-registry to allow it',
        });
      }
      const crossOrigin = originOf(next) !== originOf(req.url);
      opts.log.debug(`redirected to ${redactUrl(next)}${crossOrigin ? ' (another origin: no credentials sent)' : ''}`);
      const { authorization: _drop, ...headers } = current.headers;
      current = { ...current, url: next, headers };
      res = await inner(current);
    }
    return res;
  };
}
