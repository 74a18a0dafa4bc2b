// seal verify: find an image's signatures in both storage generations and check each one over
// the exact bytes that were signed, against this image's digest and the required annotations.
import { createHash } from 'node:crypto';
import { openImageWith, resolveAhead, type ResolvedImage } from '../cosign/image.ts';
import { readLegacyLayers } from '../cosign/legacy.ts';
import { listBundles, readBundleBytes } from '../cosign/referrer-bundles.ts';
import { matchingSubjects, parseStatement } from '../attest/statement.ts';
import { buildSimpleSigningPayload, checkSimpleSigningClaims } from '../cosign/simple-signing.ts';
import { checkLegacyTlog, legacyLayerToBundle } from '../cosign/legacy-bundle.ts';
import { withKeyObject, type TrustPolicy } from '../cosign/trust-policy.ts';
import { SealError, messageOf } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, SIMPLESIGNING_MEDIA_TYPE } from '../cosign/layout.ts';
import { digestHex, sha256Digest } from '../oci/digest.ts';
import { repositoryName } from '../oci/reference.ts';
import type { Descriptor } from '../oci/types.ts';
import type { ImageStore, StoreOptions } from '../oci/store.ts';
import type { ExtensionCheck } from '../sigstore/cert-extensions.ts';
import { concurrencyLimit, mapPoolAhead } from '../util/pool.ts';
import type { OpEnv } from './op-env.ts';

// @sigstore/* costs ~40 ms of start-up: loaded when a bundle is actually verified, not for a
// key-signed legacy signature.
const bundleVerifier = () => import('../sigstore/verify-bundle.ts');

export interface VerifyImagesOptions {
  /** Whose signatures count: a key, or certificate identities under a trusted root. */
  trust: TrustPolicy;
  images: string[];
  annotations: Record<string, string>;
  store: StoreOptions;
  concurrency?: number;
}

export interface SignatureResult {
  format: 'legacy' | 'bundle';
  /** The layer digest (legacy) or referrer manifest digest (bundle). */
  id: string;
  verified: boolean;
  /**
   * tlog: true when a transparency log entry was verified (inclusion promise/proof and body), false
   * when it was bad or missing (and required); absent when not checked (docs/verify.md).
   */
  checks: { signature: boolean; tlog?: boolean; digest?: boolean; annotations?: boolean };
  error?: string;
  /** Keyless verification found no certificate on this (key-signed) signature. */
  noCertificate?: boolean;
  /** Keyless: the certificate extension checks made (--certificate-github-workflow-*, --certificate-extension). */
  extensions?: ExtensionCheck[];
  /** The verified payload (simple-signing JSON or in-toto statement); only when verified. */
  payload?: unknown;
  /** Legacy: the layer's position in the .sig manifest (0-based); tells apart signatures over one payload. */
  layer?: number;
  /** sha256 of the signature bytes: tells apart signatures by one key over one payload. */
  signatureDigest?: string;
  /** Keyless: who signed, from the verified certificate. */
  signer?: { identity?: string; issuer?: string };
  /** Legacy: the Rekor bundle annotation (SignedEntryTimestamp and entry), as cosign prints it. */
  rekorBundle?: unknown;
}

export interface ImageVerification {
  image: string;
  digest: string;
  verified: boolean;
  signatures: SignatureResult[];
  /** Referrer bundles that are attestations, not signatures (not counted). */
  ignoredAttestations: number;
  /** Set when the image could not be checked at all. */
  error?: { kind: string; message: string };
}

export async function verifyImages(opts: VerifyImagesOptions, env: OpEnv): Promise<ImageVerification[]> {
  const policy = withKeyObject(opts.trust); // the key parsed once, not per bundle
  const { log } = env;
  // A tag is resolved up to `concurrency` images ahead (mapPoolAhead): when a slot frees, the
  // next image's first round trip is behind it. A digest reference has nothing to resolve: its
  // manifest is read with its signatures (openImageWith).
  return mapPoolAhead(
    opts.images,
    concurrencyLimit(opts.concurrency),
    (image) => resolveAhead(image, opts.store, log),
    (resolved, image) => verifyImage(image, resolved, opts, policy, log),
  );
}

async function verifyImage(
  input: string,
  resolved: ResolvedImage | undefined,
  opts: VerifyImagesOptions,
  policy: TrustPolicy,
  log: Log,
): Promise<ImageVerification> {
  // Both storage generations are looked up at once (the .sig tag; the referrers API and the
  // fallback tag), and with the image's manifest when the reference names its digest; when both
  // lookups fail, the legacy one's error is the one reported, as before. Bundles are listed here
  // and read one at a time below (item 8 of issue 9: hundreds of large bundles must not be held
  // at once).
  const lookup = (store: ImageStore, digest: string) => Promise.allSettled([readLegacyLayers(store, digest, 'sig'), listBundles(store, digest, log)]);
  const {
    img,
    found: [legacyRead, bundlesRead],
  } = await openImageWith(input, opts.store, log, lookup, resolved);
  const result: ImageVerification = { image: input, digest: img.digest, verified: false, signatures: [], ignoredAttestations: 0 };
  const store = img.attachStore;
  if (legacyRead.status === 'rejected') throw legacyRead.reason;
  if (bundlesRead.status === 'rejected') throw bundlesRead.reason;
  // The bundle verifier loads (CPU) while the bundles are read (network).
  if (bundlesRead.value.length) bundleVerifier().catch(() => {}); // a failure shows where it is awaited
  const legacy = legacyRead.value;
  const expected = legacy.layers.length ? expectedPayloads(img, opts.annotations) : [];
  for (const [index, layer] of legacy.layers.entries()) {
    if (layer.mediaType !== SIMPLESIGNING_MEDIA_TYPE) continue;
    const r: SignatureResult = { format: 'legacy', id: layer.digest, verified: false, checks: { signature: false }, layer: index };
    result.signatures.push(r);
    try {
      const b64 = layer.annotations?.[ANNOTATION.signature];
      if (!b64) throw new Error('layer has no signature annotation');
      r.signatureDigest = `sha256:${createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex')}`;
      const rekorBundle = layer.annotations?.[ANNOTATION.bundle];
      if (rekorBundle) {
        try {
          r.rekorBundle = JSON.parse(rekorBundle) as unknown;
        } catch {
          // not JSON: the tlog check reports it
        }
      }
      const payload = foreseen(layer, expected) ?? (await store.getBlob(layer.digest, { maxBytes: 1024 * 1024 }));
      if (policy.verifier) {
        r.checks.signature = policy.verifier.verify(payload, Buffer.from(b64, 'base64'));
        if (!r.checks.signature) throw new Error('signature does not verify with the given key');
        r.checks.tlog = false;
        const tlog = await checkLegacyTlog(layer, payload, 'sig', { bytes: payload }, policy.bundle);
        if (tlog === undefined) delete r.checks.tlog;
        else r.checks.tlog = tlog;
      } else {
        const bundle = legacyLayerToBundle(layer, payload, 'sig');
        if (!bundle) {
          r.noCertificate = true;
          throw new Error('no certificate on this signature (it was made with a key; verify it with --key)');
        }
        const { verifyBundle, describeTimestamps } = await bundleVerifier();
        const verified = await verifyBundle(bundle, { bytes: payload }, policy.bundle);
        for (const line of describeTimestamps(verified.timestamps)) log.debug(`${input} ${layer.digest}: ${line}`);
        if (verified.signer.identity || verified.signer.issuer) r.signer = verified.signer;
        r.checks.signature = true;
        r.checks.tlog = verified.tlog;
        if (verified.extensions) r.extensions = verified.extensions;
      }
      const claims = checkSimpleSigningClaims(payload, img.digest);
      r.checks.digest = claims.ok;
      if (!claims.ok) throw new Error(claims.reason);
      const annotated = checkSimpleSigningClaims(payload, img.digest, opts.annotations);
      r.checks.annotations = annotated.ok;
      if (!annotated.ok) throw new Error(annotated.reason);
      r.verified = true;
      r.payload = annotated.payload;
    } catch (err) {
      r.error = messageOf(err);
    }
  }

  // Referrers that share a bundle layer (the same bytes) share its outcome: read and checked once.
  const byLayer = new Map<string, { r: SignatureResult; attestation: boolean }>();
  const unreadable = new Set<string>();
  for (const stored of bundlesRead.value) {
    if (unreadable.has(stored.layer.digest)) continue;
    if (stored.predicateType && stored.predicateType !== COSIGN_SIGN_PREDICATE) {
      result.ignoredAttestations++;
      continue;
    }
    const seen = byLayer.get(stored.layer.digest);
    if (seen) {
      if (seen.attestation) result.ignoredAttestations++;
      else result.signatures.push({ ...seen.r, id: stored.manifest.digest });
      continue;
    }
    let bytes: Uint8Array | undefined;
    try {
      bytes = await readBundleBytes(store, stored);
    } catch (err) {
      // As before bundles were read one at a time: an unreadable referrer is skipped, not counted.
      if (err instanceof SealError && err.kind === 'interrupted') throw err;
      log.debug(`skipping referrer ${stored.manifest.digest}: ${messageOf(err)}`);
      unreadable.add(stored.layer.digest);
      continue;
    }
    const r: SignatureResult = { format: 'bundle', id: stored.manifest.digest, verified: false, checks: { signature: false } };
    const outcome = { r, attestation: false };
    byLayer.set(stored.layer.digest, outcome);
    try {
      const bundle = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
      bytes = undefined; // only the parsed bundle from here on
      const { verifyBundle, describeTimestamps } = await bundleVerifier();
      const verified = await verifyBundle(bundle, { digest: { algorithm: 'sha256', hex: digestHex(img.digest) } }, policy.bundle);
      for (const line of describeTimestamps(verified.timestamps)) log.debug(`${input} ${stored.manifest.digest}: ${line}`);
      if (verified.signer.identity || verified.signer.issuer) r.signer = verified.signer;
      r.checks.signature = true;
      r.checks.tlog = verified.tlog;
      if (verified.extensions) r.extensions = verified.extensions;
      r.checks.digest = true; // verifyBundle matched the statement subject against the digest
      const statement = parseStatement(verified.payload ?? new Uint8Array(), 'verification');
      if (statement.predicateType !== COSIGN_SIGN_PREDICATE) {
        result.ignoredAttestations++;
        outcome.attestation = true;
        continue;
      }
      const subject = matchingSubjects(statement, { sha256: img.digest })[0];
      const missing = Object.entries(opts.annotations).filter(([k, v]) => subject?.annotations?.[k] !== v);
      r.checks.annotations = missing.length === 0;
      if (missing.length) throw new Error(`annotation ${missing[0]![0]}=${missing[0]![1]} required, not in the signed subject`);
      r.verified = true;
      r.payload = statement;
    } catch (err) {
      if (err instanceof SealError && err.kind === 'interrupted') throw err;
      r.error = messageOf(err);
    }
    result.signatures.push(r);
  }
  result.verified = result.signatures.some((s) => s.verified);
  return result;
}

/**
 * The simple-signing payloads a signer most likely signed for this image: seal and cosign write
 * the payload for (repository, digest, annotations) byte for byte alike (cosign/simple-signing.ts),
 * without annotations unless `-a` was given; the ones required here are the likely ones.
 */
function expectedPayloads(img: ResolvedImage, annotations: Record<string, string>): { digest: string; bytes: Uint8Array }[] {
  const identity = repositoryName(img.ref);
  const candidates = [buildSimpleSigningPayload(identity, img.digest)];
  if (Object.keys(annotations).length) candidates.push(buildSimpleSigningPayload(identity, img.digest, annotations));
  return candidates.map((bytes) => ({ digest: sha256Digest(bytes), bytes }));
}

/**
 * A legacy signature's payload without reading its blob, when bytes made here have the layer's
 * digest and size: content addressing makes them the stored blob (a registry could serve
 * nothing else under that digest), so the signature is checked over exactly the signed bytes,
 * one request fewer. Any other payload (another identity, other annotations, another writer's
 * serialisation) is read as before.
 */
function foreseen(layer: Descriptor, expected: { digest: string; bytes: Uint8Array }[]): Uint8Array | undefined {
  return expected.find((e) => e.digest === layer.digest && e.bytes.length === layer.size)?.bytes;
}

/** The exit condition for a set of reports: the first image that failed decides. */
export function verificationError(reports: ImageVerification[]): SealError | undefined {
  for (const r of reports) {
    if (r.verified) continue;
    if (r.signatures.length === 0) {
      return new SealError('no-signatures', `no signatures found for ${r.image} (${r.digest})`, {
        hint: r.ignoredAttestations ? `it has ${r.ignoredAttestations} attestation(s); use seal verify-attestation` : undefined,
      });
    }
    if (r.signatures.every((s) => s.noCertificate)) {
      return new SealError('no-certificate', `no certificate found on the signatures of ${r.image}`, {
        hint: 'they were made with a key; verify them with --key',
      });
    }
    const reasons = [...new Set(r.signatures.map((s) => s.error).filter(Boolean))].join('; ');
    return new SealError('no-matching', `no matching signatures for ${r.image}: ${reasons}`);
  }
  return undefined;
}
