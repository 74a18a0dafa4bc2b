// OpenID Connect discovery (OpenID Connect Discovery 1.0 §4) and the checks a client makes on an
// ID token it received from the token endpoint (OpenID Connect Core §3.1.3.7): signature by a key
// of the issuer's JWKS, issuer, audience, expiry and nonce.
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from 'node:crypto';

import { SealError } from '../errors.ts';
import { describeAnswer, requestJson, type Fetch } from './http.ts';
import { decodeJwt } from './jwt.ts';

export interface IssuerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  device_authorization_endpoint?: string;
  jwks_uri?: string;
}

export async function discover(fetch: Fetch, issuer: string, signal?: AbortSignal): Promise<IssuerMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const a = await requestJson(fetch, url, 'the OIDC issuer', { timeoutMs: 15_000, signal });
  const meta = a.body as Partial<IssuerMetadata> | undefined;
  if (a.status !== 200 || typeof meta?.issuer !== 'string') {
    throw new SealError('input', `the OIDC issuer ${issuer} has no usable discovery document: ${describeAnswer(a)}`, {
      hint: "check --oidc-issuer (or the signing config's oidcUrls)",
      code: 'OIDC_DISCOVERY',
    });
  }
  // §4.3: the issuer in the document must be the one asked for.
  if (meta.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
    throw new SealError('input', `the OIDC issuer ${issuer} says it is ${meta.issuer}`, { code: 'OIDC_DISCOVERY' });
  }
  return meta as IssuerMetadata;
}

/** Whether `url` may be used for an endpoint: https, or http on a loopback host (local issuers, tests). */
export function endpoint(meta: IssuerMetadata, name: keyof IssuerMetadata): string {
  const value = meta[name];
  if (typeof value !== 'string') {
    throw new SealError('input', `the OIDC issuer ${meta.issuer} has no ${name}`, { code: 'OIDC_DISCOVERY' });
  }
  return value;
}

const ALGORITHMS: Record<string, { hash: string; ec?: boolean; pss?: boolean }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
};

/** Throws unless `token` is an ID token of `meta.issuer` for `clientId` with `nonce`, signed by its JWKS. */
export async function checkIdToken(
  fetch: Fetch,
  meta: IssuerMetadata,
  token: string,
  expect: { clientId: string; nonce?: string; now?: Date; signal?: AbortSignal },
): Promise<void> {
  const bad = (why: string) => new SealError('input', `the ID token from ${meta.issuer} is not valid: ${why}`, { code: 'OIDC_BAD_ID_TOKEN' });
  const jwt = decodeJwt(token);
  if (!jwt) throw bad('not a JWT');
  const alg = typeof jwt.header.alg === 'string' ? jwt.header.alg : '';
  const spec = ALGORITHMS[alg];
  if (!spec) throw bad(`unsupported algorithm ${JSON.stringify(alg)}`);
  const jwksAnswer = await requestJson(fetch, endpoint(meta, 'jwks_uri'), "the OIDC issuer's JWKS", { timeoutMs: 15_000, signal: expect.signal });
  const keys = ((jwksAnswer.body as { keys?: unknown } | undefined)?.keys ?? []) as (JsonWebKey & { kid?: string; use?: string })[];
  const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;
  const candidates = keys.filter((k) => (kid === undefined || k.kid === kid) && k.use !== 'enc');
  const verified = candidates.some((jwk) => {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      return cryptoVerify(
        spec.hash,
        Buffer.from(jwt.signingInput),
        spec.ec ? { key, dsaEncoding: 'ieee-p1363' } : spec.pss ? { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 } : key,
        jwt.signature,
      );
    } catch {
      return false;
    }
  });
  if (!verified) throw bad("its signature does not verify with the issuer's keys");
  const c = jwt.claims;
  if (c.iss !== meta.issuer) throw bad(`issued by ${String(c.iss)}`);
  const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
  if (!aud.includes(expect.clientId)) throw bad(`not for client ${expect.clientId}`);
  const now = (expect.now ?? new Date()).getTime() / 1000;
  if (typeof c.exp !== 'number' || c.exp < now - 60) throw bad('expired');
  if (expect.nonce !== undefined && c.nonce !== expect.nonce) throw bad('the nonce does not match this login');
}
