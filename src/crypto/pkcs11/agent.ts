// The token agent: a child process (started by client.ts) that loads one PKCS#11 module through
// pkcs11js and answers one request at a time over IPC. It holds the session and the key handle;
// seal's own process never runs the module's code. It prints nothing: stdout is ignored and the
// module's own chatter on stderr is only shown with --verbose. It ends when seal goes away.
import { createRequire } from 'node:module';
import type * as Pkcs11js from 'pkcs11js';
import {
  CKK_EC,
  CKK_RSA,
  CKM_EC_KEY_PAIR_GEN,
  CKM_ECDSA,
  CKM_RSA_PKCS,
  CURVE_PARAMS,
  type AgentFailure,
  type AgentReply,
  type AgentRequest,
  type FoundKey,
  type FoundPublicKey,
  type KeyEntry,
  type PublicKeyParts,
  type TokenSummary,
} from './protocol.ts';

type P = typeof Pkcs11js;

let lib: P | undefined;
let p11: Pkcs11js.PKCS11 | undefined;
let slot: Buffer | undefined;
let session: Buffer | undefined;
let loggedIn = false;
let key: Buffer | undefined;

const handleNumber = (h: Buffer): number => (h.length >= 8 ? Number(h.readBigUInt64LE(0)) : h.readUInt32LE(0));
/** Cryptoki pads labels with blanks (and some modules with NULs). */
const trimPadded = (s: string): string => s.replace(/[\s\0]+$/, '');

class Failure extends Error {
  readonly failure: AgentFailure;
  constructor(failure: AgentFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

function call<T>(fn: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    const e = err as { message?: string; code?: number; name?: string };
    const msg = String(e.message ?? err);
    const ckr = /CKR_[A-Z_]+/.exec(msg)?.[0] ?? 'ERROR';
    throw new Failure({ ckr, fn, message: msg.split('\n')[0]!.slice(0, 300) });
  }
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Failure({ ckr: 'STATE', fn: 'agent', message: `no ${what} yet` });
  return v;
}

function load(modulePath: string): void {
  if (!lib) {
    try {
      lib = createRequire(import.meta.url)('pkcs11js') as P;
    } catch (err) {
      throw new Failure({ ckr: 'NO_BINDING', fn: 'require', message: String((err as Error).message ?? err).split('\n')[0]! });
    }
  }
  const m = new lib.PKCS11();
  try {
    m.load(modulePath);
  } catch (err) {
    throw new Failure({
      ckr: 'LOAD',
      fn: 'dlopen',
      message: String((err as Error).message ?? err)
        .split('\n')[0]!
        .slice(0, 300),
    });
  }
  call('C_Initialize', () => m.C_Initialize());
  p11 = m;
}

function tokens(): TokenSummary[] {
  const m = need(p11, 'module');
  const out: TokenSummary[] = [];
  for (const s of call('C_GetSlotList', () => m.C_GetSlotList(true))) {
    let info: Pkcs11js.TokenInfo;
    try {
      info = m.C_GetTokenInfo(s);
    } catch {
      continue; // as cosign: a slot whose token cannot be read is left out
    }
    out.push({
      slot: handleNumber(s),
      label: trimPadded(info.label),
      manufacturer: trimPadded(info.manufacturerID),
      model: trimPadded(info.model),
      serial: trimPadded(info.serialNumber),
      loginRequired: (info.flags & need(lib, 'binding').CKF_LOGIN_REQUIRED) !== 0,
      pinPad: (info.flags & need(lib, 'binding').CKF_PROTECTED_AUTHENTICATION_PATH) !== 0,
    });
  }
  return out;
}

function selectToken(sel: { token?: string; slotId?: number }): TokenSummary {
  const m = need(p11, 'module');
  const slots = call('C_GetSlotList', () => m.C_GetSlotList(true));
  const all = tokens();
  // slot-id wins over token, as in cosign.
  const found = sel.slotId !== undefined ? all.filter((t) => t.slot === sel.slotId) : all.filter((t) => t.label === sel.token);
  if (found.length === 0) {
    throw new Failure({ ckr: 'NO_TOKEN', fn: 'C_GetTokenInfo', message: JSON.stringify(all.map((t) => ({ slot: t.slot, label: t.label }))) });
  }
  if (found.length > 1) {
    throw new Failure({ ckr: 'MANY_TOKENS', fn: 'C_GetTokenInfo', message: JSON.stringify(found.map((t) => t.slot)) });
  }
  slot = slots.find((s) => handleNumber(s) === found[0]!.slot);
  return found[0]!;
}

function openSession(rw: boolean, pin: string | undefined, pinPad: boolean): void {
  const m = need(p11, 'module');
  const l = need(lib, 'binding');
  const s = need(slot, 'token');
  session = call('C_OpenSession', () => m.C_OpenSession(s, l.CKF_SERIAL_SESSION | (rw ? l.CKF_RW_SESSION : 0)));
  if (pin !== undefined || pinPad) {
    try {
      call('C_Login', () => (pin !== undefined ? m.C_Login(session!, l.CKU_USER, pin) : m.C_Login(session!, l.CKU_USER)));
    } catch (err) {
      if (!(err instanceof Failure && err.failure.ckr === 'CKR_USER_ALREADY_LOGGED_IN')) throw err;
    }
    loggedIn = true;
  }
}

function find(template: Pkcs11js.Template, limit = 64): Buffer[] {
  const m = need(p11, 'module');
  const s = need(session, 'session');
  call('C_FindObjectsInit', () => m.C_FindObjectsInit(s, template));
  const out: Buffer[] = [];
  try {
    for (;;) {
      const batch = call('C_FindObjects', () => m.C_FindObjects(s, 16));
      if (batch.length === 0) break;
      out.push(...batch);
      if (out.length >= limit) break;
    }
  } finally {
    call('C_FindObjectsFinal', () => m.C_FindObjectsFinal(s));
  }
  return out;
}

function attrs(h: Buffer, types: number[]): (Buffer | undefined)[] {
  const m = need(p11, 'module');
  const s = need(session, 'session');
  return types.map((type) => {
    // One at a time: a module answers CKR_ATTRIBUTE_TYPE_INVALID for the whole template otherwise.
    try {
      return m.C_GetAttributeValue(s, h, [{ type }])[0]?.value;
    } catch {
      return undefined;
    }
  });
}

function selector(l: P, sel: { object?: string; id?: Uint8Array }): Pkcs11js.Template {
  const t: Pkcs11js.Template = [];
  // id wins over object when both are given, as in cosign.
  if (sel.id !== undefined) t.push({ type: l.CKA_ID, value: Buffer.from(sel.id) });
  else if (sel.object !== undefined) t.push({ type: l.CKA_LABEL, value: sel.object });
  return t;
}

function entry(l: P, h: Buffer): KeyEntry {
  const [label, id] = attrs(h, [l.CKA_LABEL, l.CKA_ID]);
  return { ...(label && label.length ? { label: new Uint8Array(label) } : {}), ...(id && id.length ? { id: new Uint8Array(id) } : {}) };
}

function publicParts(l: P, h: Buffer): PublicKeyParts | undefined {
  const [type] = attrs(h, [l.CKA_KEY_TYPE]);
  const keyType = type ? handleNumber(type) : -1;
  if (keyType === CKK_EC) {
    const [params, point] = attrs(h, [l.CKA_EC_PARAMS, l.CKA_EC_POINT]);
    if (params && point) return { kind: 'ec', params: new Uint8Array(params), point: new Uint8Array(point) };
    return undefined;
  }
  if (keyType === CKK_RSA) {
    const [modulus, exponent] = attrs(h, [l.CKA_MODULUS, l.CKA_PUBLIC_EXPONENT]);
    if (modulus && exponent) return { kind: 'rsa', modulus: new Uint8Array(modulus), exponent: new Uint8Array(exponent) };
    return undefined;
  }
  return { kind: 'other', keyType };
}

function findKey(sel: { object?: string; id?: Uint8Array }): FoundKey {
  const l = need(lib, 'binding');
  const m = need(p11, 'module');
  const mechanisms = call('C_GetMechanismList', () => m.C_GetMechanismList(need(slot, 'token')));
  const privs = find([{ type: l.CKA_CLASS, value: l.CKO_PRIVATE_KEY }, ...selector(l, sel)]);
  const matches = privs.map((h) => entry(l, h));
  const result: FoundKey = { matches, mechanisms };
  if (privs.length !== 1) return result;
  key = privs[0]!;
  const [type] = attrs(key, [l.CKA_KEY_TYPE]);
  if (type) result.keyType = handleNumber(type);
  // The public half: the public key object with the same id (or label), else a certificate.
  const only = matches[0]!;
  const pubSel = only.id ? { id: only.id } : sel;
  const pubs = find([{ type: l.CKA_CLASS, value: l.CKO_PUBLIC_KEY }, ...selector(l, pubSel)], 2);
  const parts = pubs.length === 1 ? publicParts(l, pubs[0]!) : undefined;
  if (parts) {
    result.publicKey = parts;
    return result;
  }
  const certs = find([{ type: l.CKA_CLASS, value: l.CKO_CERTIFICATE }, ...selector(l, pubSel)], 2);
  if (certs.length === 1) {
    const [der] = attrs(certs[0]!, [l.CKA_VALUE]);
    if (der) result.publicKey = { kind: 'cert', der: new Uint8Array(der) };
  }
  // Some tokens keep the public attributes on the private key (CKA_EC_POINT on newer modules).
  if (!result.publicKey) {
    const p = publicParts(l, key);
    if (p && p.kind !== 'other') result.publicKey = p;
  }
  return result;
}

function findPublic(sel: { object?: string; id?: Uint8Array }): FoundPublicKey {
  const l = need(lib, 'binding');
  const pubs = find([{ type: l.CKA_CLASS, value: l.CKO_PUBLIC_KEY }, ...selector(l, sel)], 8);
  if (pubs.length > 1) return { matches: pubs.length };
  if (pubs.length === 1) {
    const parts = publicParts(l, pubs[0]!);
    return { matches: 1, ...(parts ? { publicKey: parts } : {}) };
  }
  const certs = find([{ type: l.CKA_CLASS, value: l.CKO_CERTIFICATE }, ...selector(l, sel)], 8);
  if (certs.length !== 1) return { matches: certs.length };
  const [der] = attrs(certs[0]!, [l.CKA_VALUE]);
  return { matches: 1, ...(der ? { publicKey: { kind: 'cert', der: new Uint8Array(der) } } : {}) };
}

function listKeys(): KeyEntry[] {
  const l = need(lib, 'binding');
  return find([{ type: l.CKA_CLASS, value: l.CKO_PRIVATE_KEY }], 1024).map((h) => entry(l, h));
}

function sign(mechanism: 'ecdsa' | 'rsa-pkcs', data: Uint8Array): Uint8Array {
  const m = need(p11, 'module');
  const s = need(session, 'session');
  const k = need(key, 'key');
  call('C_SignInit', () => m.C_SignInit(s, { mechanism: mechanism === 'ecdsa' ? CKM_ECDSA : CKM_RSA_PKCS }, k));
  return new Uint8Array(call('C_Sign', () => m.C_Sign(s, Buffer.from(data), Buffer.alloc(1024))));
}

function generate(curve: 'P-256' | 'P-384', label: string | undefined, id: Uint8Array): PublicKeyParts {
  const l = need(lib, 'binding');
  const m = need(p11, 'module');
  const s = need(session, 'session');
  const mechanisms = call('C_GetMechanismList', () => m.C_GetMechanismList(need(slot, 'token')));
  if (!mechanisms.includes(CKM_EC_KEY_PAIR_GEN)) {
    throw new Failure({ ckr: 'NO_MECHANISM', fn: 'C_GetMechanismList', message: 'CKM_EC_KEY_PAIR_GEN' });
  }
  const common: Pkcs11js.Template = [
    { type: l.CKA_TOKEN, value: true },
    { type: l.CKA_ID, value: Buffer.from(id) },
    ...(label !== undefined ? [{ type: l.CKA_LABEL, value: label }] : []),
  ];
  const pub: Pkcs11js.Template = [
    ...common,
    { type: l.CKA_CLASS, value: l.CKO_PUBLIC_KEY },
    { type: l.CKA_KEY_TYPE, value: CKK_EC },
    { type: l.CKA_VERIFY, value: true },
    { type: l.CKA_EC_PARAMS, value: Buffer.from(CURVE_PARAMS[curve], 'hex') },
  ];
  const priv: Pkcs11js.Template = [
    ...common,
    { type: l.CKA_CLASS, value: l.CKO_PRIVATE_KEY },
    { type: l.CKA_KEY_TYPE, value: CKK_EC },
    { type: l.CKA_SIGN, value: true },
    { type: l.CKA_PRIVATE, value: true },
    { type: l.CKA_SENSITIVE, value: true },
    { type: l.CKA_EXTRACTABLE, value: false },
  ];
  const pair = call('C_GenerateKeyPair', () => m.C_GenerateKeyPair(s, { mechanism: CKM_EC_KEY_PAIR_GEN }, pub, priv));
  key = pair.privateKey;
  const parts = publicParts(l, pair.publicKey);
  if (!parts) throw new Failure({ ckr: 'ERROR', fn: 'C_GetAttributeValue', message: 'the new public key has no CKA_EC_POINT' });
  return parts;
}

function close(): void {
  const m = p11;
  if (!m) return;
  try {
    if (session && loggedIn) m.C_Logout(session);
  } catch {
    /* closing anyway */
  }
  try {
    if (session) m.C_CloseSession(session);
  } catch {
    /* closing anyway */
  }
  try {
    m.C_Finalize();
  } catch {
    /* closing anyway */
  }
  p11 = undefined;
}

function handle(req: AgentRequest): unknown {
  switch (req.op) {
    case 'load':
      return load(req.modulePath);
    case 'tokens':
      return tokens();
    case 'token':
      return selectToken(req.select);
    case 'session':
      return openSession(req.rw, req.pin, req.pinPad === true);
    case 'key':
      return findKey(req.select);
    case 'keys':
      return listKeys();
    case 'public':
      return findPublic(req.select);
    case 'sign':
      return sign(req.mechanism, req.data);
    case 'generate':
      return generate(req.curve, req.label, req.id);
    case 'close':
      close();
      return undefined;
  }
}

/**
 * Serves requests on the IPC channel until seal goes away. Started by agent-main.ts, or by the
 * single-file build's entry when seal forks itself with SEAL_PKCS11_AGENT=1 (scripts/dist-entry.ts).
 */
export function runAgent(): void {
  process.on('message', (req: AgentRequest) => {
    let reply: AgentReply;
    try {
      reply = { ok: true, value: handle(req) };
    } catch (err) {
      reply = {
        ok: false,
        error: err instanceof Failure ? err.failure : { ckr: 'ERROR', fn: req.op, message: String((err as Error)?.message ?? err).split('\n')[0]! },
      };
    }
    process.send?.(reply);
    if (req.op === 'close') process.disconnect?.();
  });
  // seal went away (or closed the channel): finalize and go.
  process.on('disconnect', () => {
    close();
    process.exit(0);
  });
}
