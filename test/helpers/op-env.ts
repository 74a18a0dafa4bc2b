// The OpEnv (src/ops/op-env.ts) an operation gets in a unit test: messages kept for assertions,
// nothing asked of a person, stdout collected, no TUF cache of this machine's user.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { KeyVerifier } from '../../src/crypto/signer.ts';
import type { OpEnv } from '../../src/ops/op-env.ts';

export interface TestOpEnv extends OpEnv {
  infos: string[];
  warnings: string[];
  /** What the op wrote to stdout, as text. */
  stdout(): string;
}

export function testOpEnv(o: { vars?: Record<string, string | undefined>; cwd?: string; stdin?: Uint8Array[]; signal?: AbortSignal } = {}): TestOpEnv {
  const infos: string[] = [];
  const warnings: string[] = [];
  const out: Uint8Array[] = [];
  const chunks = o.stdin ?? [];
  return {
    infos,
    warnings,
    stdout: () => Buffer.concat(out).toString('utf8'),
    log: { info: (m) => void infos.push(m), warn: (m) => void warnings.push(m), debug() {} },
    signal: o.signal ?? new AbortController().signal,
    vars: { SEAL_TUF_CACHE: '/nonexistent/seal-test-tuf-cache', ...o.vars },
    cwd: o.cwd ?? process.cwd(),
    stdin: (async function* () {
      yield* chunks;
    })(),
    writeStdout: async (data) => void out.push(typeof data === 'string' ? Buffer.from(data) : data),
    interactive: false,
    password: async () => {
      throw new Error('no password expected for an unencrypted key');
    },
  };
}

export interface InMemoryKeyPair {
  /** The private key as an unencrypted PKCS#8 PEM file (mode 0600) in `dir`. */
  file: string;
  publicKey: KeyObject;
  /** A Verifier for the public key, as `--key PUB` gives verify. */
  verifier: KeyVerifier;
  publicKeyPem: string;
}

/** A P-256 key pair made in this process (no openssl), its private key written to DIR/NAME.pem. */
export function p256KeyPair(dir: string, name = 'key'): InMemoryKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const file = path.join(dir, `${name}.pem`);
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
  writeFileSync(path.join(dir, `${name}.pub`), publicKeyPem);
  return { file, publicKey, verifier: new KeyVerifier(publicKey, 'ecdsa-p256'), publicKeyPem };
}
