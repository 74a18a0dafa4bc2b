// Keys on PKCS#11 tokens: open the key a `pkcs11:` URI names and sign with it, create a key pair
// on a token, list tokens and keys (seal pkcs11-tool). The module runs in the agent (client.ts);
// this file turns its answers and Cryptoki errors into seal's terms. Messages name the token and
// the key, never the PIN.
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { SealError } from '../../errors.ts';
import { keyAlgorithm } from '../key-policy.ts';
import { publicKeyInfo } from '../signer.ts';
import type { HashAlgorithm, KeyAlgorithm, PublicKeyInfo, Signer } from '../types.ts';
import { TokenAgent, TokenCallError } from './client.ts';
import { publicKeyFromParts, rawToDer } from './key-parts.ts';
import { envOrPrompt, readPinSource, resolvePin, sessionRequest, type Login, type PinSources } from './pin.ts';
import {
  CKK_EC,
  CKK_RSA,
  CKM_ECDSA,
  CKM_RSA_PKCS,
  type FoundKey,
  type FoundPublicKey,
  type KeyEntry,
  type KeySelector,
  type PublicKeyParts,
  type TokenSummary,
} from './protocol.ts';
import { describeKey, describeToken, modulePathOf, parsePkcs11Uri, requireKeyAndToken, type Pkcs11Uri } from './uri.ts';

export interface TokenEnv extends PinSources {
  signal?: AbortSignal;
}

// DigestInfo prefix for SHA-256 (RFC 8017 §9.2): CKM_RSA_PKCS signs DigestInfo ‖ digest.
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** The module path, checked as cosign checks it: absolute, existing, a regular file. */
export function checkModulePath(modulePath: string): string {
  if (!path.isAbsolute(modulePath)) {
    throw new SealError('input', `PKCS#11 module path ${modulePath} is not absolute`, {
      hint: 'give the absolute path of the module, e.g. /usr/lib/softhsm/libsofthsm2.so',
      code: 'PKCS11_MODULE',
    });
  }
  let isFile: boolean;
  try {
    isFile = statSync(modulePath).isFile();
  } catch {
    throw new SealError('input', `PKCS#11 module ${modulePath} does not exist`, {
      hint: 'install the vendor module, or fix module-path / COSIGN_PKCS11_MODULE_PATH',
      code: 'PKCS11_MODULE',
    });
  }
  if (!isFile) throw new SealError('input', `PKCS#11 module ${modulePath} is not a regular file`, { code: 'PKCS11_MODULE' });
  return modulePath;
}

/** A Cryptoki error in words, for an operation on `token` (and `key`). */
function tokenError(err: unknown, token: string, key?: string): unknown {
  if (!(err instanceof TokenCallError)) return err;
  const { ckr, fn } = err.failure;
  const onKey = key ? ` for key ${key}` : '';
  switch (ckr) {
    case 'CKR_PIN_INCORRECT':
      return new SealError('input', `wrong PIN for PKCS#11 token ${token}`, { code: 'WRONG_PIN' });
    case 'CKR_PIN_LOCKED':
      return new SealError('input', `the PIN of PKCS#11 token ${token} is locked (too many wrong PINs)`, {
        hint: 'unlock it with the security officer PIN (the vendor tool)',
        code: 'PIN_LOCKED',
      });
    case 'CKR_PIN_LEN_RANGE':
    case 'CKR_PIN_INVALID':
      return new SealError('input', `the PIN given for PKCS#11 token ${token} is not a valid PIN for it`, { code: 'WRONG_PIN' });
    case 'CKR_USER_NOT_LOGGED_IN':
      return new SealError('input', `PKCS#11 token ${token} needs a PIN to use the key${onKey}`, {
        hint: 'set COSIGN_PKCS11_PIN, or add pin-source=file:/path to the URI',
        code: 'PIN_REQUIRED',
      });
    case 'CKR_TOKEN_WRITE_PROTECTED':
      return new SealError('input', `PKCS#11 token ${token} is write-protected; no key was created`, { code: 'PKCS11_TOKEN' });
    case 'CKR_DEVICE_REMOVED':
    case 'CKR_TOKEN_NOT_PRESENT':
      return new SealError('input', `PKCS#11 token ${token} was removed`, { code: 'PKCS11_TOKEN' });
    case 'CKR_MECHANISM_INVALID':
    case 'CKR_KEY_TYPE_INCONSISTENT':
    case 'CKR_KEY_FUNCTION_NOT_PERMITTED':
      return new SealError('input', `PKCS#11 token ${token} refused to sign with the key${onKey} (${fn}: ${ckr})`, {
        hint: 'the key must allow signing (CKA_SIGN) with ECDSA or RSA PKCS#1 v1.5',
        code: 'PKCS11_KEY',
      });
    default:
      return new SealError('input', `PKCS#11 token ${token}: ${fn} failed with ${ckr}`, { code: 'PKCS11_ERROR' });
  }
}

const label = (e: KeyEntry) => (e.label ? Buffer.from(e.label).toString('utf8') : undefined);
const hex = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString('hex') : undefined);

function describeEntry(e: KeyEntry): string {
  return [label(e) !== undefined ? `object=${label(e)}` : '', e.id ? `id=${hex(e.id)}` : ''].filter(Boolean).join(' ');
}

/** A key on a token, signing SHA-256 digests as cosign's PKCS#11 signer does (for every key type). */
export class TokenSigner implements Signer {
  readonly publicKey: PublicKeyInfo;
  readonly hashAlgorithm: HashAlgorithm = 'sha256';
  readonly algorithm: KeyAlgorithm;
  readonly #agent: TokenAgent;
  readonly #key: KeyObject;
  readonly #token: string;
  readonly #keyName: string;
  #checked = false;

  constructor(agent: TokenAgent, key: KeyObject, algorithm: KeyAlgorithm, token: string, keyName: string) {
    this.#agent = agent;
    this.#key = key;
    this.algorithm = algorithm;
    this.#token = token;
    this.#keyName = keyName;
    this.publicKey = publicKeyInfo(key, algorithm);
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return this.signDigest(new Uint8Array(createHash('sha256').update(data).digest()));
  }

  async signDigest(digest: Uint8Array): Promise<Uint8Array> {
    if (digest.length !== 32) throw new Error(`a sha256 digest is 32 bytes, got ${digest.length}`);
    const rsa = this.algorithm === 'rsa';
    let out: Uint8Array;
    try {
      out = await this.#agent.request<Uint8Array>(
        rsa ? { op: 'sign', mechanism: 'rsa-pkcs', data: Buffer.concat([SHA256_DIGEST_INFO, digest]) } : { op: 'sign', mechanism: 'ecdsa', data: digest },
      );
    } catch (err) {
      throw tokenError(err, this.#token, this.#keyName);
    }
    const signature = rsa ? out : rawToDer(out);
    if (!this.#checked) {
      // Once per key: a public key object that belongs to another key would sign "fine" and verify nowhere.
      const { verifyDigest } = await import('../prehash.ts');
      if (!(await verifyDigest(this.#key, this.algorithm, 'sha256', digest, signature))) {
        throw new SealError('input', `the signature from PKCS#11 token ${this.#token} does not verify with the public key stored for ${this.#keyName}`, {
          hint: 'the public key (or certificate) object with that id/label belongs to another key; give the key a unique id',
          code: 'PKCS11_KEY',
        });
      }
      this.#checked = true;
    }
    return signature;
  }

  /** Logs out and unloads the module; the agent also ends by itself when seal exits. */
  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** The object label and id a URI names, as the agent selects keys by them. */
const keySelector = (uri: Pkcs11Uri): KeySelector => ({
  ...(uri.object !== undefined ? { object: uri.object } : {}),
  ...(uri.id !== undefined ? { id: uri.id } : {}),
});

async function startAgent(modulePath: string, te: TokenEnv): Promise<TokenAgent> {
  checkModulePath(modulePath);
  return TokenAgent.start({ modulePath, env: te.env, log: te.log, signal: te.signal });
}

async function selectToken(agent: TokenAgent, uri: Pkcs11Uri): Promise<TokenSummary> {
  try {
    return await agent.request<TokenSummary>({
      op: 'token',
      select: { ...(uri.token !== undefined ? { token: uri.token } : {}), ...(uri.slotId !== undefined ? { slotId: uri.slotId } : {}) },
    });
  } catch (err) {
    if (err instanceof TokenCallError && err.failure.ckr === 'NO_TOKEN') {
      const present = (JSON.parse(err.failure.message) as { slot: number; label: string }[]).map((t) => `'${t.label}' (slot ${t.slot})`);
      throw new SealError('input', `no PKCS#11 token ${describeToken(uri)} in module ${agent.modulePath}`, {
        hint: present.length ? `tokens present: ${present.join(', ')}` : 'the module has no token; initialize one with the vendor tool',
        code: 'PKCS11_NO_TOKEN',
      });
    }
    if (err instanceof TokenCallError && err.failure.ckr === 'MANY_TOKENS') {
      throw new SealError('input', `several PKCS#11 tokens are labelled ${describeToken(uri)}`, { hint: 'name one with slot-id=N', code: 'PKCS11_NO_TOKEN' });
    }
    throw tokenError(err, describeToken(uri));
  }
}

async function login(agent: TokenAgent, uri: Pkcs11Uri, te: TokenEnv, token: TokenSummary, rw: boolean): Promise<void> {
  const how = await resolvePin(uri, te, token, `Enter PIN for key '${uri.object ?? hex(uri.id) ?? ''}' in PKCS11 token '${token.label}': `);
  try {
    await agent.request(sessionRequest(rw, how));
  } catch (err) {
    throw tokenError(err, `'${token.label}'`);
  }
}

/** Opens the key `ref` names and returns a signer for it. The caller should close() it when done. */
export async function openTokenSigner(ref: string, te: TokenEnv): Promise<TokenSigner> {
  const uri = parsePkcs11Uri(ref);
  requireKeyAndToken(uri);
  // The first signature is checked with @noble/curves (~40 ms to load): load it while the agent starts.
  void import('../prehash.ts').catch(() => {});
  void import('@noble/curves/nist.js').catch(() => {});
  const agent = await startAgent(modulePathOf(uri, te.env), te);
  try {
    const token = await selectToken(agent, uri);
    const tokenName = `'${token.label}'`;
    const keyName = describeKey(uri);
    await login(agent, uri, te, token, false);
    let found: FoundKey;
    try {
      found = await agent.request<FoundKey>({ op: 'key', select: keySelector(uri) });
    } catch (err) {
      throw tokenError(err, tokenName, keyName);
    }
    if (found.matches.length === 0) {
      throw new SealError('input', `PKCS#11 token ${tokenName} has no private key ${keyName}`, {
        hint: `list its keys with: seal pkcs11-tool list-keys-uris --module-path ${agent.modulePath} --slot-id ${token.slot}${token.loginRequired ? ' (a PIN is needed to see private keys)' : ''}`,
        code: 'PKCS11_NO_KEY',
      });
    }
    if (found.matches.length > 1) {
      throw new SealError(
        'input',
        `PKCS#11 URI names ${found.matches.length} private keys on token ${tokenName}: ${found.matches.slice(0, 5).map(describeEntry).join('; ')}`,
        {
          hint: "add id=… to the URI to choose one (seal pkcs11-tool list-keys-uris shows each key's URI)",
          code: 'PKCS11_MANY_KEYS',
        },
      );
    }
    if (!found.publicKey) {
      throw new SealError('input', `PKCS#11 token ${tokenName} holds no public key or certificate for ${keyName}`, {
        hint: 'store the public key object (same id as the private key) on the token',
        code: 'PKCS11_KEY',
      });
    }
    const source = `${keyName} on token ${tokenName}`;
    const key = publicKeyFromParts(found.publicKey, source);
    const algorithm = keyAlgorithm(key, source);
    if (algorithm === 'ed25519') {
      throw new SealError('input', `the key ${source} is Ed25519, which seal does not sign with on a token`, { code: 'UNSUPPORTED_KEY' });
    }
    const mechanism = algorithm === 'rsa' ? CKM_RSA_PKCS : CKM_ECDSA;
    const keyType = algorithm === 'rsa' ? CKK_RSA : CKK_EC;
    if (found.keyType !== undefined && found.keyType !== keyType) {
      throw new SealError('input', `the private key ${source} is not of the type of its public key`, { code: 'PKCS11_KEY' });
    }
    if (!found.mechanisms.includes(mechanism)) {
      throw new SealError(
        'input',
        `PKCS#11 token ${tokenName} cannot sign with ${algorithm === 'rsa' ? 'CKM_RSA_PKCS' : 'CKM_ECDSA'}, which the key ${keyName} needs`,
        {
          code: 'PKCS11_MECHANISM',
        },
      );
    }
    te.log?.debug(`pkcs11: using ${algorithm} key ${keyName} on token ${tokenName} (slot ${token.slot})`);
    return new TokenSigner(agent, key, algorithm, tokenName, keyName);
  } catch (err) {
    agent.kill();
    throw err;
  }
}

/**
 * The public key `ref` names, for verifying (cosign's `verify --key pkcs11:…`). Public objects are
 * read without logging in; a PIN from the URI or the environment is used when one is given (some
 * tokens show their public keys only then), and nobody is asked for one.
 */
export async function openTokenPublicKey(ref: string, te: TokenEnv): Promise<{ key: KeyObject; algorithm: KeyAlgorithm }> {
  const uri = parsePkcs11Uri(ref);
  requireKeyAndToken(uri);
  const agent = await startAgent(modulePathOf(uri, te.env), te);
  try {
    const token = await selectToken(agent, uri);
    const tokenName = `'${token.label}'`;
    const keyName = describeKey(uri);
    const pin = uri.pinValue ?? (uri.pinSource !== undefined ? readPinSource(uri.pinSource) : te.env.SEAL_PKCS11_PIN || te.env.COSIGN_PKCS11_PIN || undefined);
    try {
      await agent.request(sessionRequest(false, pin !== undefined ? { pin } : undefined));
    } catch (err) {
      throw tokenError(err, tokenName);
    }
    let found: FoundPublicKey;
    try {
      found = await agent.request<FoundPublicKey>({ op: 'public', select: keySelector(uri) });
    } catch (err) {
      throw tokenError(err, tokenName, keyName);
    }
    if (found.matches > 1) {
      throw new SealError('input', `PKCS#11 URI names ${found.matches} public keys on token ${tokenName}`, {
        hint: 'add id=… to the URI to choose one',
        code: 'PKCS11_MANY_KEYS',
      });
    }
    if (!found.publicKey) {
      throw new SealError('input', `PKCS#11 token ${tokenName} shows no public key or certificate ${keyName}`, {
        hint:
          pin === undefined && token.loginRequired
            ? 'some tokens show public keys only after a login: set COSIGN_PKCS11_PIN'
            : 'export it with seal public-key and verify with the file',
        code: 'PKCS11_NO_KEY',
      });
    }
    const source = `${keyName} on token ${tokenName}`;
    const key = publicKeyFromParts(found.publicKey, source);
    const algorithm = keyAlgorithm(key, source);
    await agent.close();
    return { key, algorithm };
  } catch (err) {
    agent.kill();
    throw err;
  }
}

export interface GeneratedTokenKey {
  publicKeyPem: string;
  /** The key's URI without the PIN. */
  id: Uint8Array;
  label?: string;
  slot: number;
  tokenLabel: string;
}

/**
 * Creates an ECDSA P-256 key pair on the token `ref` names (label = object, id = id or 16 random
 * bytes). Refuses when the token already has a private key with that label or id: nothing is lost.
 */
export async function generateTokenKey(ref: string, te: TokenEnv): Promise<GeneratedTokenKey> {
  const uri = parsePkcs11Uri(ref);
  requireKeyAndToken(uri);
  const agent = await startAgent(modulePathOf(uri, te.env), te);
  try {
    const token = await selectToken(agent, uri);
    const tokenName = `'${token.label}'`;
    await login(agent, uri, te, token, true);
    for (const select of [uri.object !== undefined ? { object: uri.object } : undefined, uri.id !== undefined ? { id: uri.id } : undefined]) {
      if (!select) continue;
      let found: FoundKey;
      try {
        found = await agent.request<FoundKey>({ op: 'key', select });
      } catch (err) {
        throw tokenError(err, tokenName);
      }
      if (found.matches.length > 0) {
        throw new SealError('input', `PKCS#11 token ${tokenName} already holds a private key ${describeEntry(found.matches[0]!)}; no key was created`, {
          hint: 'choose another object=/id=, or use the existing key',
          code: 'FILE_EXISTS',
        });
      }
    }
    const id = uri.id ?? new Uint8Array(randomBytes(16));
    let parts: PublicKeyParts;
    try {
      parts = await agent.request<PublicKeyParts>({ op: 'generate', curve: 'P-256', ...(uri.object !== undefined ? { label: uri.object } : {}), id });
    } catch (err) {
      if (err instanceof TokenCallError && err.failure.ckr === 'NO_MECHANISM') {
        throw new SealError('input', `PKCS#11 token ${tokenName} cannot create ECDSA keys (no CKM_EC_KEY_PAIR_GEN)`, {
          hint: 'create the key with the vendor tool and use it with --key pkcs11:…',
          code: 'PKCS11_MECHANISM',
        });
      }
      throw tokenError(err, tokenName);
    }
    const key = publicKeyFromParts(parts, `the new key on token ${tokenName}`);
    await agent.close();
    return {
      publicKeyPem: key.export({ format: 'pem', type: 'spki' }) as string,
      id,
      ...(uri.object !== undefined ? { label: uri.object } : {}),
      slot: token.slot,
      tokenLabel: token.label,
    };
  } catch (err) {
    agent.kill();
    throw err;
  }
}

/** Every token of a module (cosign pkcs11-tool list-tokens). */
export async function listTokens(modulePath: string, te: TokenEnv): Promise<TokenSummary[]> {
  const agent = await startAgent(modulePath, te);
  try {
    const tokens = await agent.request<TokenSummary[]>({ op: 'tokens' });
    await agent.close();
    return tokens;
  } catch (err) {
    agent.kill();
    throw tokenError(err, `in module ${modulePath}`);
  }
}

/** The private keys on the token in `slotId` (cosign pkcs11-tool list-keys-uris); logs in with `pin`. */
export async function listKeys(modulePath: string, slotId: number, pin: string | undefined, te: TokenEnv): Promise<{ token: TokenSummary; keys: KeyEntry[] }> {
  const agent = await startAgent(modulePath, te);
  try {
    const token = await selectToken(agent, { slotId });
    const thePin: Login = pin ? { pin } : await envOrPrompt(te, token, `Enter PIN for PKCS11 token '${token.label}': `);
    try {
      await agent.request(sessionRequest(false, thePin));
    } catch (err) {
      throw tokenError(err, `'${token.label}'`);
    }
    let keys: KeyEntry[];
    try {
      keys = await agent.request<KeyEntry[]>({ op: 'keys' });
    } catch (err) {
      throw tokenError(err, `'${token.label}'`);
    }
    await agent.close();
    return { token, keys };
  } catch (err) {
    agent.kill();
    throw err;
  }
}
