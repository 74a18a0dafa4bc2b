// import-key-pair: any private key seal can read (PKCS#1/PKCS#8 RSA, SEC1/PKCS#8 EC, PKCS#8
// Ed25519, encrypted PKCS#8, a cosign key) re-encoded as a cosign key pair. The key policy
// (RSA 2048-4096, P-256/384/521, Ed25519) is enforced while parsing, with cosign's messages.
import { parsePrivateKey, readKeyRef } from '../crypto/keys.ts';
import { publicKeyInfo } from '../crypto/signer.ts';
import { writeKeyPair, type KeyPairDeps, type KeyPairFiles } from './generate-key-pair.ts';

export interface ImportKeyPairOptions {
  /** The PEM file to import. */
  key: string;
  outputKeyPrefix: string;
  force: boolean;
  cwd: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ImportKeyPairDeps extends KeyPairDeps {
  /** The password of the key being imported, asked only when it is encrypted. */
  getImportPassword: () => Promise<Uint8Array>;
}

export async function importKeyPair(opts: ImportKeyPairOptions, deps: ImportKeyPairDeps): Promise<KeyPairFiles> {
  const { bytes, source } = await readKeyRef(opts.key, { env: opts.env, cwd: opts.cwd }, 'key file');
  const parsed = await parsePrivateKey(bytes, source, deps.getImportPassword);
  const pkcs8 = new Uint8Array(parsed.key.export({ format: 'der', type: 'pkcs8' }));
  const { pem } = publicKeyInfo(parsed.key, parsed.algorithm);
  deps.log.debug(`importing a ${parsed.algorithm} key (${parsed.label})`);
  return writeKeyPair(opts, deps, pkcs8, pem);
}
