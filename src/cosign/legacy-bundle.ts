// A legacy keyless signature or attestation (a `.sig`/`.att` layer with a Fulcio certificate and a
// Rekor bundle in its annotations) expressed as a Sigstore bundle v0.1, so the one bundle verifier
// checks the certificate chain, SCT, Rekor inclusion promise and signature, as cosign v3 does.
import { createHash } from 'node:crypto';
import { SealError } from '../errors.ts';
import { ANNOTATION } from '../oci/cosign-layout.ts';
import type { Descriptor } from '../oci/types.ts';

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

function pemToDerBase64(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

/** Undefined when the layer carries no certificate (a key-signed legacy signature). */
export function legacyLayerToBundle(layer: Descriptor, bytes: Uint8Array, kind: 'sig' | 'att'): object | undefined {
  const a = layer.annotations ?? {};
  const certs = [...pemToDerBase64(a[ANNOTATION.certificate] ?? ''), ...pemToDerBase64(a[ANNOTATION.chain] ?? '')];
  if (certs.length === 0) return undefined;
  const tlogEntries: object[] = [];
  if (a[ANNOTATION.bundle]) {
    const rekor = JSON.parse(a[ANNOTATION.bundle]) as RekorBundle;
    const body = JSON.parse(Buffer.from(rekor.Payload.body, 'base64').toString('utf8')) as {
      kind: string;
      apiVersion: string;
      spec?: { envelopeHash?: { algorithm?: string; value?: string } };
    };
    // The bundle verifier checks a dsse entry's payload hash and signatures, not which envelope
    // was logged; cosign requires the logged envelope to be exactly these layer bytes.
    if (body.kind === 'dsse') {
      const logged = body.spec?.envelopeHash?.value;
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (logged !== actual) {
        throw new SealError('verification', `the transparency log entry is for another envelope (sha256 ${logged}), not this layer (${actual})`);
      }
    }
    tlogEntries.push({
      logIndex: String(rekor.Payload.logIndex),
      logId: { keyId: Buffer.from(rekor.Payload.logID, 'hex').toString('base64') },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(rekor.Payload.integratedTime),
      inclusionPromise: { signedEntryTimestamp: rekor.SignedEntryTimestamp },
      canonicalizedBody: rekor.Payload.body,
    });
  }
  const timestamps = a[ANNOTATION.rfc3161]
    ? [{ signedTimestamp: (JSON.parse(a[ANNOTATION.rfc3161]) as { SignedRFC3161Timestamp: string }).SignedRFC3161Timestamp }]
    : [];
  const verificationMaterial = {
    x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) },
    tlogEntries,
    timestampVerificationData: { rfc3161Timestamps: timestamps },
  };
  if (kind === 'att') {
    const env = JSON.parse(Buffer.from(bytes).toString('utf8')) as { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
    return { mediaType: BUNDLE_V01, verificationMaterial, dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })) } };
  }
  return {
    mediaType: BUNDLE_V01,
    verificationMaterial,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(bytes).digest('base64') },
      signature: a[ANNOTATION.signature] ?? '',
    },
  };
}
