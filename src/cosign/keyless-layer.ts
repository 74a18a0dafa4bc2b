// Keyless signatures in cosign v2's legacy storage: the Sigstore bundle that keyless signing
// returns (Fulcio leaf, Rekor v1 entry with its inclusion promise, optional RFC 3161 timestamp)
// re-expressed as the `.sig`/`.att` layer annotations cosign v2 writes (docs/formats/cosign-formats.md b.4,
// b.5, d.4). Also key signatures logged with --tlog-upload (a bundle with a public-key hint and a
// Rekor entry): their layers get the signature and bundle annotations only, as cosign writes them.
// legacy-bundle.ts is the inverse, used by verification.
import { createHash } from 'node:crypto';
import { SealError } from '../errors.ts';
import { ANNOTATION } from './layout.ts';

interface TlogEntryJSON {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  canonicalizedBody: string;
}

interface KeylessBundleJSON {
  verificationMaterial: {
    publicKey?: { hint?: string };
    certificate?: { rawBytes: string };
    x509CertificateChain?: { certificates: { rawBytes: string }[] };
    tlogEntries?: TlogEntryJSON[];
    timestampVerificationData?: { rfc3161Timestamps?: { signedTimestamp: string }[] };
  };
  messageSignature?: { signature: string };
  dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] };
}

export interface LegacyKeylessLayer {
  /** Layer annotations: signature, certificate, chain, bundle and (with a TSA) rfc3161timestamp. */
  annotations: Record<string, string>;
  /** DSSE only: the envelope JSON, byte for byte what Rekor logged (the `.att` layer blob). */
  envelope?: Uint8Array;
}

const pem = (derBase64: string): string => `-----BEGIN CERTIFICATE-----\n${derBase64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

/**
 * The legacy layer annotations for a keyless bundle. A message-signature bundle gives a `.sig`
 * layer (its hashedrekord entry is over sha256 of the simple-signing payload); a DSSE bundle gives
 * an `.att` layer whose blob is the logged envelope and whose signature annotation is empty.
 */
export function legacyKeylessLayer(bundleBytes: Uint8Array): LegacyKeylessLayer {
  const b = JSON.parse(Buffer.from(bundleBytes).toString('utf8')) as KeylessBundleJSON;
  const vm = b.verificationMaterial;
  const certs = vm.certificate ? [vm.certificate] : (vm.x509CertificateChain?.certificates ?? []);
  const [leaf, ...chain] = certs;
  if (!leaf && !vm.publicKey) throw new SealError('internal', 'the bundle has no signing certificate and no public key');
  const entry = vm.tlogEntries?.[0];
  if (!entry?.inclusionPromise) throw new SealError('internal', 'the bundle has no Rekor entry with an inclusion promise');

  // cosign's struct order (capitalised outer keys, body/integratedTime/logIndex/logID inside),
  // numbers as JSON integers, the log ID as hex.
  const rekorBundle = {
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
    Payload: {
      body: entry.canonicalizedBody,
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
    },
  };
  const annotations: Record<string, string> = { [ANNOTATION.signature]: b.messageSignature?.signature ?? '' };
  if (leaf) {
    annotations[ANNOTATION.certificate] = pem(leaf.rawBytes);
    // v3 keyless keeps only the leaf, so the chain is "" (docs/formats/cosign-formats.md b.4).
    annotations[ANNOTATION.chain] = chain.map((c) => pem(c.rawBytes)).join('');
  }
  annotations[ANNOTATION.bundle] = JSON.stringify(rekorBundle);
  const timestamp = vm.timestampVerificationData?.rfc3161Timestamps?.[0];
  if (timestamp) annotations[ANNOTATION.rfc3161] = JSON.stringify({ SignedRFC3161Timestamp: timestamp.signedTimestamp });

  if (!b.dsseEnvelope) return { annotations };
  // The `.att` blob must be exactly the envelope Rekor logged (its envelopeHash): verification
  // compares the two, so check here rather than push an attestation nobody can verify.
  const envelope = Buffer.from(JSON.stringify(b.dsseEnvelope));
  const body = JSON.parse(Buffer.from(entry.canonicalizedBody, 'base64').toString('utf8')) as {
    spec?: { envelopeHash?: { value?: string } };
  };
  const logged = body.spec?.envelopeHash?.value;
  const actual = createHash('sha256').update(envelope).digest('hex');
  if (logged !== actual) {
    throw new SealError('internal', `the Rekor entry logged another envelope serialization (sha256 ${logged}, layer ${actual})`);
  }
  return { annotations, envelope };
}
