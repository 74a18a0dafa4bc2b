// A real OpenID Provider for keyless login tests: npm `oidc-provider` (a certified OpenID Connect
// implementation) on a free 127.0.0.1 port, with the public native client `sigstore` (PKCE,
// loopback redirects on any port, the device flow), its development login and consent pages, and
// ID tokens that carry `email` and `email_verified`, as Fulcio wants. `browse` is the user's side:
// a scripted HTTP client with a cookie jar that follows the provider's redirects and fills in its
// login, consent and device-code forms, as a person would in a browser.
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import Provider from 'oidc-provider';

export const CONFIDENTIAL_CLIENT_SECRET = 'seal-test-client-secret';

export interface OidcProvider {
  issuer: string;
  /** The public JWKS, for the local stack's Fulcio (trustIssuer). */
  publicKeys: JsonWebKey[];
  /**
   * Acts as the user in a browser: opens `url`, logs in as `login` (the account's email),
   * consents, and follows redirects until they leave the provider (the loopback redirect is
   * then requested too) or a page has no form left. Returns the last URL reached.
   */
  browse(url: string, login: string, opts?: { deny?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

export async function startOidcProvider(): Promise<OidcProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'seal-test', use: 'sig', alg: 'RS256' };
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: 'seal-test', use: 'sig', alg: 'RS256' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'sigstore',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/auth/callback', 'http://localhost/auth/callback'],
        grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
      {
        // A confidential client, for --oidc-client-secret-file (HTTP Basic at the token endpoint).
        client_id: 'sigstore-confidential',
        client_secret: CONFIDENTIAL_CLIENT_SECRET,
        application_type: 'native',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ['http://127.0.0.1/auth/callback'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [privateJwk as never] },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    // The scope's claims go into the ID token itself (Fulcio reads only the token).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: ['seal-test-cookie-key'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, DeviceCode: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: id, email_verified: true }),
    }),
  } as never);
  // RFC 8628 lets the server set the polling interval; 1 s keeps the device tests short.
  provider.use(async (ctx: { path: string; body: unknown }, next: () => Promise<void>) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.body && typeof ctx.body === 'object') (ctx.body as { interval?: number }).interval = 1;
  });
  server.on('request', provider.callback());

  return {
    issuer,
    publicKeys: [publicJwk],
    browse: (url, login, opts) => browse(issuer, url, login, opts?.deny ?? false),
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
  buttons: string[];
}

/** The first form of an HTML page: action, method, and its named inputs with their values. */
function firstForm(html: string, base: string): Form | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag)?.[1];
  const fields: Record<string, string> = {};
  for (const input of m[2]!.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(input, 'name');
    if (name) fields[name] = decodeEntities(attr(input, 'value') ?? '');
  }
  const buttons = (m[2]!.match(/<button\b[^>]*>/gi) ?? []).map((b) => attr(b, 'name') ?? '');
  return {
    action: new URL(decodeEntities(attr(m[1]!, 'action') ?? ''), base).toString(),
    method: (attr(m[1]!, 'method') ?? 'get').toLowerCase(),
    fields,
    buttons,
  };
}

const decodeEntities = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&#x2F;/gi, '/')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

async function browse(issuer: string, start: string, login: string, deny: boolean): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let url = start;
  let method = 'GET';
  let body: string | undefined;
  let aborted = false;
  for (let step = 0; step < 30; step++) {
    const onProvider = url.startsWith(issuer);
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        ...(onProvider && jar.size ? { cookie: cookieHeader() } : {}),
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    const text = await res.text();
    method = 'GET';
    body = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    if (!onProvider) return url; // the loopback redirect was delivered
    if (aborted) return url; // the page after a denial
    // Denying: the development pages offer a "Cancel" link to /interaction/UID/abort.
    const abort = deny ? /href="([^"]*\/abort)"/.exec(text)?.[1] : undefined;
    if (abort) {
      aborted = true;
      url = new URL(decodeEntities(abort), url).toString();
      continue;
    }
    const form = firstForm(text, url);
    if (!form) return url;
    const fields = { ...form.fields };
    if ('login' in fields) {
      fields.login = login;
      fields.password = 'any';
    }
    if ('confirm' in fields || form.buttons.includes('confirm')) fields.confirm = 'yes';
    if (deny && form.action.includes('/device')) {
      delete fields.confirm;
      fields.abort = 'yes';
      aborted = true;
    }
    url = form.action;
    if (form.method === 'post') {
      method = 'POST';
      body = new URLSearchParams(fields).toString();
    } else {
      const u = new URL(url);
      for (const [k, v] of Object.entries(fields)) u.searchParams.set(k, v);
      url = u.toString();
    }
  }
  throw new Error(`the login at ${issuer} did not finish in 30 steps (last ${url})`);
}
