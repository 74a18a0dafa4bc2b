// cosign's encrypted private key file (docs/formats/cosign-formats.md a.1): a PEM block whose body is Go-marshalled
// JSON {kdf: scrypt, cipher: nacl/secretbox, ciphertext}, sealing the PKCS#8 DER key. Written
// byte-compatible with cosign v3 (label, key order, padding); read in both labels and all three
// scrypt strengths cosign ever wrote.
import { randomBytes, scrypt, scryptSync } from 'node:crypto';
import nacl from 'tweetnacl';
import { SealError } from '../errors.ts';
import { decodeBase64Strict, decodePemBlocks, encodePem, toBase64 } from './pem.ts';

/** The label cosign v3 (and seal) writes. */
export const SIGSTORE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** The label cosign <= 2.x wrote; still read. */
export const COSIGN_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY';
export const ENCRYPTED_KEY_LABELS: readonly string[] = [SIGSTORE_KEY_LABEL, COSIGN_KEY_LABEL];

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** go-securesystemslib "Standard" parameters, what cosign v3 writes. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 65536, r: 8, p: 1 };
/** The only parameter sets accepted on read (an attacker-chosen N would be a memory DoS). */
const ALLOWED_N = new Set([32768, 65536, 131072]);
const SALT_BYTES = 32;
const NONCE_BYTES = nacl.secretbox.nonceLength; // 24
const KEY_BYTES = nacl.secretbox.keyLength; // 32
// scrypt needs 128·N·r bytes; N=131072, r=8 is 128 MiB, above Node's 32 MiB default cap.
const SCRYPT_MAXMEM = 256 * 1024 * 1024;

/** The parsed, still-encrypted key. */
export interface EncryptedKey {
  label: string;
  scrypt: ScryptParams;
  salt: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/** Encrypts a PKCS#8 DER key as cosign does. `params` exists for tests of the legacy strengths. */
export function encryptPrivateKey(pkcs8Der: Uint8Array, password: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT): string {
  const salt = randomBytes(SALT_BYTES);
  const key = scryptSync(password, salt, KEY_BYTES, scryptOptions(params));
  return seal(pkcs8Der, key, salt, params);
}

/** As encryptPrivateKey, with scrypt on the thread pool so signals are still handled. */
export async function encryptPrivateKeyAsync(pkcs8Der: Uint8Array, password: Uint8Array, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, params);
  return seal(pkcs8Der, key, salt, params);
}

function seal(plaintext: Uint8Array, key: Uint8Array, salt: Uint8Array, params: ScryptParams): string {
  const nonce = randomBytes(NONCE_BYTES);
  // tweetnacl's secretbox output is tag ‖ ciphertext, the layout of Go's secretbox.Seal.
  const ciphertext = nacl.secretbox(plaintext, nonce, key);
  // Key order and compactness as Go's json.Marshal of cosign's structs.
  const json = JSON.stringify({
    kdf: { name: 'scrypt', params: { N: params.N, r: params.r, p: params.p }, salt: toBase64(salt) },
    cipher: { name: 'nacl/secretbox', nonce: toBase64(nonce) },
    ciphertext: toBase64(ciphertext),
  });
  return encodePem(SIGSTORE_KEY_LABEL, new TextEncoder().encode(json));
}

/** Decrypts a cosign key file to its plaintext (normally PKCS#8 DER). */
export function decryptPrivateKey(pem: string, password: Uint8Array, source = 'the private key'): Uint8Array {
  const enc = parseEncryptedKey(pem, source);
  const key = scryptSync(password, enc.salt, KEY_BYTES, scryptOptions(enc.scrypt));
  return open(enc, key, source);
}

export async function decryptPrivateKeyAsync(pem: string | EncryptedKey, password: Uint8Array, source = 'the private key'): Promise<Uint8Array> {
  const enc = typeof pem === 'string' ? parseEncryptedKey(pem, source) : pem;
  const key = await scryptAsync(password, enc.salt, enc.scrypt);
  return open(enc, key, source);
}

function open(enc: EncryptedKey, key: Uint8Array, source: string): Uint8Array {
  const plain = nacl.secretbox.open(enc.ciphertext, enc.nonce, key);
  if (!plain) {
    // The Poly1305 tag failed: a wrong password (or a modified file, which we cannot tell apart).
    throw new SealError('input', `wrong password for ${source}`, { code: 'WRONG_PASSWORD' });
  }
  return plain;
}

/** A JSON value from the key file as message text: JSON, one line, at most 40 characters; absent is null. */
function shown(v: unknown): string {
  const s = JSON.stringify(v ?? null);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Parses and validates the JSON inside the PEM without decrypting. */
export function parseEncryptedKey(pem: string, source: string): EncryptedKey {
  const blocks = decodePemBlocks(pem, source);
  const block = blocks.find((b) => ENCRYPTED_KEY_LABELS.includes(b.label));
  if (!block) {
    const found = blocks[0]?.label;
    throw new SealError(
      'input',
      found ? `${source} is not a cosign encrypted key: unsupported PEM type "${found}"` : `${source} is not a cosign encrypted key: no PEM block found`,
      { code: 'BAD_KEY' },
    );
  }
  const damaged = (what: string) => new SealError('input', `${source} is damaged: ${what}`, { code: 'BAD_KEY' });
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(block.der));
  } catch {
    throw damaged('the PEM body is not JSON');
  }
  const o = doc as {
    kdf?: { name?: unknown; params?: { N?: unknown; r?: unknown; p?: unknown }; salt?: unknown };
    cipher?: { name?: unknown; nonce?: unknown };
    ciphertext?: unknown;
  };
  if (typeof o !== 'object' || o === null) throw damaged('the PEM body is not a JSON object');
  if (o.kdf?.name !== 'scrypt') throw damaged(`unknown kdf name ${shown(o.kdf?.name)}`);
  if (o.cipher?.name !== 'nacl/secretbox') {
    throw damaged(`unknown cipher name ${shown(o.cipher?.name)}`);
  }
  const { N, r, p } = o.kdf.params ?? {};
  if (typeof N !== 'number' || !ALLOWED_N.has(N) || r !== 8 || p !== 1) {
    throw new SealError('input', `${source} uses unsupported scrypt parameters N=${shown(N)} r=${shown(r)} p=${shown(p)}`, {
      hint: 'cosign and seal read N=32768, 65536 or 131072 with r=8, p=1',
      code: 'BAD_KEY',
    });
  }
  const bytes = (v: unknown, what: string): Uint8Array => {
    const b = typeof v === 'string' ? decodeBase64Strict(v) : undefined;
    if (!b) throw damaged(`${what} is not base64`);
    return b;
  };
  const salt = bytes(o.kdf.salt, 'the salt');
  const nonce = bytes(o.cipher.nonce, 'the nonce');
  const ciphertext = bytes(o.ciphertext, 'the ciphertext');
  if (nonce.length !== NONCE_BYTES) throw damaged(`incorrect nonce size ${nonce.length} (want ${NONCE_BYTES})`);
  if (ciphertext.length < nacl.secretbox.overheadLength) throw damaged('the ciphertext is too short');
  return { label: block.label, scrypt: { N, r, p }, salt, nonce, ciphertext };
}

function scryptOptions(p: ScryptParams) {
  return { N: p.N, r: p.r, p: p.p, maxmem: SCRYPT_MAXMEM };
}

function scryptAsync(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_BYTES, scryptOptions(params), (err, key) => (err ? reject(err) : resolve(key)));
  });
}
