// public-key: the PKIX `PUBLIC KEY` PEM of a private key, to stdout or a file.
import path from 'node:path';
import { loadPrivateKey } from '../crypto/keys.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { sameFile } from '../fs/stream.ts';
import { SealError } from '../errors.ts';
import type { OpEnv } from './op-env.ts';

export interface PublicKeyOptions {
  key: string;
  outfile?: string;
  force: boolean;
  /** Base for a relative outfile. */
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export async function exportPublicKey(opts: PublicKeyOptions, env: OpEnv): Promise<string> {
  const base = opts.cwd ?? env.cwd;
  if (opts.outfile !== undefined && sameFile(path.resolve(base, opts.key), path.resolve(base, opts.outfile))) {
    // --outfile is replaced when it exists: naming the key itself would destroy the private key.
    throw new SealError('usage', `--outfile ${opts.outfile} is the private key itself; it would be replaced by the public key`, {
      hint: 'write the public key to another file, e.g. cosign.pub',
    });
  }
  const getPassword = () => env.password({ label: `private key ${opts.key}` });
  const askSecret = env.askSecret ? (prompt: string) => env.askSecret!(prompt) : undefined;
  const signer = await loadPrivateKey(opts.key, getPassword, { env: opts.env ?? env.vars, cwd: opts.cwd ?? env.cwd, askSecret, log: env.log });
  const pem = signer.publicKey.pem;
  if ('close' in signer) await signer.close();
  if (opts.outfile !== undefined) {
    await writeFileAtomic(path.resolve(opts.cwd ?? '.', opts.outfile), pem, { mode: 0o644, overwrite: opts.force });
    env.log.info(`Public key written to ${opts.outfile}`);
  } else {
    await env.writeStdout(pem);
  }
  return pem;
}
