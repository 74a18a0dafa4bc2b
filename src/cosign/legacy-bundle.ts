// A legacy keyless signature or attestation (a `.sig`/`.att` layer with a Fulcio certificate and a
// Rekor bundle in its annotations) expressed as a Sigstore bundle v0.1, so the one bundle verifier
// checks the certificate chain, SCT, Rekor inclusion promise and signature, as cosign v3 does.
// A key-signed layer with a Rekor bundle annotation (cosign's default, seal's --tlog-upload)
// becomes a public-key bundle the same way, so its inclusion promise is checked with the key.
import { createHash } from 'node:crypto';
import { SealError } from '../errors.ts';
import { ANNOTATION } from './layout.ts';
import type { Descriptor } from '../oci/types.ts';
import type { BundleArtifact, VerifyPolicy } from '../sigstore/verify-bundle.ts';

// @sigstore/* costs ~40 ms of start-up: loaded when a bundle is actually verified, not for a
// key-signed legacy signature or attestation.
const bundleVerifier = () => import('../sigstore/verify-bundle.ts');

const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

function pemToDerBase64(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

/**
 * Undefined when the layer carries no certificate (a key-signed legacy signature), unless `withKey`
 * and it carries a Rekor bundle: then a public-key bundle (the key comes from the verify policy).
 */
export function legacyLayerToBundle(layer: Descriptor, bytes: Uint8Array, kind: 'sig' | 'att', withKey = false): object | undefined {
  const a = layer.annotations ?? {};
  const certs = [...pemToDerBase64(a[ANNOTATION.certificate] ?? ''), ...pemToDerBase64(a[ANNOTATION.chain] ?? '')];
  if (certs.length === 0 && !(withKey && a[ANNOTATION.bundle])) return undefined;
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
    ...(certs.length > 0 ? { x509CertificateChain: { certificates: certs.map((rawBytes) => ({ rawBytes })) } } : { publicKey: { hint: '' } }),
    tlogEntries,
    timestampVerificationData: { rfc3161Timestamps: timestamps },
  };
  if (kind === 'att') {
    const env = JSON.parse(Buffer.from(bytes).toString('utf8')) as { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
    return {
      mediaType: BUNDLE_V01,
      verificationMaterial,
      dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid ?? '' })) },
    };
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

/**
 * The transparency-log check of a layer verified with a key: its Rekor bundle annotation (SET and
 * body) is always verified, against the policy's trusted root (given, cached or embedded), as
 * cosign does: an entry that is there but does not verify is a forgery, not a missing proof. Only
 * --insecure-ignore-tlog skips it; a missing entry fails only when required. True when an entry
 * was verified, undefined when not checked; throws (a verification SealError) when the entry is
 * bad or required and absent.
 */
export async function checkLegacyTlog(
  layer: Descriptor,
  bytes: Uint8Array,
  kind: 'sig' | 'att',
  /** What the converted bundle is verified for: the payload (sig) or the image digest (att). */
  artifact: BundleArtifact,
  policy: VerifyPolicy,
): Promise<boolean | undefined> {
  const logged = Boolean(layer.annotations?.[ANNOTATION.bundle]);
  if (!logged) {
    if (policy.requireTlog) {
      throw new SealError('verification', 'no transparency log entry (--require-tlog)', { code: 'TLOG_MISSING' });
    }
    return undefined;
  }
  if (policy.ignoreTlog) return undefined;
  let bundle: object | undefined;
  try {
    bundle = legacyLayerToBundle(layer, bytes, kind, true);
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('verification', `unreadable Rekor bundle annotation: ${(err as Error).message}`, { code: 'TLOG_BAD_ANNOTATION' });
  }
  await (await bundleVerifier()).verifyBundle(bundle, artifact, { ...policy, ignoreTlog: false });
  return true;
}
