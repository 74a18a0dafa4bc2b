// Test-local Signer/Verifier over node:crypto, so these tests do not depend on src/crypto/keys.ts.
import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { PublicKeyInfo, Signer, Verifier } from '../../../src/crypto/types.ts';

function info(key: KeyObject): PublicKeyInfo {
  return {
    algorithm: 'ecdsa-p256',
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
    der: new Uint8Array(key.export({ type: 'spki', format: 'der' })),
  };
}

export function verifierFromPem(pem: string, keyid?: string): Verifier & { keyid?: string } {
  const key = createPublicKey(pem);
  return {
    publicKey: info(key),
    keyid,
    verify: (data, signature) => {
      try {
        return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
      } catch {
        return false;
      }
    },
  };
}

export function newKeyPair(keyid?: string): { signer: Signer; verifier: Verifier & { keyid?: string } } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer: Signer = {
    publicKey: info(publicKey),
    sign: async (data) => new Uint8Array(sign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
  };
  return { signer, verifier: verifierFromPem(info(publicKey).pem, keyid) };
}
