// Transparency-log upload for signatures made with a key (`--tlog-upload`), as cosign does by
// default: the signature goes to Rekor v1 as a `hashedrekord` 0.0.1 entry (message signatures,
// with the PEM public key, not a certificate) or a `dsse` 0.0.1 entry (DSSE envelopes), and comes
// back with its inclusion promise (SET) and inclusion proof. The results are Sigstore bundles
// v0.3 with a public-key hint, the key-signed counterparts of keyless.ts's bundles; the legacy
// storage turns them into layer annotations with keyless-layer.ts.
// @sigstore/sign's RekorWitness does the protocol (retries, 409 conflicts).
import { createHash } from 'node:crypto';

import { envelopeToJSON } from '@sigstore/bundle';
import { RekorWitness } from '@sigstore/sign';

import { pae } from '../attest/dsse.ts';
import { BUNDLE_V03_MEDIA_TYPE, messageSignatureBundle, publicKeyHint } from './message-bundle.ts';
import type { Signer } from '../crypto/types.ts';
import { SealError } from '../errors.ts';
import { keylessError, PUBLIC_REKOR_URL } from './keyless.ts';

export interface TlogUploadOptions {
  /** Default: the public-good Rekor (v1 API). */
  rekorUrl?: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

/** A tlog entry as protojson writes it in a bundle (docs/formats/cosign-formats.md g.4). */
export interface TlogEntryJSON {
  logIndex: string;
  logId: { keyId: string };
  kindVersion: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: string };
  inclusionProof?: { logIndex: string; rootHash: string; treeSize: string; hashes: string[]; checkpoint: { envelope: string } };
  canonicalizedBody: string;
}

export const KEY_PUBLIC_LOG_NOTICE =
  'the signature and your public key will be published in the public Rekor transparency log and cannot be removed; pass --yes to hide this notice';

// Two retries (5xx, 408, 429 and connection errors) after 0.5 s and 1 s, as for keyless signing.
const RETRY = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 };

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Rekor's hashedrekord 0.0.1 states a SHA-256 digest and verifies the signature over it, so only
 * keys that sign SHA-256 prehashes can be logged (ECDSA P-256, RSA); refuse the others up front.
 */
export function checkLoggableKey(signer: Pick<Signer, 'hashAlgorithm' | 'publicKey'>): void {
  if (signer.hashAlgorithm !== 'sha256') {
    throw new SealError('usage', `--tlog-upload needs a key that signs SHA-256 digests (ECDSA P-256 or RSA), not ${signer.publicKey.algorithm}`, {
      hint: 'sign without --tlog-upload, or with a P-256 key (seal generate-key-pair)',
      code: 'TLOG_UNSUPPORTED_KEY',
    });
  }
}

/** Logs a signature over a SHA-256 digest as a hashedrekord entry. */
export async function logHashedRekord(
  parts: { digest: Uint8Array; signature: Uint8Array; publicKeyPem: string },
  opts: TlogUploadOptions,
): Promise<TlogEntryJSON> {
  const content = {
    $case: 'messageSignature' as const,
    messageSignature: { messageDigest: { algorithm: 1 /* SHA2_256 */, digest: buf(parts.digest) }, signature: buf(parts.signature) },
  };
  return testify(content, parts.publicKeyPem, opts);
}

/**
 * A message-signature bundle (v0.3, public-key hint, hashedrekord entry) over `data`, signed with
 * `signer` and logged; the bytes to store. For the legacy `.sig` layer (keyless-layer.ts).
 */
export async function keyMessageBundle(signer: Signer, data: Uint8Array, opts: TlogUploadOptions): Promise<Uint8Array> {
  checkLoggableKey(signer);
  const digest = createHash('sha256').update(data).digest();
  const signature = await signer.sign(data);
  const entry = await logHashedRekord({ digest, signature, publicKeyPem: signer.publicKey.pem }, opts);
  const bundle = messageSignatureBundle({
    publicKeyDer: signer.publicKey.der,
    digest: { algorithm: 'sha256', bytes: digest },
    signature,
    tlogEntries: [entry],
  });
  return Buffer.from(JSON.stringify(bundle));
}

/**
 * A DSSE bundle (v0.3, public-key hint, dsse entry) over PAE(payloadType, payload), signed with
 * `signer` and logged. The envelope is serialized exactly as it was sent to Rekor, so a legacy
 * `.att` layer made from it matches the entry's envelopeHash.
 */
export async function keyDsseBundle(signer: Signer, payload: Uint8Array, payloadType: string, opts: TlogUploadOptions): Promise<Uint8Array> {
  checkLoggableKey(signer);
  const sig = await signer.sign(pae(payloadType, payload));
  const envelope = { payload: buf(payload), payloadType, signatures: [{ sig: buf(sig), keyid: '' }] };
  const entry = await testify({ $case: 'dsseEnvelope' as const, dsseEnvelope: envelope }, signer.publicKey.pem, opts);
  const bundle = {
    mediaType: BUNDLE_V03_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: publicKeyHint(signer.publicKey.der) }, tlogEntries: [entry] },
    dsseEnvelope: envelopeToJSON(envelope),
  };
  return Buffer.from(JSON.stringify(bundle));
}

interface WitnessEntry {
  logIndex: string;
  logId: { keyId: Uint8Array };
  kindVersion?: { kind: string; version: string };
  integratedTime: string;
  inclusionPromise?: { signedEntryTimestamp: Uint8Array };
  inclusionProof?: { logIndex: string; rootHash: Uint8Array; treeSize: string; hashes: Uint8Array[]; checkpoint?: { envelope: string } };
  canonicalizedBody: Uint8Array;
}

async function testify(content: unknown, publicKeyPem: string, opts: TlogUploadOptions): Promise<TlogEntryJSON> {
  const rekorUrl = opts.rekorUrl ?? PUBLIC_REKOR_URL;
  const witness = new RekorWitness({ rekorBaseURL: rekorUrl, majorApiVersion: 1, timeout: opts.timeoutMs ?? 30_000, retry: RETRY });
  let entry: WitnessEntry | undefined;
  try {
    const material = await witness.testify(content as Parameters<RekorWitness['testify']>[0], publicKeyPem);
    entry = material.tlogEntries?.[0] as WitnessEntry | undefined;
  } catch (err) {
    // keylessError names the service and the failure in one line; there is no token to scrub.
    throw keylessError(err, { identityToken: '', rekorUrl });
  }
  if (!entry?.inclusionPromise || !entry.kindVersion) {
    throw new SealError('network', `Rekor at ${rekorUrl} returned no inclusion promise for the entry`, { code: 'TLOG_NO_PROMISE' });
  }
  const proof = entry.inclusionProof;
  return {
    logIndex: entry.logIndex,
    logId: { keyId: b64(entry.logId.keyId) },
    kindVersion: entry.kindVersion,
    integratedTime: entry.integratedTime,
    inclusionPromise: { signedEntryTimestamp: b64(entry.inclusionPromise.signedEntryTimestamp) },
    ...(proof
      ? {
          inclusionProof: {
            logIndex: proof.logIndex,
            rootHash: b64(proof.rootHash),
            treeSize: proof.treeSize,
            hashes: proof.hashes.map(b64),
            checkpoint: { envelope: proof.checkpoint?.envelope ?? '' },
          },
        }
      : {}),
    canonicalizedBody: b64(entry.canonicalizedBody),
  };
}
