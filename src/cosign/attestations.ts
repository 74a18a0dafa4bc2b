// Every attestation attached to an image, in both storage formats, each verified with the given
// key and checked to be about this image. Attestations that fail are kept with the reason, so
// callers can say what they ignored.
import { decodeEnvelopePayload, parseEnvelope, verifyEnvelope } from '../attest/dsse.ts';
import { parseStatement, subjectMatches, type Statement, IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import { SealError, isSealError, messageOf } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, DSSE_MEDIA_TYPE } from './layout.ts';
import { digestHex } from '../oci/digest.ts';
import type { ImageStore } from '../oci/store.ts';
import { readLegacyLayers } from './legacy.ts';
import { checkLegacyTlog, legacyLayerToBundle } from './legacy-bundle.ts';
import { listBundles, readBundleBytes } from './referrer-bundles.ts';
import type { TrustPolicy } from './trust-policy.ts';
import type { Descriptor } from '../oci/types.ts';

// @sigstore/* costs ~40 ms of start-up: loaded when a bundle is actually verified, not for a
// key-signed legacy signature or attestation.
const bundleVerifier = () => import('../sigstore/verify-bundle.ts');

const MAX_ENVELOPE = 64 * 1024 * 1024;
/**
 * Distinct attestation bytes read for one image. Referrers that share a layer share one buffer,
 * so hundreds of them pointing at one large bundle cost that bundle once; past this, the image
 * has more attestation data than any real one and is refused (registry error) rather than read.
 */
export const MAX_ATTESTATION_BYTES = 256 * 1024 * 1024;

export interface FoundAttestation {
  format: 'legacy' | 'bundle';
  /** Layer digest (legacy) or referrer manifest digest (bundle). */
  id: string;
  /** From the storage annotation: unauthenticated, for filtering and messages only. */
  claimedPredicateType?: string;
  /** The exact stored bytes: the envelope JSON (legacy) or the bundle JSON. */
  bytes: Uint8Array;
  /** Legacy: the layer, whose annotations may carry a certificate and a Rekor bundle. */
  layer?: Descriptor;
}

export interface CheckedAttestation extends FoundAttestation {
  verified: boolean;
  /** The verified statement (from the exact verified payload bytes). */
  statement?: Statement;
  predicateType?: string;
  /** A transparency log entry was verified (true) or was bad/missing and required (false); absent: not checked. */
  tlog?: boolean;
  /** Bundles: each RFC 3161 timestamp and log entry time, used or not and why (describeTimestamps), for --verbose. */
  timestampNotes?: string[];
  error?: string;
}

export async function findAttestations(store: ImageStore, digest: string, log?: Log): Promise<FoundAttestation[]> {
  const out: FoundAttestation[] = [];
  const buffers = new Map<string, Uint8Array | null>(); // blob digest → bytes (null: unreadable)
  let total = 0;
  const read = async (blob: string, load: () => Promise<Uint8Array>): Promise<Uint8Array | null> => {
    if (buffers.has(blob)) return buffers.get(blob)!;
    let bytes: Uint8Array | null = null;
    try {
      bytes = await load();
    } catch (err) {
      if (isSealError(err, 'interrupted')) throw err;
      log?.warn(`cannot read attestation layer ${blob}: ${messageOf(err)}`);
    }
    buffers.set(blob, bytes);
    total += bytes?.length ?? 0;
    if (total > MAX_ATTESTATION_BYTES) {
      throw new SealError('registry', `${store.name} holds more than ${MAX_ATTESTATION_BYTES / 1024 / 1024} MiB of attestations for ${digest}; refused`, {
        code: 'TOO_MUCH_ATTESTATION_DATA',
        hint: 'remove old ones with seal clean --type attestation',
      });
    }
    return bytes;
  };
  // Both storage generations are listed at once (the .att tag; the referrers API and fallback
  // tag); the blobs are then read one at a time. When both listings fail, the legacy error is
  // the one reported.
  const [legacyRead, bundlesRead] = await Promise.allSettled([readLegacyLayers(store, digest, 'att'), listBundles(store, digest, log)]);
  if (legacyRead.status === 'rejected') throw legacyRead.reason;
  if (bundlesRead.status === 'rejected') throw bundlesRead.reason;
  const legacy = legacyRead.value;
  for (const layer of legacy.layers) {
    if (layer.mediaType !== DSSE_MEDIA_TYPE) continue;
    const bytes = await read(layer.digest, () => store.getBlob(layer.digest, { maxBytes: MAX_ENVELOPE }));
    if (!bytes) continue;
    out.push({ format: 'legacy', id: layer.digest, layer, claimedPredicateType: layer.annotations?.[ANNOTATION.predicateType], bytes });
  }
  for (const b of bundlesRead.value) {
    if (b.predicateType === COSIGN_SIGN_PREDICATE) continue; // image signatures, not attestations
    const bytes = await read(b.layer.digest, () => readBundleBytes(store, b));
    if (!bytes) continue;
    out.push({ format: 'bundle', id: b.manifest.digest, claimedPredicateType: b.predicateType, bytes });
  }
  return out;
}

/**
 * checkAttestation for each, one at a time (a bundle is parsed only while it is checked), and
 * once per distinct stored bundle: referrers sharing the same bytes share the outcome.
 */
export async function checkAttestations(found: FoundAttestation[], digest: string, policy: TrustPolicy): Promise<CheckedAttestation[]> {
  const out: CheckedAttestation[] = [];
  const byBytes = new Map<Uint8Array, CheckedAttestation>();
  for (const f of found) {
    const same = f.format === 'bundle' ? byBytes.get(f.bytes) : undefined;
    if (same) {
      out.push({ ...same, id: f.id, claimedPredicateType: f.claimedPredicateType });
      continue;
    }
    const checked = await checkAttestation(f, digest, policy);
    if (f.format === 'bundle') byBytes.set(f.bytes, checked);
    out.push(checked);
  }
  return out;
}

/**
 * The statement inside a stored attestation, NOT verified: for listing and downloading only.
 * Throws when the stored bytes are not an envelope or a DSSE bundle.
 */
export function unverifiedStatement(found: FoundAttestation): { predicateType?: string; predicate?: unknown } {
  const json = JSON.parse(Buffer.from(found.bytes).toString('utf8')) as { dsseEnvelope?: unknown };
  const env = parseEnvelope(JSON.stringify(found.format === 'bundle' ? json.dsseEnvelope : json));
  return JSON.parse(Buffer.from(decodeEnvelopePayload(env)).toString('utf8')) as { predicateType?: string; predicate?: unknown };
}

export async function checkAttestation(found: FoundAttestation, digest: string, policy: TrustPolicy): Promise<CheckedAttestation> {
  const result: CheckedAttestation = { ...found, verified: false };
  try {
    let payload: Uint8Array;
    const artifact = { digest: { algorithm: 'sha256' as const, hex: digestHex(digest) } };
    if (found.format === 'legacy' && policy.verifier) {
      const envelope = parseEnvelope(found.bytes);
      const verified = verifyEnvelope(envelope, [policy.verifier]);
      if (verified.payloadType !== IN_TOTO_PAYLOAD_TYPE) throw new Error(`payload type ${verified.payloadType} is not in-toto`);
      payload = verified.payload;
      if (found.layer) {
        result.tlog = false;
        const tlog = await checkLegacyTlog(found.layer, found.bytes, 'att', artifact, policy.bundle);
        if (tlog === undefined) delete result.tlog;
        else result.tlog = tlog;
      }
    } else if (found.format === 'legacy') {
      const bundle = found.layer && legacyLayerToBundle(found.layer, found.bytes, 'att');
      if (!bundle) throw new Error('no certificate on this attestation (it was made with a key; verify it with --key)');
      const { verifyBundle, describeTimestamps } = await bundleVerifier();
      const verified = await verifyBundle(bundle, artifact, policy.bundle);
      payload = verified.payload ?? new Uint8Array();
      result.tlog = verified.tlog;
      result.timestampNotes = describeTimestamps(verified.timestamps);
    } else {
      const bundle = JSON.parse(Buffer.from(found.bytes).toString('utf8')) as unknown;
      const { verifyBundle, describeTimestamps } = await bundleVerifier();
      const verified = await verifyBundle(bundle, artifact, policy.bundle);
      payload = verified.payload ?? new Uint8Array();
      result.tlog = verified.tlog;
      result.timestampNotes = describeTimestamps(verified.timestamps);
    }
    const statement = parseStatement(payload, 'verification');
    result.statement = statement;
    result.predicateType = statement.predicateType;
    if (!subjectMatches(statement, { sha256: digestHex(digest) })) {
      throw new Error(`the statement is not about ${digest} (a copied attestation?)`);
    }
    if (statement.predicateType === COSIGN_SIGN_PREDICATE) throw new Error('this is an image signature, not an attestation');
    result.verified = true;
  } catch (err) {
    result.error = messageOf(err);
    delete result.statement;
  }
  return result;
}
