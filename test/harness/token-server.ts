// A Docker-registry token server (the Bearer flow Docker Hub and GHCR use), in-process on
// node:http. The registry answers 401 with `WWW-Authenticate: Bearer realm=<url>,service=..,scope=..`;
// the client fetches a token here and retries. Tokens are ES256 JWTs whose header carries the
// signing certificate in x5c; the registry trusts that certificate through
// `auth.token.rootcertbundle`. https://distribution.github.io/distribution/spec/auth/token/
//   GET /token?service=S&scope=repository:NAME:pull,push[&scope=...]
//     valid Basic credentials -> every requested action granted
//     no Authorization        -> a token granting nothing (the registry then answers 401)
//     wrong credentials       -> 401
//   POST /token (OAuth2 form: grant_type=password&username&password&service&scope) -> same rules.
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeSelfSignedCert } from './certs.ts';

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenRequestRecord {
  method: string;
  status: number;
  /** Who asked: the username, '' for anonymous. */
  subject: string;
  scopes: string[];
}

export interface TokenServer {
  /** The realm URL, `http://127.0.0.1:PORT/token`. */
  url: string;
  issuer: string;
  service: string;
  /** PEM of the signing certificate (the registry's rootcertbundle). */
  certFile: string;
  /** Every token request, in order. */
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

export interface TokenServerOptions {
  /** Where the signing key and certificate are written. */
  dir: string;
  username: string;
  password: string;
  issuer?: string;
  service?: string;
  /** Token lifetime (default 300 s). */
  expiresIn?: number;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** A compact ES256 JWS (r||s signature, as JOSE requires) with the certificate in x5c. */
export function signJwt(claims: object, key: KeyObject, certDer: Buffer): string {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [certDer.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

/** `repository:team/app:pull,push` -> access entry; names may contain ':' (registry:catalog:*). */
export function parseScope(scope: string): TokenAccess | null {
  const parts = scope.split(':');
  if (parts.length < 3) return null;
  return { type: parts[0]!, name: parts.slice(1, -1).join(':'), actions: parts.at(-1)!.split(',').filter(Boolean) };
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const issuer = opts.issuer ?? 'seal-test-issuer';
  const service = opts.service ?? 'seal-test-registry';
  const expiresIn = opts.expiresIn ?? 300;
  const cert = await makeSelfSignedCert(opts.dir, { name: 'token', commonName: 'seal-test-token-signer' });
  const key = createPrivateKey(cert.keyPem);
  const certDer = new X509Certificate(cert.certPem).raw;
  const requests: TokenRequestRecord[] = [];

  const issue = (subject: string, aud: string, scopes: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const access = subject ? scopes.map(parseScope).filter((a): a is TokenAccess => a !== null) : [];
    const claims = {
      iss: issuer,
      sub: subject,
      aud,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomBytes(8).toString('hex'),
      access,
    };
    return signJwt(claims, key, certDer);
  };

  const server = http.createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://token');
      const record: TokenRequestRecord = { method: req.method ?? '', status: 0, subject: '', scopes: [] };
      requests.push(record);
      const reply = (status: number, payload: object, headers: Record<string, string> = {}): void => {
        record.status = status;
        const text = JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
        res.end(text);
      };
      if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) {
        reply(404, { error: 'not found' });
        return;
      }
      const params = req.method === 'POST' ? new URLSearchParams(Buffer.concat(body).toString()) : url.searchParams;
      record.scopes = params
        .getAll('scope')
        .flatMap((s) => s.split(' '))
        .filter(Boolean);
      let user: string | undefined;
      let pass: string | undefined;
      const authz = req.headers.authorization ?? '';
      if (authz.startsWith('Basic ')) {
        const decoded = Buffer.from(authz.slice(6), 'base64').toString();
        const colon = decoded.indexOf(':');
        user = colon >= 0 ? decoded.slice(0, colon) : decoded;
        pass = colon >= 0 ? decoded.slice(colon + 1) : '';
      } else if (req.method === 'POST') {
        if (params.get('grant_type') !== 'password') {
          reply(400, { error: 'unsupported_grant_type' });
          return;
        }
        user = params.get('username') ?? '';
        pass = params.get('password') ?? '';
      }
      if (user !== undefined && (user !== opts.username || pass !== opts.password)) {
        reply(
          401,
          { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] },
          {
            'www-authenticate': 'Basic realm="seal-test-token"',
          },
        );
        return;
      }
      record.subject = user ?? '';
      const token = issue(record.subject, params.get('service') ?? service, record.scopes);
      reply(200, { token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/token`,
    issuer,
    service,
    certFile: cert.certFile,
    requests,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
