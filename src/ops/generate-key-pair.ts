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

export async function generateKeyPairFiles(opts: GenerateKeyPairOptions, deps: KeyPairDeps): Promise<KeyPairFiles> {
  const { privateKeyPkcs8Der, publicKeyPem } = generateKeyPair();
  return writeKeyPair(opts, deps, privateKeyPkcs8Der, publicKeyPem);
}

/** Encrypts `pkcs8` with a password from `deps` and writes the pair; shared with import-key-pair. */
export async function writeKeyPair(
  opts: GenerateKeyPairOptions,
  deps: KeyPairDeps,
  pkcs8: Uint8Array,
  publicKeyPem: string,
): Promise<KeyPairFiles> {
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
