// Every attestation attached to an image, in both storage formats, each verified with the given
// key and checked to be about this image. Attestations that fail are kept with the reason, so
// callers can say what they ignored.
import { decodeEnvelopePayload, parseEnvelope, verifyEnvelope } from '../attest/dsse.ts';
import { parseStatement, subjectMatches, type Statement } from '../attest/statement.ts';
import { messageOf } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, DSSE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE } from '../oci/cosign-layout.ts';
import { digestHex } from '../oci/digest.ts';
import type { ImageStore } from '../oci/store.ts';
import { verifyBundle } from '../sigstore/verify-bundle.ts';
import { readLegacyLayers } from './legacy.ts';
import { checkLegacyTlog, legacyLayerToBundle } from './legacy-bundle.ts';
import { readBundles } from './referrer-bundles.ts';
import type { TrustPolicy } from './trust-policy.ts';
import type { Descriptor } from '../oci/types.ts';

const MAX_ENVELOPE = 64 * 1024 * 1024;

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
  error?: string;
}

export async function findAttestations(store: ImageStore, digest: string, log?: Log): Promise<FoundAttestation[]> {
  const out: FoundAttestation[] = [];
  const legacy = await readLegacyLayers(store, digest, 'att');
  for (const layer of legacy.layers) {
    if (layer.mediaType !== DSSE_MEDIA_TYPE) continue;
    try {
      out.push({
        format: 'legacy',
        id: layer.digest,
        layer,
        claimedPredicateType: layer.annotations?.[ANNOTATION.predicateType],
        bytes: await store.getBlob(layer.digest, { maxBytes: MAX_ENVELOPE }),
      });
    } catch (err) {
      log?.warn(`cannot read attestation layer ${layer.digest}: ${messageOf(err)}`);
    }
  }
  for (const b of await readBundles(store, digest, log)) {
    if (b.predicateType === COSIGN_SIGN_PREDICATE) continue; // image signatures, not attestations
    out.push({ format: 'bundle', id: b.manifest.digest, claimedPredicateType: b.predicateType, bytes: b.bytes });
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
      if (verified.payloadType !== INTOTO_PAYLOAD_TYPE) throw new Error(`payload type ${verified.payloadType} is not in-toto`);
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
      const verified = await verifyBundle(bundle, artifact, policy.bundle);
      payload = verified.payload ?? new Uint8Array();
      result.tlog = verified.tlog;
    } else {
      const bundle = JSON.parse(Buffer.from(found.bytes).toString('utf8')) as unknown;
      const verified = await verifyBundle(bundle, artifact, policy.bundle);
      payload = verified.payload ?? new Uint8Array();
      result.tlog = verified.tlog;
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
