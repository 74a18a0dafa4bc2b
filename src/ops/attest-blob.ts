// seal attest-blob / verify-blob-attestation: in-toto attestations about files, as Sigstore
// bundles (or, for verification, cosign's plain DSSE envelopes too).
import path from 'node:path';
import { parseEnvelope, verifyEnvelope } from '../attest/dsse.ts';
import { buildPredicate } from '../attest/predicates.ts';
import { resolvePredicateType } from '../attest/predicates.ts';
import { buildStatement, parseStatement, validateStatement, type Statement, IN_TOTO_PAYLOAD_TYPE } from '../attest/statement.ts';
import type { TrustPolicy } from '../cosign/trust-policy.ts';
import { SealError, usageError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { readInput } from '../fs/read-input.ts';
import { digestFile, digestFileMulti, parseDigestArg, type DigestAlgorithm } from '../sigstore/artifact-digest.ts';
import { checkStatementSubject, subjectAlgorithms, type SubjectAlgorithm } from '../sigstore/statement-subject.ts';
import { isSigstoreBundle } from '../sigstore/bundle-media-types.ts';
import { bundleParts } from '../sigstore/bundle-parts.ts';
import { describeTimestamps, verifyBundle } from '../sigstore/verify-bundle.ts';
import { describeVuln } from './attest.ts';
import type { OpEnv } from './op-env.ts';
import { openSigner } from './signing/open.ts';
import type { SigningOptions } from './signing/types.ts';

export interface AttestBlobOptions {
  file?: string;
  /** sha256 hex of the blob, instead of reading it. */
  hash?: string;
  /** The predicate file, or `-` for stdin. */
  predicate?: string;
  type: string;
  /** A ready statement to sign as is (instead of --predicate): a file, or `-`. */
  statement?: string;
  /** Where the bundle goes. Output files are replaced when they exist, as cosign does. */
  bundle?: string;
  /** The DSSE envelope (JSON, as cosign prints it); without it and --bundle, it goes to stdout. */
  outputSignature?: string;
  /** The signed in-toto statement. */
  outputAttestation?: string;
  /** Keyless: the signing certificate (PEM); a key signature has none (a warning). */
  outputCertificate?: string;
  now?: Date;
  signing: SigningOptions;
}

/** Signs the attestation into a Sigstore bundle (a DSSE envelope) and writes the outputs; returns the bundle. */
export async function attestBlob(opts: AttestBlobOptions, env: OpEnv): Promise<Uint8Array> {
  if (!opts.predicate && !opts.statement) throw usageError('pass --predicate FILE or --statement FILE');
  const signer = await openSigner(opts.signing, env, { command: 'attest-blob' });
  try {
    await signer.prepare();
    const predicate = opts.predicate ? await readInput(opts.predicate, env, 'predicate file') : undefined;
    const statement = opts.statement ? await readInput(opts.statement, env, 'statement file') : undefined;
    let statementBytes: Uint8Array;
    if (statement) {
      validateStatement(JSON.parse(Buffer.from(statement).toString('utf8')));
      statementBytes = statement;
    } else {
      if (!predicate) throw usageError('pass --predicate FILE or --statement FILE');
      let hex = opts.hash?.toLowerCase();
      if (hex && !/^[0-9a-f]{64}$/.test(hex)) throw usageError(`--hash ${opts.hash} is not a sha256 hex digest`);
      if (!hex) {
        if (!opts.file) throw usageError('give the file to attest, or --hash');
        hex = (await digestFile(path.resolve(env.cwd, opts.file), 'sha256', env.signal)).toString('hex');
      }
      const built = buildPredicate(opts.type, predicate, { now: opts.now ?? new Date(), filename: opts.predicate });
      const note = describeVuln(built);
      if (note) env.log.info(note);
      const name = opts.file ? path.basename(opts.file) : hex;
      statementBytes = buildStatement({
        subject: [{ name, digest: { sha256: hex } }],
        predicateType: built.predicateType,
        predicate: built.predicate,
        format: 'bundle',
      }).bytes;
    }
    const bundle = await signer.dsseBundle(statementBytes, IN_TOTO_PAYLOAD_TYPE);
    const write = (file: string, data: string | Uint8Array) => writeFileAtomic(path.resolve(env.cwd, file), data, { overwrite: true, mode: 0o644 });
    const parts = bundleParts(bundle);
    if (opts.bundle !== undefined) {
      await write(opts.bundle, bundle);
      env.log.info(`Wrote bundle to file ${opts.bundle}`);
    }
    if (opts.outputSignature !== undefined) {
      await write(opts.outputSignature, parts.envelopeJson ?? '');
      env.log.info(`Signature written in ${opts.outputSignature}`);
    } else if (opts.bundle === undefined) {
      // cosign (legacy output) prints the DSSE envelope when no file is named.
      await env.writeStdout((parts.envelopeJson ?? '') + '\n');
    }
    if (opts.outputAttestation !== undefined && parts.payload) {
      await write(opts.outputAttestation, parts.payload);
      env.log.info(`Attestation written in ${opts.outputAttestation}`);
    }
    if (opts.outputCertificate !== undefined) {
      if (parts.certificatePem) {
        await write(opts.outputCertificate, parts.certificatePem);
        env.log.info(`Certificate written to file ${opts.outputCertificate}`);
      } else {
        env.log.warn(`--output-certificate: a key signature has no certificate; ${opts.outputCertificate} not written`);
      }
    }
    return bundle;
  } finally {
    await signer.close();
  }
}

export interface VerifyBlobAttestationOptions {
  /** Bundle or DSSE envelope JSON. */
  attestation: Uint8Array;
  file?: string;
  /** `ALG:HEX` or bare hex (in `digestAlg`), instead of the file. */
  digest?: string;
  /** cosign's --digestAlg: the algorithm of a bare --digest (sha256, sha384, sha512; default sha256). */
  digestAlg?: string;
  type?: string;
  checkClaims: boolean;
  /** A plain DSSE envelope carries no log entry: refuse it (--require-tlog). */
  requireTlog?: boolean;
  /** Whose attestations count: a key, or certificate identities under a trusted root. */
  trust: TrustPolicy;
}

/**
 * Verifies under `policy`: with a key, a bundle or a plain DSSE envelope; keylessly (certificate
 * identity and issuer), a bundle only, checked against the trusted root. A bundle is always
 * verified whole (signature, certificate, log entries, timestamps); the file or digest only
 * decides whether the statement must name it (cosign's --check-claims).
 */
export async function verifyBlobAttestation(opts: VerifyBlobAttestationOptions, env: OpEnv): Promise<Statement> {
  const policy = opts.trust;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(opts.attestation).toString('utf8'));
  } catch {
    throw new SealError('input', 'the attestation is not JSON (expected a Sigstore bundle or a DSSE envelope)');
  }
  let artifact: { algorithm: DigestAlgorithm; hex: string } | { path: string } | undefined;
  if (opts.digest) {
    const d = parseDigestArg(opts.digest, opts.digestAlg ?? 'sha256');
    if (!d) {
      throw usageError(`--digest ${opts.digest} is not a ${opts.digestAlg ?? 'sha256'} digest`, {
        hint: 'give ALG:HEX or hex, ALG one of sha256, sha384, sha512 (--digestAlg for bare hex)',
      });
    }
    artifact = d;
  } else if (
    opts.digestAlg !== undefined &&
    parseDigestArg('0'.repeat(64), opts.digestAlg) === undefined &&
    parseDigestArg('0'.repeat(96), opts.digestAlg) === undefined &&
    parseDigestArg('0'.repeat(128), opts.digestAlg) === undefined
  ) {
    throw usageError(`--digestAlg ${opts.digestAlg} is not supported; use sha256, sha384 or sha512`);
  } else if (opts.file) {
    artifact = { path: path.resolve(env.cwd, opts.file) };
  } else if (opts.checkClaims) {
    throw usageError('give the file, or --digest, to check the attestation is about it (or --check-claims=false)');
  }
  const claims = opts.checkClaims ? artifact : undefined;

  let payload: Uint8Array;
  const { verifier } = policy;
  if (isSigstoreBundle(json)) {
    const bundleArtifact = !claims ? { unchecked: true as const } : 'path' in claims ? { path: claims.path } : { digest: claims };
    const verified = await verifyBundle(json, bundleArtifact, { ...policy.bundle, ...(opts.requireTlog && { requireTlog: true }) });
    for (const line of describeTimestamps(verified.timestamps)) env.log?.debug(line);
    payload = verified.payload ?? new Uint8Array();
  } else if (!verifier) {
    throw new SealError('verification', 'a keyless attestation must be a Sigstore bundle (a plain DSSE envelope carries no certificate)', {
      hint: 'pass the bundle attest-blob wrote with --bundle, or verify the envelope with --key',
    });
  } else {
    if (opts.requireTlog || policy.bundle.requireTlog) {
      throw new SealError('verification', 'a plain DSSE envelope carries no transparency log entry (--require-tlog)', {
        hint: 'verify the Sigstore bundle instead',
        code: 'TLOG_MISSING',
      });
    }
    const verified = verifyEnvelope(parseEnvelope(opts.attestation), [verifier]);
    payload = verified.payload;
    if (claims) {
      let digests: Partial<Record<SubjectAlgorithm, string>>;
      if ('path' in claims) {
        const algs = subjectAlgorithms(payload);
        if (algs.length === 0) algs.push('sha256');
        const values = await digestFileMulti(claims.path, algs, env.signal);
        digests = Object.fromEntries(algs.map((a, i) => [a, values[i]!.toString('hex')]));
      } else {
        digests = { [claims.algorithm]: claims.hex };
      }
      checkStatementSubject(verified.payloadType, payload, digests);
    }
  }
  const statement = parseStatement(payload, 'verification');
  if (opts.type) {
    const wanted = resolvePredicateType(opts.type);
    if (statement.predicateType !== wanted) {
      throw new SealError('verification', `invalid predicate type: expected ${wanted}, got ${statement.predicateType}`);
    }
  }
  return statement;
}
