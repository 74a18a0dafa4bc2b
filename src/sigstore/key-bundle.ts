// Sigstore bundle v0.3 for a DSSE envelope signed with a key (no Fulcio certificate, no
// transparency log): the key-signed counterpart of src/sigstore/message-bundle.ts, with the same
// public-key hint, base64(sha256(SPKI DER)), as cosign writes it (formats g.4).
import { pae } from '../attest/dsse.ts';
import { BUNDLE_V03_MEDIA_TYPE, publicKeyHint } from './message-bundle.ts';
import type { Signer } from '../crypto/types.ts';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** Signs `payload` as a DSSE envelope and wraps it in a bundle; returns the exact bytes to store. */
export async function signDsseBundle(signer: Signer, payload: Uint8Array, payloadType: string): Promise<Uint8Array> {
  const sig = await signer.sign(pae(payloadType, payload));
  const bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey.der) } },
    dsseEnvelope: { payload: b64(payload), payloadType, signatures: [{ sig: b64(sig) }] },
  };
  return Buffer.from(JSON.stringify(bundle));
}
