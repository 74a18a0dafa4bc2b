// generate-key-pair: a new ECDSA P-256 key as cosign writes it, <prefix>.key (0600, encrypted) and
// <prefix>.pub (0644). Neither file is touched when either exists, unless `force`; if the second
// write fails, the first is removed so no half pair is left behind.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { encryptPrivateKeyAsync } from '../crypto/encrypted-key.ts';
import { generateKeyPair } from '../crypto/keys.ts';
import { SealError } from '../errors.ts';
import { exists, writeFileAtomic } from '../fs/atomic.ts';
import type { Log } from '../log.ts';
import type { OpEnv } from './op-env.ts';

export interface GenerateKeyPairOptions {
  /** Path prefix: writes `<prefix>.key` and `<prefix>.pub`, relative to `cwd`. */
  outputKeyPrefix: string;
  force: boolean;
  cwd: string;
}

export interface KeyPairDeps {
  getPassword: () => Promise<Uint8Array>;
  log: Log;
  /** Aborted (Ctrl-C) before the files are written: nothing is written. */
  signal?: AbortSignal;
}

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
}

export async function generateKeyPairFiles(opts: GenerateKeyPairOptions, env: OpEnv): Promise<KeyPairFiles> {
  const { privateKeyPkcs8Der, publicKeyPem } = generateKeyPair();
  const getPassword = () => env.password({ label: `private key ${opts.outputKeyPrefix}.key`, confirm: true });
  return writeKeyPair(opts, { getPassword, log: env.log, signal: env.signal }, privateKeyPkcs8Der, publicKeyPem);
}

/** Encrypts `pkcs8` with a password from `deps` and writes the pair; shared with import-key-pair. */
export async function writeKeyPair(opts: GenerateKeyPairOptions, deps: KeyPairDeps, pkcs8: Uint8Array, publicKeyPem: string): Promise<KeyPairFiles> {
  const files = keyPairPaths(opts.outputKeyPrefix);
  const abs = (p: string) => path.resolve(opts.cwd, p);
  if (!opts.force) {
    // Checked before asking for a password: nobody should type it twice for a refused write.
    for (const p of [files.privateKeyPath, files.publicKeyPath]) {
      if (await exists(abs(p))) {
        throw new SealError('input', `${p} already exists; nothing was written`, {
          hint: 'pass --force to overwrite the key pair, or choose another --output-key-prefix',
          code: 'FILE_EXISTS',
        });
      }
    }
  }
  const password = await deps.getPassword();
  if (password.length === 0) deps.log.warn(`${files.privateKeyPath} is encrypted with an empty password`);
  const pem = await encryptPrivateKeyAsync(pkcs8, password);
  if (deps.signal?.aborted) throw new SealError('interrupted', 'interrupted; no key was written');

  await writeFileAtomic(abs(files.privateKeyPath), pem, { mode: 0o600, overwrite: opts.force });
  try {
    await writeFileAtomic(abs(files.publicKeyPath), publicKeyPem, { mode: 0o644, overwrite: opts.force });
  } catch (err) {
    // Another process created the .pub in between: take our .key back out rather than leave half a pair.
    if (!opts.force) await fs.unlink(abs(files.privateKeyPath)).catch(() => {});
    throw err;
  }
  deps.log.info(`Private key written to ${files.privateKeyPath}`);
  deps.log.info(`Public key written to ${files.publicKeyPath}`);
  return files;
}

export function keyPairPaths(prefix: string): KeyPairFiles {
  if (prefix === '' || prefix.endsWith('/')) {
    throw new SealError('usage', `--output-key-prefix ${JSON.stringify(prefix)} names no file`, {
      hint: 'give a prefix such as release or keys/release',
    });
  }
  return { privateKeyPath: `${prefix}.key`, publicKeyPath: `${prefix}.pub` };
}

export interface TokenKeyPairOptions extends GenerateKeyPairOptions {
  /** A pkcs11: URI naming the token and the new key's label (object=) and/or id. */
  kms: string;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * generate-key-pair --kms: an ECDSA P-256 key pair made on a PKCS#11 token, and <prefix>.pub
 * written beside. The private key never leaves the token. Cloud KMS URIs are refused.
 */
export async function generateTokenKeyPair(opts: TokenKeyPairOptions, env: OpEnv): Promise<{ publicKeyPath: string }> {
  if (!/^pkcs11:/i.test(opts.kms)) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(opts.kms)?.[1] ?? opts.kms.split(':')[0] ?? '';
    throw new SealError('usage', `--kms ${scheme.slice(0, 20)}: seal creates keys on PKCS#11 tokens (pkcs11:…) only, not in cloud KMS`, {
      hint: 'create the key with the KMS itself; to sign with it: seal generate IMAGE > payload.json, sign payload.json with the KMS, then seal attach signature (docs/hardware-keys.md)',
      code: 'UNSUPPORTED_KEY_REF',
    });
  }
  const { publicKeyPath } = keyPairPaths(opts.outputKeyPrefix);
  const abs = path.resolve(opts.cwd, publicKeyPath);
  // Checked before the token is touched: a refused write leaves no orphan key on it.
  if (!opts.force && (await exists(abs))) {
    throw new SealError('input', `${publicKeyPath} already exists; no key was created`, {
      hint: 'pass --force to overwrite it, or choose another --output-key-prefix',
      code: 'FILE_EXISTS',
    });
  }
  const { generateTokenKey } = await import('../crypto/pkcs11/token.ts');
  const askSecret = env.askSecret ? (prompt: string) => env.askSecret!(prompt) : undefined;
  const made = await generateTokenKey(opts.kms, { env: opts.env, askSecret, log: env.log, signal: env.signal });
  const name = `${made.label !== undefined ? `'${made.label}' ` : ''}id ${Buffer.from(made.id).toString('hex')}`;
  env.log.info(`Created ECDSA P-256 key ${name} on PKCS#11 token '${made.tokenLabel}'`);
  try {
    await writeFileAtomic(abs, made.publicKeyPem, { mode: 0o644, overwrite: opts.force });
  } catch (err) {
    env.log.warn(`the key stays on the token; export its public key with: seal public-key --key 'pkcs11:…'`);
    throw err;
  }
  env.log.info(`Public key written to ${publicKeyPath}`);
  return { publicKeyPath };
}
