// seal attach attestation: attach an attestation signed elsewhere. A DSSE envelope goes into the
// image's `.att` image as one more layer (legacy, as cosign attach attestation); a Sigstore bundle
// goes in as an OCI 1.1 referrer (bundle format). Everything is checked before anything is written:
// the statement must name this image's digest, and with a key the signature must verify.
import { decodeEnvelopePayload, parseEnvelope, toEnvelope, verifyEnvelope } from '../attest/dsse.ts';
import { parseStatement, subjectMatches, type Statement, IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import { openImage, type ResolvedImage } from '../cosign/image.ts';
import { appendLegacyLayer } from '../cosign/legacy.ts';
import { attachBundle } from '../cosign/referrer-bundles.ts';
import type { Verifier } from '../crypto/types.ts';
import { SealError, inputError } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, DSSE_MEDIA_TYPE } from '../cosign/layout.ts';
import { digestHex, sha256Digest } from '../oci/digest.ts';
import type { StoreOptions } from '../oci/store.ts';
import { isSigstoreBundle } from '../sigstore/bundle-media-types.ts';
import { defaultTufCacheDir } from '../sigstore/tuf-cache-dir.ts';
import type { OpEnv } from './op-env.ts';

export interface AttachAttestationOptions {
  image: string;
  /** The file's exact bytes: a DSSE envelope (JSON) or a Sigstore bundle. */
  attestation: Uint8Array;
  /** Shown in messages. */
  name: string;
  /** When given, the attestation must verify with this key before it is attached. */
  verifier?: Verifier;
  /** trusted_root.json for verifying a bundle's transparency log entry (with `verifier`). */
  trustedRootPath?: string;
  store: StoreOptions;
  now?: Date;
}

export interface AttachedAttestation {
  image: string;
  digest: string;
  predicateType: string;
  format: 'legacy' | 'bundle';
  /** The `.att` tag, or the referrer manifest digest. */
  location: string;
  /** The attestation's signature was checked with --key. */
  verified: boolean;
}

/** A DSSE envelope or a Sigstore bundle, parsed and checked for what can be checked offline. */
type Parsed = { format: 'legacy'; statement: Statement; verify: (v: Verifier) => void } | { format: 'bundle'; statement: Statement; bundle: unknown };

export function parseAttestationFile(bytes: Uint8Array, name: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw inputError(`${name} is not JSON (expected a DSSE envelope or a Sigstore bundle)`, {
      hint: 'one envelope per file; cosign-style JSON streams of several envelopes are not read',
    });
  }
  if (isSigstoreBundle(json)) {
    const dsse = (json as { dsseEnvelope?: unknown }).dsseEnvelope;
    if (dsse === undefined) {
      throw inputError(`${name} is a Sigstore bundle with a message signature, not an attestation (a DSSE envelope)`, {
        hint: 'a blob signature bundle cannot be attached to an image; attach image signatures with seal attach signature',
      });
    }
    return { format: 'bundle', statement: envelopeStatement(toEnvelope(dsse), name), bundle: json };
  }
  const envelope = parseEnvelope(bytes);
  const statement = envelopeStatement(envelope, name);
  return { format: 'legacy', statement, verify: (v) => void verifyEnvelope(envelope, [v]) };
}

function envelopeStatement(envelope: ReturnType<typeof toEnvelope>, name: string): Statement {
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw inputError(`${name}: the envelope's payload type is ${JSON.stringify(envelope.payloadType)}, not ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  return parseStatement(decodeEnvelopePayload(envelope), 'input');
}

/** Refuses a statement that is not about the image (exit 3), with the digests it does name. */
export function checkStatementForImage(statement: Statement, img: ResolvedImage, name: string): void {
  if (subjectMatches(statement, { sha256: img.digest })) return;
  const named = statement.subject
    .map((s) => s.digest?.sha256)
    .filter(Boolean)
    .map((h) => `sha256:${h}`);
  throw new SealError('verification', `${name} is not about ${img.ref.original} (${img.digest}); nothing was attached`, {
    code: 'SUBJECT_MISMATCH',
    hint: named.length ? `its subjects are ${named.join(', ')}` : 'its subjects carry no sha256 digest',
  });
}

/**
 * Attaches a Sigstore bundle with a DSSE envelope as a referrer of the image, after checking that
 * its statement names the image (and, with a verifier, that it verifies). Also used by
 * `attach signature` for a bundle written by `seal sign --format bundle --upload=false`.
 */
export async function attachBundleFile(
  img: ResolvedImage,
  parsed: Extract<Parsed, { format: 'bundle' }>,
  bytes: Uint8Array,
  opts: { name: string; verifier?: Verifier; trustedRootPath?: string; store: StoreOptions; now?: Date },
  log: Log,
): Promise<{ predicateType: string; location: string }> {
  checkStatementForImage(parsed.statement, img, opts.name);
  if (opts.verifier) {
    const { verifyDsseBundleForDigest } = await import('../sigstore/verify-bundle.ts');
    const policy = { publicKeyPem: opts.verifier.publicKey.pem, trustedRootPath: opts.trustedRootPath, tufCacheDir: defaultTufCacheDir(opts.store.env) };
    const verified = await verifyDsseBundleForDigest(parsed.bundle, digestHex(img.digest), policy, { signal: opts.store.signal });
    for (const w of verified.warnings) log.debug(w);
  }
  const { predicateType } = parsed.statement;
  const store = img.attachStore;
  log.info(`Attaching bundle (${predicateType}) for ${img.digest} to ${store.name} as a referrer`);
  const desc = await attachBundle(store, img.descriptor, bytes, { predicateType, now: opts.now }, { log, signal: opts.store.signal });
  return { predicateType, location: `${store.name}@${desc.digest}` };
}

export async function attachAttestation(opts: AttachAttestationOptions, env: OpEnv): Promise<AttachedAttestation> {
  const { log } = env;
  const parsed = parseAttestationFile(opts.attestation, opts.name);
  const img = await openImage(opts.image, opts.store, log);
  const base = { image: opts.image, digest: img.digest, verified: opts.verifier !== undefined };
  if (parsed.format === 'bundle') {
    const { predicateType, location } = await attachBundleFile(img, parsed, opts.attestation, opts, log);
    return { ...base, predicateType, format: 'bundle', location };
  }
  const { predicateType } = parsed.statement;
  if (predicateType === COSIGN_SIGN_PREDICATE) {
    throw inputError(`${opts.name} is an image signature statement (${COSIGN_SIGN_PREDICATE}), not an attestation`);
  }
  checkStatementForImage(parsed.statement, img, opts.name);
  if (opts.verifier) parsed.verify(opts.verifier);
  const envelope = opts.attestation;
  const layer = {
    mediaType: DSSE_MEDIA_TYPE,
    size: envelope.length,
    digest: sha256Digest(envelope),
    annotations: { [ANNOTATION.signature]: '', [ANNOTATION.predicateType]: predicateType },
  };
  const store = img.attachStore;
  log.info(`Attaching attestation (${predicateType}) for ${img.digest} to ${store.name}`);
  const { tag } = await appendLegacyLayer(store, img.digest, 'att', layer, envelope, { log, signal: opts.store.signal });
  return { ...base, predicateType, format: 'legacy', location: `${store.name}:${tag}` };
}
