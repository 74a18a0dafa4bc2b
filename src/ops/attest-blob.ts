// seal attest-blob / verify-blob-attestation: in-toto attestations about files, as Sigstore
// bundles (or, for verification, cosign's plain DSSE envelopes too).
import path from 'node:path';
import { parseEnvelope, verifyEnvelope } from '../attest/dsse.ts';
import { buildPredicate } from '../attest/predicates.ts';
import { resolvePredicateType } from '../attest/predicates.ts';
import { buildStatement, parseStatement, subjectMatches, validateStatement, type Statement } from '../attest/statement.ts';
import { signDsseBundle } from '../cosign/key-bundle.ts';
import type { TrustPolicy } from '../cosign/trust-policy.ts';
import type { Signer } from '../crypto/types.ts';
import { SealError, usageError } from '../errors.ts';
import type { Log } from '../log.ts';
import { INTOTO_PAYLOAD_TYPE } from '../oci/cosign-layout.ts';
import { digestFile, parseSha256Digest } from '../sigstore/artifact-digest.ts';
import { isSigstoreBundle } from '../sigstore/bundle-media-types.ts';
import { verifyBundle } from '../sigstore/verify-bundle.ts';
import { describeVuln } from './attest.ts';

export interface AttestBlobOptions {
  file?: string;
  /** sha256 hex of the blob, instead of reading it. */
  hash?: string;
  predicate?: Uint8Array;
  predicateName?: string;
  type: string;
  /** A ready statement to sign as is (instead of --predicate). */
  statement?: Uint8Array;
  now?: Date;
  /** Keyless: makes the DSSE bundle (Fulcio certificate, Rekor dsse entry) for the statement. */
  makeBundle?: (statement: Uint8Array) => Promise<Uint8Array>;
}

/** `signer` may be undefined only with `makeBundle`. */
export async function attestBlob(opts: AttestBlobOptions, signer: Signer | undefined, log: Log): Promise<Uint8Array> {
  let statementBytes: Uint8Array;
  if (opts.statement) {
    validateStatement(JSON.parse(Buffer.from(opts.statement).toString('utf8')));
    statementBytes = opts.statement;
  } else {
    if (!opts.predicate) throw usageError('pass --predicate FILE or --statement FILE');
    let hex = opts.hash?.toLowerCase();
    if (hex && !/^[0-9a-f]{64}$/.test(hex)) throw usageError(`--hash ${opts.hash} is not a sha256 hex digest`);
    if (!hex) {
      if (!opts.file) throw usageError('give the file to attest, or --hash');
      hex = (await digestFile(opts.file, 'sha256')).toString('hex');
    }
    const built = buildPredicate(opts.type, opts.predicate, { now: opts.now ?? new Date(), filename: opts.predicateName });
    const note = describeVuln(built);
    if (note) log.info(note);
    const name = opts.file ? path.basename(opts.file) : hex;
    statementBytes = buildStatement({
      subject: [{ name, digest: { sha256: hex } }],
      predicateType: built.predicateType,
      predicate: built.predicate,
      format: 'bundle',
    }).bytes;
  }
  if (opts.makeBundle) return opts.makeBundle(statementBytes);
  if (!signer) throw usageError('attest-blob needs --key, or an identity token for keyless signing');
  return signDsseBundle(signer, statementBytes, INTOTO_PAYLOAD_TYPE);
}

export interface VerifyBlobAttestationOptions {
  /** Bundle or DSSE envelope JSON. */
  attestation: Uint8Array;
  file?: string;
  /** `sha256:<hex>` or bare hex, instead of the file. */
  digest?: string;
  type?: string;
  checkClaims: boolean;
}

/**
 * Verifies under `policy`: with a key, a bundle or a plain DSSE envelope; keylessly (certificate
 * identity and issuer), a bundle only, checked against the trusted root.
 */
export async function verifyBlobAttestation(opts: VerifyBlobAttestationOptions, policy: TrustPolicy): Promise<Statement> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(opts.attestation).toString('utf8'));
  } catch {
    throw new SealError('input', 'the attestation is not JSON (expected a Sigstore bundle or a DSSE envelope)');
  }
  let hex: string | undefined;
  if (opts.digest) {
    const d = parseSha256Digest(opts.digest.startsWith('sha256:') ? opts.digest : `sha256:${opts.digest}`);
    if (!d) throw usageError(`--digest ${opts.digest} is not a sha256 digest`);
    hex = d.toString('hex');
  } else if (opts.file) {
    hex = (await digestFile(opts.file, 'sha256')).toString('hex');
  } else if (opts.checkClaims) {
    throw usageError('give the file, or --digest, to check the attestation is about it (or --check-claims=false)');
  }

  let payload: Uint8Array;
  const { verifier } = policy;
  if (!verifier) {
    if (!isSigstoreBundle(json)) {
      throw new SealError('verification', 'a keyless attestation must be a Sigstore bundle (a plain DSSE envelope carries no certificate)', {
        hint: 'pass the bundle attest-blob wrote with --bundle, or verify the envelope with --key',
      });
    }
    // Unchecked claims: the statement is checked against its own first sha256 subject, so the
    // certificate, log entry and signature are still verified in full.
    const digestHex = opts.checkClaims && hex ? hex : firstSubjectSha256(json);
    payload = (await verifyBundle(json, { digest: { algorithm: 'sha256', hex: digestHex } }, policy.bundle)).payload ?? new Uint8Array();
  } else if (isSigstoreBundle(json)) {
    if (!opts.checkClaims || !hex) {
      // Claims unchecked: verify the envelope signature only.
      const env = parseEnvelope(JSON.stringify((json as { dsseEnvelope?: unknown }).dsseEnvelope));
      payload = verifyEnvelope(env, [verifier]).payload;
    } else {
      payload = (await verifyBundle(json, { digest: { algorithm: 'sha256', hex } }, policy.bundle)).payload ?? new Uint8Array();
    }
  } else {
    payload = verifyEnvelope(parseEnvelope(opts.attestation), [verifier]).payload;
  }
  const statement = parseStatement(payload, 'verification');
  if (opts.checkClaims && hex && !subjectMatches(statement, { sha256: hex })) {
    throw new SealError('verification', `the attestation is not about this file: no subject has sha256 ${hex}`);
  }
  if (opts.type) {
    const wanted = resolvePredicateType(opts.type);
    if (statement.predicateType !== wanted) {
      throw new SealError('verification', `invalid predicate type: expected ${wanted}, got ${statement.predicateType}`);
    }
  }
  return statement;
}

/** The first sha256 subject of a bundle's (not yet verified) statement. */
function firstSubjectSha256(bundle: unknown): string {
  const payload = (bundle as { dsseEnvelope?: { payload?: string } }).dsseEnvelope?.payload;
  if (typeof payload !== 'string') throw new SealError('verification', 'the bundle holds no DSSE envelope');
  let statement: { subject?: { digest?: { sha256?: unknown } }[] };
  try {
    statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof statement;
  } catch {
    throw new SealError('verification', 'the bundle payload is not an in-toto statement');
  }
  const hex = statement.subject?.map((s) => s.digest?.sha256).find((d): d is string => typeof d === 'string');
  if (!hex) throw new SealError('verification', 'the statement has no sha256 subject');
  return hex;
}
