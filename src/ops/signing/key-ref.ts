// From a --key reference to the low-level Signer (src/crypto/types.ts): key files and env://VAR in
// every format seal reads, and pkcs11: URIs (a token, src/crypto/pkcs11). Another kind of key (a
// KMS) plugs in the same way: a branch on the reference's scheme that returns an object
// implementing Signer; nothing else learns about it (docs/design/signing.md).
import { loadPrivateKey } from '../../crypto/keys.ts';
import type { Signer } from '../../crypto/types.ts';
import type { OpEnv } from '../op-env.ts';

export async function loadKeySigner(
  ref: string,
  env: Pick<OpEnv, 'vars' | 'cwd' | 'password' | 'askSecret' | 'log' | 'signal'>,
  opts: { stdinInUse?: string } = {},
): Promise<Signer> {
  const getPassword = () => env.password({ label: `private key ${ref}`, ...(opts.stdinInUse ? { stdinInUse: opts.stdinInUse } : {}) });
  // pkcs11: URIs open a token (src/crypto/pkcs11); cloud KMS schemes are refused with the two-step flow.
  return loadPrivateKey(ref, getPassword, {
    env: env.vars,
    cwd: env.cwd,
    ...(env.askSecret ? { askSecret: (prompt: string) => env.askSecret!(prompt) } : {}),
    log: env.log,
    signal: env.signal,
  });
}
