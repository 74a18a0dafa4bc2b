// The Sigstore bundle v0.3 sign-blob writes for a key signature (docs/formats/cosign-formats.md g.4): protojson
// field names and enum names, bytes as standard base64, a transparency log entry only with
// --tlog-upload. The public-key hint is base64(sha256(SPKI DER)), as cosign computes it.
import { createHash } from 'node:crypto';
import { toBase64 } from '../crypto/pem.ts';
import type { HashAlgorithm } from '../crypto/types.ts';

export { BUNDLE_V03_MEDIA_TYPE } from './bundle-media-types.ts';
import { BUNDLE_V03_MEDIA_TYPE } from './bundle-media-types.ts';

const PROTO_HASH: Readonly<Record<HashAlgorithm, string>> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

export function publicKeyHint(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('base64');
}

export interface MessageSignatureBundleJSON {
  mediaType: string;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries?: object[] };
  messageSignature: { messageDigest: { algorithm: string; digest: string }; signature: string };
}

export function messageSignatureBundle(parts: {
  publicKeyDer: Uint8Array;
  digest: { algorithm: HashAlgorithm; bytes: Uint8Array };
  signature: Uint8Array;
  /** With --tlog-upload: the Rekor entry (src/sigstore/key-tlog.ts). */
  tlogEntries?: object[];
}): MessageSignatureBundleJSON {
  return {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: {
      publicKey: { hint: publicKeyHint(parts.publicKeyDer) },
      ...(parts.tlogEntries?.length ? { tlogEntries: parts.tlogEntries } : {}),
    },
    messageSignature: {
      messageDigest: { algorithm: PROTO_HASH[parts.digest.algorithm], digest: toBase64(parts.digest.bytes) },
      signature: toBase64(parts.signature),
    },
  };
}
