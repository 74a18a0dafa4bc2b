// The pieces of a Sigstore bundle (JSON) that cosign's --output-* flags write as separate files:
// the signing certificate (PEM), the DSSE envelope as cosign prints it, the signed statement.
import { SealError } from '../errors.ts';

interface BundleJson {
  verificationMaterial?: {
    certificate?: { rawBytes?: string };
    x509CertificateChain?: { certificates?: { rawBytes?: string }[] };
  };
  dsseEnvelope?: { payload?: string; payloadType?: string; signatures?: { sig?: string; keyid?: string }[] };
  messageSignature?: { signature?: string };
}

export interface BundleParts {
  /** The leaf certificate as PEM; absent for a key signature. */
  certificatePem?: string;
  /** The DSSE envelope JSON as cosign writes it (payloadType, payload, signatures[{keyid, sig}]). */
  envelopeJson?: string;
  /** The DSSE payload (the in-toto statement) bytes. */
  payload?: Uint8Array;
  /** Base64 signature of a message-signature bundle. */
  signatureB64?: string;
}

const pem = (b64: string): string => `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

export function bundleParts(bytes: Uint8Array): BundleParts {
  let b: BundleJson;
  try {
    b = JSON.parse(Buffer.from(bytes).toString('utf8')) as BundleJson;
  } catch (err) {
    throw new SealError('input', 'the bundle is not JSON', { cause: err });
  }
  const parts: BundleParts = {};
  const vm = b.verificationMaterial ?? {};
  const leaf = vm.certificate?.rawBytes ?? vm.x509CertificateChain?.certificates?.[0]?.rawBytes;
  if (typeof leaf === 'string' && leaf) parts.certificatePem = pem(Buffer.from(leaf, 'base64').toString('base64'));
  const env = b.dsseEnvelope;
  if (env && typeof env.payload === 'string') {
    parts.payload = Buffer.from(env.payload, 'base64');
    parts.envelopeJson = JSON.stringify({
      payloadType: env.payloadType,
      payload: env.payload,
      signatures: (env.signatures ?? []).map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })),
    });
  }
  if (typeof b.messageSignature?.signature === 'string') parts.signatureB64 = b.messageSignature.signature;
  return parts;
}
