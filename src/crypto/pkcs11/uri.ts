// PKCS#11 URIs (RFC 7512) as cosign takes them for --key: `pkcs11:token=…;object=…?module-path=…`.
// Path attributes are separated by ';', query attributes by '&'; values are percent-decoded ('+'
// stays '+', as the RFC says). cosign's rules on top of the RFC are kept: one of token/slot-id and
// one of object/id must be given, and the module path comes from the URI or the environment.
// Nothing here touches a token; the PIN is never part of a message (see redactPkcs11Uri).
import { SealError } from '../../errors.ts';

export const PKCS11_SCHEME = 'pkcs11:';

export interface Pkcs11Uri {
  token?: string;
  /** CKA_LABEL of the key. */
  object?: string;
  /** CKA_ID of the key, as bytes. */
  id?: Uint8Array;
  slotId?: number;
  /** RFC 7512 `type` (private, public, cert, …); cosign ignores it, seal checks it names a key. */
  type?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  modulePath?: string;
  pinValue?: string;
  pinSource?: string;
}

const PATH_ATTRS = new Set([
  'token',
  'object',
  'id',
  'slot-id',
  'type',
  'manufacturer',
  'serial',
  'model',
  'library-manufacturer',
  'library-description',
  'library-version',
  'slot-description',
  'slot-manufacturer',
]);
const QUERY_ATTRS = new Set(['module-path', 'module-name', 'pin-value', 'pin-source']);

const bad = (message: string, hint?: string) =>
  new SealError('input', `invalid PKCS#11 URI: ${message}`, { code: 'BAD_PKCS11_URI', ...(hint ? { hint } : {}) });

export const isPkcs11Uri = (ref: string): boolean => ref.toLowerCase().startsWith(PKCS11_SCHEME);

/** Percent-decodes one attribute value to bytes; a stray '%' is an error, not a literal. */
function decodeBytes(raw: string, name: string): Uint8Array {
  const out: number[] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < raw.length;) {
    const c = raw[i]!;
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad(`bad percent-encoding in ${name}`);
      out.push(parseInt(hex, 16));
      i += 3;
    } else {
      const cp = raw.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out.push(...utf8.encode(ch));
      i += ch.length;
    }
  }
  return new Uint8Array(out);
}

function decodeText(raw: string, name: string): string {
  const bytes = decodeBytes(raw, name);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw bad(`${name} is not UTF-8 after percent-decoding`);
  }
}

function splitAttrs(part: string, sep: string, known: Set<string>, where: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const item of part.split(sep)) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw bad(`"${safeName(item)}" in the ${where} is not name=value`);
    const name = item.slice(0, eq).toLowerCase();
    if (!known.has(name)) {
      // Vendor attributes (x-…) and ones seal has no use for are allowed and ignored, as RFC 7512 asks.
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw bad(`bad attribute name "${safeName(name)}"`);
      continue;
    }
    if (attrs.has(name)) throw bad(`${name} is given twice`);
    attrs.set(name, item.slice(eq + 1));
  }
  return attrs;
}

/** An attribute name fit for a message: never anything that might be the PIN's value. */
const safeName = (s: string) => (/pin/i.test(s) ? 'pin…' : s.slice(0, 40));

/** Parses a `pkcs11:` URI; throws SealError('input', …) naming what is wrong. */
export function parsePkcs11Uri(ref: string): Pkcs11Uri {
  if (!isPkcs11Uri(ref)) throw bad('it does not start with pkcs11:');
  const rest = ref.slice(PKCS11_SCHEME.length);
  if (rest.includes('#')) throw bad('a fragment (#) is not allowed');
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? '' : rest.slice(q + 1);
  const path = splitAttrs(pathPart, ';', PATH_ATTRS, 'path');
  const query = splitAttrs(queryPart, '&', QUERY_ATTRS, 'query');

  const uri: Pkcs11Uri = {};
  const text = (m: Map<string, string>, name: string) => {
    const v = m.get(name);
    return v === undefined ? undefined : decodeText(v, name);
  };
  const setText = (key: 'token' | 'object' | 'type' | 'manufacturer' | 'serial' | 'model', name: string) => {
    const v = text(path, name);
    if (v !== undefined && v !== '') uri[key] = v;
  };
  setText('token', 'token');
  setText('object', 'object');
  setText('type', 'type');
  setText('manufacturer', 'manufacturer');
  setText('serial', 'serial');
  setText('model', 'model');
  const id = path.get('id');
  if (id !== undefined && id !== '') uri.id = decodeBytes(id, 'id');
  const slot = text(path, 'slot-id');
  if (slot !== undefined && slot !== '') {
    if (!/^\d{1,15}$/.test(slot)) throw bad(`slot-id '${slot.slice(0, 40)}' is not a valid number`);
    uri.slotId = Number(slot);
  }
  const modulePath = text(query, 'module-path');
  if (modulePath) uri.modulePath = modulePath;
  if (query.has('module-name') && !modulePath) {
    throw bad('module-name is not supported', 'give module-path=/absolute/path/to/the/module.so instead');
  }
  // The PIN is decoded as text but never quoted back.
  const pinValue = query.has('pin-value') ? decodeText(query.get('pin-value')!, 'pin-value') : undefined;
  const pinSource = text(query, 'pin-source');
  // With both, pin-value wins, as in cosign (whose own test URI carries both).
  if (pinValue !== undefined && pinValue !== '') uri.pinValue = pinValue;
  else if (pinSource !== undefined && pinSource !== '') uri.pinSource = pinSource;
  if (uri.type !== undefined && uri.type !== 'private' && uri.type !== 'public') {
    throw bad(`type=${uri.type.slice(0, 20)} names no key`, 'drop type=, or use type=private');
  }
  return uri;
}

/** The checks cosign makes before it loads a module: which token, which key. */
export function requireKeyAndToken(uri: Pkcs11Uri): void {
  if (uri.token === undefined && uri.slotId === undefined) {
    throw bad('one of token and slot-id must be set', 'list them with: seal pkcs11-tool list-tokens --module-path MODULE');
  }
  if (uri.object === undefined && uri.id === undefined) {
    throw bad('one of object and id must be set', 'list the keys with: seal pkcs11-tool list-keys-uris --module-path MODULE --slot-id N');
  }
}

/** The module path: the URI's, else SEAL_PKCS11_MODULE_PATH, else COSIGN_PKCS11_MODULE_PATH. */
export function modulePathOf(uri: Pkcs11Uri, env: Readonly<Record<string, string | undefined>>): string {
  const p = uri.modulePath || env.SEAL_PKCS11_MODULE_PATH || env.COSIGN_PKCS11_MODULE_PATH;
  if (!p) {
    throw bad(
      'module-path or COSIGN_PKCS11_MODULE_PATH must be set to the absolute path of the PKCS11 module',
      'e.g. ?module-path=/usr/lib/softhsm/libsofthsm2.so',
    );
  }
  return p;
}

/** The URI with any pin-value replaced, fit for a message or a log line. */
export function redactPkcs11Uri(ref: string): string {
  return ref.replace(/([?&;]pin-value=)[^&#]*/gi, '$1***');
}

/** A readable name for the key: `object 'label'` or `id 0a0b`. */
export function describeKey(uri: Pkcs11Uri): string {
  const parts: string[] = [];
  if (uri.object !== undefined) parts.push(`'${uri.object}'`);
  if (uri.id !== undefined) parts.push(`id ${Buffer.from(uri.id).toString('hex')}`);
  return parts.join(' ');
}

export function describeToken(uri: Pkcs11Uri): string {
  return uri.token !== undefined ? `'${uri.token}'` : `in slot ${uri.slotId}`;
}

// cosign's encoder (pkcs11key.EncodeURIComponent): these stay literal, every other byte is %xx.
const PATH_CHARS = /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/;
const QUERY_CHARS = /[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]/;

function encode(value: string | Uint8Array, allowed: RegExp | undefined): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    out += allowed && b < 0x80 && allowed.test(ch) ? ch : '%' + b.toString(16).padStart(2, '0');
  }
  return out;
}

/** The URI cosign's list-keys-uris prints (pkcs11key.Pkcs11UriConfig.Construct). */
export function formatPkcs11Uri(k: {
  modulePath: string;
  token?: string;
  slotId?: number;
  id?: Uint8Array;
  object?: Uint8Array | string;
  pin?: string;
}): string {
  let uri = PKCS11_SCHEME;
  if (k.token) uri += 'token=' + encode(k.token, PATH_CHARS);
  if (k.slotId !== undefined) uri += ';slot-id=' + String(k.slotId);
  if (k.id && k.id.length > 0) uri += ';id=' + encode(k.id, undefined);
  if (k.object && k.object.length > 0) uri += ';object=' + encode(k.object, PATH_CHARS);
  uri += '?module-path=' + encode(k.modulePath, QUERY_CHARS);
  if (k.pin) uri += '&pin-value=' + encode(k.pin, QUERY_CHARS);
  return uri;
}
