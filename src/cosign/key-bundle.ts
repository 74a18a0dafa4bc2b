// Sigstore bundle v0.3 for a signature made with a key (no Fulcio certificate, no transparency
// log): the public-key hint is base64(sha256(SPKI DER)), as cosign writes it (formats g.4).
import { createHash } from 'node:crypto';
import { pae } from '../attest/dsse.ts';
import type { Signer } from '../crypto/types.ts';
import { BUNDLE_MEDIA_TYPE } from '../oci/cosign-layout.ts';

export const publicKeyHint = (spkiDer: Uint8Array): string => createHash('sha256').update(spkiDer).digest('base64');

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** Signs `payload` as a DSSE envelope and wraps it in a bundle; returns the exact bytes to store. */
export async function signDsseBundle(signer: Signer, payload: Uint8Array, payloadType: string): Promise<Uint8Array> {
  const sig = await signer.sign(pae(payloadType, payload));
  const bundle = {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey.der) } },
    dsseEnvelope: { payload: b64(payload), payloadType, signatures: [{ sig: b64(sig) }] },
  };
  return Buffer.from(JSON.stringify(bundle));
}

/** A message-signature bundle over a digest the caller computed (sign-blob). */
export function messageSignatureBundle(signer: Signer, sha256: Uint8Array, signature: Uint8Array): Uint8Array {
  const bundle = {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey.der) } },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(sha256) }, signature: b64(signature) },
  };
  return Buffer.from(JSON.stringify(bundle));
}
