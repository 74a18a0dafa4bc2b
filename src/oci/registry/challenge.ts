// WWW-Authenticate parsing, RFC 7235 §4.1 and §2.1:
//   WWW-Authenticate = 1#challenge
//   challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
//   auth-param       = token BWS "=" BWS ( token / quoted-string )
// A header may carry several challenges separated by commas, and the commas between a
// challenge's params look the same; a `token` not followed by `=` starts the next challenge.
// https://www.rfc-editor.org/rfc/rfc7235#section-4.1 ; the registry side is
// https://distribution.github.io/distribution/spec/auth/token/ . Pure.

export interface Challenge {
  /** Lower-case: `bearer`, `basic`. */
  scheme: string;
  /** Param names lower-case, values unquoted. */
  params: Record<string, string>;
  token68?: string;
}

const TCHAR = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

export function parseChallenges(header: string): Challenge[] {
  const s = header;
  let i = 0;
  const out: Challenge[] = [];
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TCHAR.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readQuoted = (): string => {
    i++; // opening quote
    let v = '';
    while (i < s.length && s[i] !== '"') {
      if (s[i] === '\\' && i + 1 < s.length) i++;
      v += s[i];
      i++;
    }
    i++; // closing quote (or end of a malformed header)
    return v;
  };

  while (i < s.length) {
    while (i < s.length && (s[i] === ',' || s[i] === ' ' || s[i] === '\t')) i++;
    if (i >= s.length) break;
    const scheme = readToken();
    if (!scheme) {
      i++; // not a token: skip the character and resynchronise
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    skipWs();
    // token68 (e.g. `Negotiate abc==`): token68 chars, optional '=' padding, then ',' or end.
    const t68 = /^[A-Za-z0-9\-._~+/]+=*\s*(?:,|$)/.exec(s.slice(i));
    if (t68 && !/^[^=]+=\s*[^=,\s]/.test(s.slice(i))) {
      let end = i;
      while (end < s.length && (TOKEN68_CHAR.test(s[end]!) || s[end] === '=')) end++;
      challenge.token68 = s.slice(i, end);
      i = end;
      continue;
    }
    // auth-params until a token without '=' (the next challenge) or the end.
    while (i < s.length) {
      skipWs();
      if (s[i] === ',') {
        i++;
        continue;
      }
      const mark = i;
      const name = readToken();
      if (!name) {
        if (i < s.length) i++;
        continue;
      }
      skipWs();
      if (s[i] !== '=') {
        i = mark; // the next challenge's scheme
        break;
      }
      i++;
      skipWs();
      const value = s[i] === '"' ? readQuoted() : readToken();
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return out;
}

/** The first challenge of `scheme` (lower-case), if the header has one. */
export function findChallenge(header: string | null, scheme: string): Challenge | undefined {
  if (!header) return undefined;
  return parseChallenges(header).find((c) => c.scheme === scheme);
}
