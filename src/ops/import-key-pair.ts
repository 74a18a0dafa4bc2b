// import-key-pair: any private key seal can read (PKCS#1/PKCS#8 RSA, SEC1/PKCS#8 EC, PKCS#8
// Ed25519, encrypted PKCS#8, a cosign key) re-encoded as a cosign key pair. The key policy
// (RSA 2048-4096, P-256/384/521, Ed25519) is enforced while parsing, with cosign's messages.
import { parsePrivateKey, readKeyRef } from '../crypto/keys.ts';
import { publicKeyInfo } from '../crypto/signer.ts';
import { writeKeyPair, type KeyPairFiles } from './generate-key-pair.ts';
import type { OpEnv } from './op-env.ts';

export interface ImportKeyPairOptions {
  /** The PEM file to import (or env://VAR), relative to `cwd`. */
  key: string;
  outputKeyPrefix: string;
  force: boolean;
  cwd: string;
}

/**
 * The imported key's password, asked only when it is encrypted, is an `importing` password request
 * (its own source); the new key's password an ordinary one, confirmed.
 */
export async function importKeyPair(opts: ImportKeyPairOptions, env: OpEnv): Promise<KeyPairFiles> {
  const { bytes, source } = await readKeyRef(opts.key, { env: env.vars, cwd: opts.cwd }, 'key file');
  const parsed = await parsePrivateKey(bytes, source, () => env.password({ label: opts.key, importing: true }));
  const pkcs8 = new Uint8Array(parsed.key.export({ format: 'der', type: 'pkcs8' }));
  const { pem } = publicKeyInfo(parsed.key, parsed.algorithm);
  env.log.debug(`importing a ${parsed.algorithm} key (${parsed.label})`);
  const getPassword = () => env.password({ label: `private key ${opts.outputKeyPrefix}.key`, confirm: true });
  return writeKeyPair(opts, { getPassword, log: env.log, signal: env.signal }, pkcs8, pem);
}
