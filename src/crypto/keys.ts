// Loading keys from what users have: cosign/seal encrypted keys (both PEM labels), plain PKCS#8,
// SEC1 and PKCS#1 PEMs, encrypted PKCS#8, public keys and certificates; from a file or env://VAR.
// Every rejection is one line naming the key and saying what was found instead.
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SealError, messageOf } from '../errors.ts';
import { keyAlgorithm } from './key-policy.ts';
import { decodePemBlocks, type PemBlock } from './pem.ts';
import { KeySigner, KeyVerifier } from './signer.ts';
import { openInput } from '../fs/stream.ts';
import type { KeyAlgorithm } from './types.ts';
import type { Log } from '../log.ts';
import type { TokenSigner } from './pkcs11/token.ts';

export interface GeneratedKeyPair {
  privateKeyPkcs8Der: Uint8Array;
  /** PKIX `PUBLIC KEY` PEM with a trailing newline. */
  publicKeyPem: string;
}

/** A new ECDSA P-256 key pair, the only kind cosign generates. */
export function generateKeyPair(): GeneratedKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPkcs8Der: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' })),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

export interface KeyLoadOptions {
  /** Where env://VAR references are looked up; pure code gets no process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The command's working directory: relative key paths are resolved against it, not the process's. */
  cwd?: string;
  /** Asks for a secret (a token PIN) on a terminal; absent when there is none. */
  askSecret?: (prompt: string) => Promise<Uint8Array>;
  log?: Log;
  signal?: AbortSignal;
}

/** cloud KMS schemes cosign takes for --key; seal does not reach KMS services. */
const KMS_SCHEMES = new Set(['awskms', 'gcpkms', 'azurekms', 'hashivault']);

/** The two-step flow that signs with a key seal cannot reach (docs/hardware-keys.md). */
const TWO_STEP_SIGNING =
  'seal generate IMAGE > payload.json, sign payload.json with the KMS, then seal attach signature --payload payload.json --signature SIG IMAGE (docs/hardware-keys.md)';

/**
 * The refusal of a `scheme://` key reference cosign takes and seal does not (cloud KMS,
 * Kubernetes secrets, URLs, GitLab, KMS plugins): a usage error (exit 2) whatever the scheme,
 * naming what to give instead. `what` is 'key file' or 'public key file'.
 */
function unsupportedKeyRef(scheme: string, what: string): SealError {
  const s = scheme.toLowerCase();
  const file = what === 'public key file' ? 'cosign.pub' : 'cosign.key';
  const [kind, hint] = KMS_SCHEMES.has(s)
    ? ['cloud KMS', `sign in two steps: ${TWO_STEP_SIGNING}`]
    : s === 'k8s'
      ? [
          'Kubernetes secrets',
          `export the key and pass the file: kubectl get secret NAME -n NAMESPACE -o jsonpath='{.data.${file.replace('.', '\\.')}}' | base64 -d > ${file}, then --key ${file} (or --key env://VAR)`,
        ]
      : s === 'http' || s === 'https'
        ? ['URLs', `download the key and pass the file: curl -fsSLo ${file} URL, then --key ${file}`]
        : s === 'gitlab' || s === 'github'
          ? [`${s === 'gitlab' ? 'GitLab' : 'GitHub'} variables`, `pass the key as a file or through the environment: --key ${file} or --key env://VAR`]
          : ['KMS plugins', 'give a key file, env://VAR or a pkcs11: URI (docs/hardware-keys.md)'];
  return new SealError('usage', `${scheme}:// keys (${kind}) are not supported by seal`, { hint, code: 'UNSUPPORTED_KEY_REF' });
}

export type PrivateKeyFormat = 'cosign' | 'pkcs8' | 'sec1' | 'pkcs1' | 'encrypted-pkcs8';

export interface ParsedPrivateKey {
  key: KeyObject;
  algorithm: KeyAlgorithm;
  format: PrivateKeyFormat;
  /** The PEM label it came in. */
  label: string;
}

const PRIVATE_LABELS: Readonly<Record<string, PrivateKeyFormat>> = {
  'ENCRYPTED SIGSTORE PRIVATE KEY': 'cosign',
  'ENCRYPTED COSIGN PRIVATE KEY': 'cosign',
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
  'ENCRYPTED PRIVATE KEY': 'encrypted-pkcs8',
};
const PUBLIC_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY', 'CERTIFICATE'];
const MAX_KEY_FILE = 1 << 20;

const pemLabels = (text: string): string[] => [...text.matchAll(/-----BEGIN ([^-\r\n]*)-----/g)].map((m) => m[1]!);

/** The block with `label`; a BEGIN line that is not a line of its own (found by pemLabels only) is malformed PEM. */
function pemBlock(text: string, label: string, source: string): PemBlock {
  const block = decodePemBlocks(text, source).find((b) => b.label === label);
  if (!block) {
    throw new SealError('input', `malformed PEM in ${source}: the BEGIN ${label} line has other text on it`, { code: 'BAD_PEM' });
  }
  return block;
}

/**
 * A signer for the private key at `ref` (a path, env://VAR, or a pkcs11: URI naming a key on a
 * token). `getPassword` is called only for an encrypted key. Wrong password:
 * SealError('input', 'wrong password for REF', code WRONG_PASSWORD).
 */
export async function loadPrivateKey(ref: string, getPassword: () => Promise<Uint8Array>, opts: KeyLoadOptions = {}): Promise<KeySigner | TokenSigner> {
  if (/^pkcs11:/i.test(ref)) {
    // Loaded only here: nothing else pays for the token code or the native binding.
    const { openTokenSigner } = await import('./pkcs11/token.ts');
    return openTokenSigner(ref, { env: opts.env ?? {}, askSecret: opts.askSecret, log: opts.log, signal: opts.signal });
  }
  const { bytes, source } = await readKeyRef(ref, opts, 'key file');
  const parsed = await parsePrivateKey(bytes, source, getPassword);
  return new KeySigner(parsed.key, parsed.algorithm);
}

/** A verifier for the public key (or certificate) at `ref` (a path or env://VAR). */
export async function loadPublicKey(ref: string, opts: KeyLoadOptions = {}): Promise<KeyVerifier> {
  if (/^pkcs11:/i.test(ref)) {
    const { openTokenPublicKey } = await import('./pkcs11/token.ts');
    const { key, algorithm } = await openTokenPublicKey(ref, { env: opts.env ?? {}, log: opts.log, signal: opts.signal });
    return new KeyVerifier(key, algorithm);
  }
  const { bytes, source } = await readKeyRef(ref, opts, 'public key file');
  const { key, algorithm } = parsePublicKey(bytes, source);
  return new KeyVerifier(key, algorithm);
}

/** The bytes behind a key reference, and the name to use for it in messages. */
export async function readKeyRef(ref: string, opts: KeyLoadOptions, what = 'key file'): Promise<{ bytes: Uint8Array; source: string }> {
  if (ref.startsWith('env://')) {
    const name = ref.slice('env://'.length);
    const value = opts.env?.[name];
    if (value === undefined) {
      throw new SealError('input', `environment variable ${name} is not set (from --key ${ref})`, { code: 'KEY_NOT_FOUND' });
    }
    if (value.trim() === '') throw new SealError('input', `environment variable ${name} is empty (from --key ${ref})`, { code: 'BAD_KEY' });
    return { bytes: new TextEncoder().encode(value), source: ref };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(ref);
  if (scheme) throw unsupportedKeyRef(scheme[1]!, what);
  // Synchronous: a key is small, and start-up needs no thread pool (src/fs/stream.ts).
  const file = openInput(opts.cwd === undefined ? ref : process.getBuiltinModule('node:path').resolve(opts.cwd, ref), what, ref);
  let bytes: Uint8Array;
  try {
    if (file.size > MAX_KEY_FILE) {
      throw new SealError('input', `${ref} is ${file.size} bytes, too large to be a key`, { code: 'BAD_KEY' });
    }
    bytes = file.readAll();
  } finally {
    file.close();
  }
  if (bytes.length === 0 || Buffer.from(bytes).toString('latin1').trim() === '') {
    throw new SealError('input', `${ref} is empty`, { code: 'BAD_KEY' });
  }
  return { bytes, source: ref };
}

/** Parses any private key seal accepts, asking for a password only when the key is encrypted. */
export async function parsePrivateKey(bytes: Uint8Array, source: string, getPassword: () => Promise<Uint8Array>): Promise<ParsedPrivateKey> {
  const text = Buffer.from(bytes).toString('latin1');
  const labels = pemLabels(text);
  const label = labels.find((l) => Object.hasOwn(PRIVATE_LABELS, l));
  if (!label) throw notAPrivateKey(labels, source);
  const format = PRIVATE_LABELS[label]!;

  let key: KeyObject;
  if (format === 'cosign') {
    // Loaded here, not at the top: verification never needs scrypt or tweetnacl.
    const { decryptPrivateKeyAsync, parseEncryptedKey } = await import('./encrypted-key.ts');
    const enc = parseEncryptedKey(text, source);
    const plain = await decryptPrivateKeyAsync(enc, await getPassword(), source);
    key = parseDecryptedCosignKey(plain, source);
  } else {
    const block = pemBlock(text, label, source);
    if (/ENCRYPTED/i.test(block.headers['Proc-Type'] ?? '')) {
      throw new SealError('input', `${source} is encrypted in the legacy OpenSSL PEM format, which seal does not read`, {
        hint: `convert it: openssl pkcs8 -topk8 -in ${source} -out key.p8.pem`,
        code: 'BAD_KEY',
      });
    }
    if (format === 'encrypted-pkcs8') {
      const password = await getPassword();
      try {
        key = createPrivateKey({ key: Buffer.from(block.der), format: 'der', type: 'pkcs8', passphrase: Buffer.from(password) });
      } catch (err) {
        if (/bad decrypt|decrypt/i.test(messageOf(err))) {
          throw new SealError('input', `wrong password for ${source}`, { code: 'WRONG_PASSWORD', cause: err });
        }
        throw new SealError('input', `${source} is not a valid encrypted PKCS#8 key: ${messageOf(err)}`, { code: 'BAD_KEY', cause: err });
      }
    } else {
      try {
        key = createPrivateKey({ key: Buffer.from(block.der), format: 'der', type: format });
      } catch (err) {
        const what = format === 'sec1' ? 'error parsing ecdsa private key' : `invalid ${label}`;
        throw new SealError('input', `${what}: ${source} does not hold a valid ${formatName(format)} key`, {
          code: 'BAD_KEY',
          cause: err,
        });
      }
    }
  }
  return { key, algorithm: keyAlgorithm(key, source), format, label };
}

function parseDecryptedCosignKey(plain: Uint8Array, source: string): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(plain), format: 'der', type: 'pkcs8' });
  } catch {
    // cosign only ever parses PKCS#8 here; a SEC1 key inside (an old cosign test vector) fails there too.
    let sec1 = false;
    try {
      createPrivateKey({ key: Buffer.from(plain), format: 'der', type: 'sec1' });
      sec1 = true;
    } catch {
      /* neither */
    }
    if (sec1) {
      throw new SealError('input', `${source} decrypts to a SEC1 "EC PRIVATE KEY", not PKCS#8; cosign rejects it too (x509: failed to parse private key)`, {
        hint: 'decrypt it to a PEM with the tool that made it, then run seal import-key-pair on that',
        code: 'BAD_KEY',
      });
    }
    throw new SealError('input', `${source} decrypts, but what it holds is not a PKCS#8 private key`, { code: 'BAD_KEY' });
  }
}

function notAPrivateKey(labels: string[], source: string): SealError {
  const pub = labels.find((l) => PUBLIC_LABELS.includes(l));
  if (pub) {
    return new SealError('input', `unsupported private key: ${source} holds a public key (PEM "${pub}"), not a private key`, {
      code: 'NOT_PRIVATE_KEY',
    });
  }
  if (labels.length > 0) {
    return new SealError('input', `invalid pem block: ${source} holds a PEM "${labels[0]}", not a private key`, {
      hint: 'seal reads cosign keys and PKCS#8, SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM files',
      code: 'BAD_KEY',
    });
  }
  return new SealError('input', `invalid pem block: ${source} is not a PEM private key`, {
    hint: 'seal reads cosign keys and PKCS#8, SEC1 ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM files',
    code: 'BAD_KEY',
  });
}

function formatName(f: PrivateKeyFormat): string {
  return { cosign: 'cosign', pkcs8: 'PKCS#8', sec1: 'SEC1 EC', pkcs1: 'PKCS#1 RSA', 'encrypted-pkcs8': 'encrypted PKCS#8' }[f];
}

/** Parses a PKIX/PKCS#1 public key PEM, a certificate PEM, or DER SPKI/certificate bytes. */
export function parsePublicKey(bytes: Uint8Array, source: string): { key: KeyObject; algorithm: KeyAlgorithm } {
  const text = Buffer.from(bytes).toString('latin1');
  const labels = pemLabels(text);
  let key: KeyObject;
  if (labels.length > 0) {
    const label = labels.find((l) => PUBLIC_LABELS.includes(l));
    if (!label) {
      if (labels.some((l) => Object.hasOwn(PRIVATE_LABELS, l))) {
        throw new SealError('input', `${source} is a private key; verification needs the public key`, {
          hint: `extract it with: seal public-key --key ${source} --outfile key.pub`,
          code: 'NOT_PUBLIC_KEY',
        });
      }
      throw new SealError('input', `${source} is not a public key: unsupported PEM type "${labels[0]}"`, { code: 'BAD_KEY' });
    }
    const block = pemBlock(text, label, source);
    try {
      key =
        label === 'CERTIFICATE'
          ? new X509Certificate(Buffer.from(block.der)).publicKey
          : createPublicKey({ key: Buffer.from(block.der), format: 'der', type: label === 'PUBLIC KEY' ? 'spki' : 'pkcs1' });
    } catch (err) {
      throw new SealError('input', `${source} holds a PEM "${label}" that cannot be parsed: ${messageOf(err)}`, {
        code: 'BAD_KEY',
        cause: err,
      });
    }
  } else {
    const der = Buffer.from(bytes);
    const parsed = tryParse(() => createPublicKey({ key: der, format: 'der', type: 'spki' })) ?? tryParse(() => new X509Certificate(der).publicKey);
    if (!parsed) {
      throw new SealError('input', `${source} is not a public key`, {
        hint: 'give a PEM "PUBLIC KEY" (cosign.pub), "RSA PUBLIC KEY" or "CERTIFICATE", or DER SubjectPublicKeyInfo',
        code: 'BAD_KEY',
      });
    }
    key = parsed;
  }
  return { key, algorithm: keyAlgorithm(key, source) };
}

function tryParse(f: () => KeyObject): KeyObject | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
