// The interactive login of a developer at a terminal: OAuth 2.0 authorization code with PKCE
// (RFC 7636) for a native app (RFC 8252): a one-shot HTTP listener on the loopback interface
// receives the redirect, the code is exchanged at the token endpoint for an ID token. The URL is
// always printed, so a headless machine (ssh) can open it elsewhere; a browser is started only
// when `openBrowser` is given.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { SealError } from '../errors.ts';
import { checkIdToken, discover, endpoint } from './discovery.ts';
import { describeAnswer, requestJson, type Fetch } from './http.ts';

export interface ClientOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string;
}

export interface BrowserFlowOptions extends ClientOptions {
  /** Default http://127.0.0.1:0/auth/callback (port 0: any free port). Must be a loopback http URL. */
  redirectUrl?: string;
  /** How long to wait for the login (default 5 minutes). */
  timeoutMs?: number;
}

export interface FlowDeps {
  fetch: Fetch;
  /** A line for the user (stderr). */
  tell: (line: string) => void;
  openBrowser?: (url: string) => void;
  signal?: AbortSignal;
}

export const DEFAULT_REDIRECT_URL = 'http://127.0.0.1:0/auth/callback';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const random = () => randomBytes(32).toString('base64url');

/** An ID token for the user who logs in at the issuer in a browser. */
export async function browserFlow(opts: BrowserFlowOptions, deps: FlowDeps): Promise<string> {
  const meta = await discover(deps.fetch, opts.issuer, deps.signal);
  const authorize = endpoint(meta, 'authorization_endpoint');
  const tokenUrl = endpoint(meta, 'token_endpoint');

  const redirect = parseRedirect(opts.redirectUrl ?? DEFAULT_REDIRECT_URL);
  const verifier = random();
  const state = random();
  const nonce = random();
  const listener = await listen(redirect, state, deps.signal, opts.timeoutMs ?? 5 * 60_000);
  try {
    const redirectUri = listener.redirectUri;
    const url = new URL(authorize);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: opts.clientId,
      redirect_uri: redirectUri,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(k, v);
    }
    deps.tell(deps.openBrowser ? 'Your browser will now be opened to:' : 'Open this URL in a browser to log in:');
    deps.tell(url.toString());
    deps.tell(`seal waits for the login at ${redirectUri}${deps.openBrowser ? ' (if no browser opens, open the URL yourself)' : ''}`);
    deps.openBrowser?.(url.toString());
    const code = await listener.code;
    const form: Record<string, string> = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: opts.clientId,
    };
    const a = await requestJson(deps.fetch, tokenUrl, 'the OIDC token endpoint', {
      form,
      headers: clientAuth(opts),
      timeoutMs: 30_000,
      signal: deps.signal,
    });
    const idToken = (a.body as { id_token?: unknown } | undefined)?.id_token;
    if (a.status !== 200 || typeof idToken !== 'string') {
      throw new SealError('input', `the OIDC issuer ${opts.issuer} did not exchange the login for an ID token: ${describeAnswer(a)}`, { code: 'OIDC_TOKEN' });
    }
    await checkIdToken(deps.fetch, meta, idToken, { clientId: opts.clientId, nonce, signal: deps.signal });
    return idToken;
  } finally {
    listener.close();
  }
}

/** HTTP Basic client authentication (RFC 6749 §2.3.1) when there is a client secret. */
export function clientAuth(opts: ClientOptions): Record<string, string> {
  if (!opts.clientSecret) return {};
  const enc = (s: string) => encodeURIComponent(s);
  return { authorization: `Basic ${Buffer.from(`${enc(opts.clientId)}:${enc(opts.clientSecret)}`).toString('base64')}` };
}

function parseRedirect(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SealError('usage', `--oidc-redirect-url ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) {
    throw new SealError('usage', `--oidc-redirect-url must be an http URL on the loopback interface (127.0.0.1, localhost or [::1]), not ${value}`, {
      hint: 'seal receives the redirect itself; e.g. http://127.0.0.1:0/auth/callback (port 0: any free port)',
    });
  }
  return url;
}

interface Listener {
  redirectUri: string;
  code: Promise<string>;
  close(): void;
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

async function listen(redirect: URL, state: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<Listener> {
  let settle!: { resolve: (code: string) => void; reject: (err: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  code.catch(() => undefined);
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://loopback');
    if (u.pathname !== redirect.pathname) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const error = u.searchParams.get('error');
    if (u.searchParams.get('state') !== state) {
      // Not this login's answer (or forged): keep waiting for the real one.
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('seal: unexpected request', 'This does not answer the login seal started.'));
      return;
    }
    if (error) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE('seal: login failed', 'You can close this window.'));
      const description = u.searchParams.get('error_description');
      settle.reject(new SealError('input', `the OIDC login failed: ${error}${description ? `: ${description}` : ''}`.slice(0, 300), { code: 'OIDC_LOGIN' }));
      return;
    }
    const value = u.searchParams.get('code');
    if (!value) {
      res.writeHead(400, { 'content-type': 'text/html' }).end(PAGE('seal: no code', 'The login answer has no code.'));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE('seal: logged in', 'You can close this window and return to the terminal.'));
    settle.resolve(value);
  });
  const host = redirect.hostname === 'localhost' ? '127.0.0.1' : redirect.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new SealError('input', `cannot listen on ${redirect.host} for the login redirect: ${err.message}`, {
          hint: 'pick another port with --oidc-redirect-url',
          code: 'OIDC_LISTEN',
        }),
      ),
    );
    server.listen(Number(redirect.port || 0), host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const timer = setTimeout(
    () => settle.reject(new SealError('input', `no login within ${Math.round(timeoutMs / 1000)} s`, { code: 'OIDC_TIMEOUT' })),
    timeoutMs,
  );
  const onAbort = () => settle.reject(new SealError('interrupted', 'the login was interrupted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  const uri = new URL(redirect.toString());
  uri.port = String(port);
  return {
    redirectUri: uri.toString(),
    code,
    close: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      server.closeAllConnections();
      server.close();
    },
  };
}
