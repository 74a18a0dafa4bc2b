// Identity tokens are JWTs (RFC 7519). seal reads their claims only to say whose identity a
// signature will carry and to check what an interactive flow returned; Fulcio verifies the token.
export const looksLikeJwt = (s: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(s.trim());

export interface JwtParts {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** The header and claims of a compact JWT, undefined when it is not one. Nothing is verified. */
export function decodeJwt(token: string): JwtParts | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = (s: string) => JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    const header = json(parts[0]!);
    const claims = json(parts[1]!);
    if (!isObject(header) || !isObject(claims)) return undefined;
    return { header, claims, signingInput: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2]!, 'base64url') };
  } catch {
    return undefined;
  }
}

/** What Fulcio will put in the certificate: the verified email, else the subject. */
export function tokenIdentity(token: string): { identity?: string; issuer?: string } {
  const claims = decodeJwt(token)?.claims ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const email = claims.email_verified === true ? str(claims.email) : undefined;
  const identity = email ?? str(claims.sub);
  const issuer = str(claims.iss);
  return { ...(identity ? { identity } : {}), ...(issuer ? { issuer } : {}) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
