// Package URLs (https://github.com/package-url/purl-spec): just enough parsing to compare a VEX
// product or subcomponent with a scanner's package and an image digest.
export interface Purl {
  type: string;
  namespace: string;
  name: string;
  version: string;
  qualifiers: Record<string, string>;
}

const decode = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** `pkg:type/ns/name@version?k=v#subpath` → parts, percent-decoded; undefined when not a purl. */
export function parsePurl(text: string): Purl | undefined {
  if (typeof text !== 'string' || !/^pkg:/i.test(text)) return undefined;
  let rest = text.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version = '';
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = decode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.replace(/\/+$/, '').split('/');
  if (parts.length < 2) return undefined;
  const type = parts[0].toLowerCase();
  const name = decode(parts[parts.length - 1]);
  const namespace = parts.slice(1, -1).map(decode).join('/');
  if (!type || !name) return undefined;
  return { type, namespace, name, version, qualifiers };
}

/**
 * go-vex's PurlMatches: `general` (from the VEX document) matches the more specific `specific`
 * (the scanner's package) when type, namespace and name are equal, its version (if any) is
 * equal, and each of its qualifiers is present with the same value. PyPI names compare
 * case-insensitively (the purl spec lower-cases them).
 */
export function purlMatches(general: Purl, specific: Purl): boolean {
  if (general.type !== specific.type) return false;
  const fold = general.type === 'pypi' || general.type === 'npm' ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (fold(general.namespace) !== fold(specific.namespace)) return false;
  const norm = general.type === 'pypi' ? (s: string) => s.toLowerCase().replace(/[-_.]+/g, '-') : fold;
  if (norm(general.name) !== norm(specific.name)) return false;
  if (general.version !== '' && general.version !== specific.version) return false;
  for (const [k, v] of Object.entries(general.qualifiers)) if (specific.qualifiers[k] !== v) return false;
  return true;
}
