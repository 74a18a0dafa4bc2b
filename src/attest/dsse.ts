// DSSE v1 envelopes (secure-systems-lab/dsse protocol.md + envelope.md, as used by cosign; spec
// docs/formats/cosign-formats.md d.3). The signature covers PAE(payloadType, payload), never the JSON around it, so
// the verifier returns the payload bytes it checked and callers must use exactly those bytes.
import { SealError, inputError, verificationError } from '../errors.ts';
import type { Signer, Verifier } from '../crypto/types.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';

export interface EnvelopeSignature {
  /** Unauthenticated hint; it may only narrow which keys are tried. */
  keyid?: string;
  /** Base64 signature over PAE. */
  sig: string;
}

/** An envelope as JSON carries it: payload and signatures still base64. */
export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: EnvelopeSignature[];
}

/** A verifier plus, optionally, the keyid it answers to (for DSSE keyid narrowing). */
export type DsseVerifier = Verifier & { readonly keyid?: string };

export interface VerifiedPayload {
  payloadType: string;
  /** The exact bytes whose signature verified. Parse these; never go back to the envelope. */
  payload: Uint8Array;
  /** The distinct verifiers that accepted at least one signature. */
  recognizedSigners: DsseVerifier[];
}

const encoder = new TextEncoder();

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal bytes. */
export function pae(type: string, body: Uint8Array): Uint8Array {
  const typeBytes = encoder.encode(type);
  const head = encoder.encode(`DSSEv1 ${typeBytes.length} `);
  const mid = encoder.encode(` ${body.length} `);
  const out = new Uint8Array(head.length + typeBytes.length + mid.length + body.length);
  out.set(head, 0);
  out.set(typeBytes, head.length);
  out.set(mid, head.length + typeBytes.length);
  out.set(body, head.length + typeBytes.length + mid.length);
  return out;
}

export interface SignEnvelopeOptions {
  /** Written as the signature's keyid. Omitted when empty unless `shape` is 'sslib'. */
  keyid?: string;
  /**
   * 'cosign-v3' (default): `{"payload","payloadType","signatures":[{"sig"[,"keyid"]}]}` as cosign 3
   * writes legacy layers. 'sslib': `{"payloadType","payload","signatures":[{"keyid","sig"}]}` as
   * cosign 2 (go-securesystemslib) wrote them, keyid always present.
   */
  shape?: 'cosign-v3' | 'sslib';
}

/**
 * Signs `payload` as a one-signature DSSE envelope. `bytes` is the JSON to store and to send to
 * Rekor: both must be these exact bytes (the Rekor dsse entry hashes them).
 */
export async function signEnvelope(
  payload: Uint8Array,
  payloadType: string,
  signer: Signer,
  opts: SignEnvelopeOptions = {},
): Promise<{ envelope: Envelope; bytes: Uint8Array }> {
  const sig = encodeBase64(await signer.sign(pae(payloadType, payload)));
  const payloadB64 = encodeBase64(payload);
  const keyid = opts.keyid ?? '';
  let envelope: Envelope;
  if (opts.shape === 'sslib') {
    envelope = { payloadType, payload: payloadB64, signatures: [{ keyid, sig }] };
  } else {
    // Field order follows envelope.proto (payload=1, payloadType=2; sig=1, keyid=2), as Go emits it.
    envelope = { payload: payloadB64, payloadType, signatures: [keyid ? { sig, keyid } : { sig }] };
  }
  return { envelope, bytes: encoder.encode(JSON.stringify(envelope)) };
}

function malformed(message: string, cause?: unknown): SealError {
  return inputError(`invalid DSSE envelope: ${message}`, { code: 'DSSE_MALFORMED', cause });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses envelope JSON. Accepts both key orders, keyid present, empty, null or absent, and std or
 * URL-safe base64 (checked here so a bad encoding is reported as such). Unknown fields are ignored.
 */
export function parseEnvelope(bytes: Uint8Array | string): Envelope {
  let value: unknown;
  try {
    const text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (err) {
    throw malformed('not JSON', err);
  }
  return toEnvelope(value);
}

/** Validates an already-decoded JSON value as an envelope (e.g. a bundle's `dsseEnvelope`). */
export function toEnvelope(value: unknown): Envelope {
  if (!isObject(value)) throw malformed('expected a JSON object');
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== 'string') throw malformed('"payloadType" must be a string');
  if (typeof payload !== 'string') throw malformed('"payload" must be a base64 string');
  if (decodeBase64(payload) === undefined) throw malformed('"payload" is not valid base64');
  if (!Array.isArray(signatures)) throw malformed('"signatures" must be an array');
  if (signatures.length === 0) throw malformed('it has no signatures');
  const sigs = signatures.map((s, i): EnvelopeSignature => {
    if (!isObject(s)) throw malformed(`signatures[${i}] must be an object`);
    if (typeof s.sig !== 'string') throw malformed(`signatures[${i}].sig must be a base64 string`);
    if (decodeBase64(s.sig) === undefined) throw malformed(`signatures[${i}].sig is not valid base64`);
    if (s.keyid !== undefined && s.keyid !== null && typeof s.keyid !== 'string') {
      throw malformed(`signatures[${i}].keyid must be a string`);
    }
    return typeof s.keyid === 'string' ? { keyid: s.keyid, sig: s.sig } : { sig: s.sig };
  });
  return { payloadType, payload, signatures: sigs };
}

/** Decodes the payload without verifying it: for display and claim checks on unverified data only. */
export function decodeEnvelopePayload(envelope: Envelope): Uint8Array {
  const payload = decodeBase64(envelope.payload);
  if (!payload) throw malformed('"payload" is not valid base64');
  return payload;
}

export interface VerifyEnvelopeOptions {
  /** How many distinct verifiers must accept (DSSE (t, n) threshold). Default 1. */
  threshold?: number;
}

/**
 * DSSE verification (protocol.md "Verify"): decode the payload once, build PAE, and for each
 * signature try every verifier whose keyid does not contradict the signature's keyid. Returns the
 * decoded payload that was verified; callers must not re-read `envelope.payload`.
 */
export function verifyEnvelope(envelope: Envelope, verifiers: readonly DsseVerifier[], opts: VerifyEnvelopeOptions = {}): VerifiedPayload {
  const threshold = opts.threshold ?? 1;
  if (verifiers.length === 0) throw inputError('no keys to verify the DSSE envelope with', { code: 'DSSE_NO_VERIFIERS' });
  if (envelope.signatures.length === 0) {
    throw verificationError('the DSSE envelope has no signatures', { code: 'DSSE_NO_SIGNATURES' });
  }
  const payload = decodeBase64(envelope.payload);
  if (!payload) throw malformed('"payload" is not valid base64');
  const message = pae(envelope.payloadType, payload);
  const recognized = new Set<DsseVerifier>();
  for (const signature of envelope.signatures) {
    const sig = decodeBase64(signature.sig);
    if (!sig || sig.length === 0) continue;
    for (const verifier of verifiers) {
      if (recognized.has(verifier)) continue;
      // keyid is unauthenticated: it may skip a key, never make a signature count.
      if (signature.keyid && verifier.keyid && signature.keyid !== verifier.keyid) continue;
      let ok = false;
      try {
        ok = verifier.verify(message, sig);
      } catch {
        ok = false;
      }
      if (ok) recognized.add(verifier);
    }
  }
  if (recognized.size === 0) {
    throw verificationError('no signature in the DSSE envelope verifies with the given key', {
      code: 'DSSE_SIGNATURE_INVALID',
      hint: 'check that the key matches the one that signed the attestation',
    });
  }
  if (recognized.size < threshold) {
    throw verificationError(`the DSSE envelope is signed by ${recognized.size} of the given keys; ${threshold} are required`, { code: 'DSSE_THRESHOLD' });
  }
  return { payloadType: envelope.payloadType, payload, recognizedSigners: [...recognized] };
}
