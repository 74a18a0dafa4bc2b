// public-key: the PKIX `PUBLIC KEY` PEM of a private key, to stdout or a file.
import path from 'node:path';
import { loadPrivateKey } from '../crypto/keys.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import type { Log } from '../log.ts';

export interface PublicKeyOptions {
  key: string;
  outfile?: string;
  force: boolean;
  /** Base for a relative outfile. */
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface PublicKeyDeps {
  getPassword: () => Promise<Uint8Array>;
  /** A token PIN prompt on a terminal (pkcs11: keys); absent without one. */
  askSecret?: (prompt: string) => Promise<Uint8Array>;
  /** Writes a result to stdout (and waits for it to be taken). */
  writeStdout: (data: string | Uint8Array) => Promise<void>;
  log: Log;
}

export async function exportPublicKey(opts: PublicKeyOptions, deps: PublicKeyDeps): Promise<string> {
  const signer = await loadPrivateKey(opts.key, deps.getPassword, { env: opts.env, cwd: opts.cwd, askSecret: deps.askSecret, log: deps.log });
  const pem = signer.publicKey.pem;
  if ('close' in signer) await signer.close();
  if (opts.outfile !== undefined) {
    await writeFileAtomic(path.resolve(opts.cwd ?? '.', opts.outfile), pem, { mode: 0o644, overwrite: opts.force });
    deps.log.info(`Public key written to ${opts.outfile}`);
  } else {
    await deps.writeStdout(pem);
  }
  return pem;
}
