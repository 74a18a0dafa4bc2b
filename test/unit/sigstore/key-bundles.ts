// Key-signed bundles built in the test, with no tlog entries or timestamps (what `sign-blob --key
// --tlog-upload=false` would write): enough to test digests, subjects and key types offline.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import { bundleToJSON, toDSSEBundle, toMessageSignatureBundle } from '@sigstore/bundle';
import { dsse } from '@sigstore/core';

export interface TestKey {
  privateKey: KeyObject;
  publicKeyPem: string;
}

export function testKey(kind: 'p256' | 'p384' | 'p521' | 'rsa' | 'ed25519'): TestKey {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: { p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1' }[kind] });
  return { privateKey: pair.privateKey, publicKeyPem: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

const isEdwards = (k: KeyObject) => k.asymmetricKeyType === 'ed25519' || k.asymmetricKeyType === 'ed448';

/** A v0.3 message-signature bundle over `artifact` (sha256 messageDigest). */
export function messageBundle(key: TestKey, artifact: Uint8Array): Record<string, unknown> {
  const signature = sign(isEdwards(key.privateKey) ? null : 'sha256', artifact, key.privateKey);
  const digest = createHash('sha256').update(artifact).digest();
  return bundleToJSON(toMessageSignatureBundle({ digest, signature, keyHint: 'test' })) as Record<string, unknown>;
}

/** A v0.3 DSSE bundle over an in-toto statement naming `subjectSha256` (hex). */
export function dsseBundle(key: TestKey, subjectSha256: string[], payloadType = 'application/vnd.in-toto+json'): Record<string, unknown> {
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: subjectSha256.map((sha256, i) => ({ name: `file${i}`, digest: { sha256 } })),
      predicateType: 'https://example.com/test/v1',
      predicate: {},
    }),
  );
  const signature = sign(isEdwards(key.privateKey) ? null : 'sha256', dsse.preAuthEncoding(payloadType, statement), key.privateKey);
  return bundleToJSON(toDSSEBundle({ artifact: statement, artifactType: payloadType, signature, keyHint: 'test' })) as Record<string, unknown>;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
