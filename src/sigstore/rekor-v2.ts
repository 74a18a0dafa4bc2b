// A Rekor v2 log entry for a signature (rekor-tiles API: POST /api/v2/log/entries). @sigstore/sign
// has a v2 witness, but it uploads DSSE as a `dsse` entry and labels every key a certificate with
// P-256 details (sigstore-js.md §2.1, §7); the current Rekor v2 spec (§6.1.4, followed by
// sigstore-go, sigstore-python and sigstore-rust) logs DSSE as a hashedrekord over the envelope's
// PAE. So seal builds the request itself: hashedrekord v0.0.2 over the message digest, or over
// sha256(PAE(type, payload)) for DSSE, with the real key details.
// A v2 entry carries no signed entry timestamp: callers must also get an RFC 3161 timestamp.
import { createHash, X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';

import type { TransparencyLogEntry } from '@sigstore/bundle';
import { TransparencyLogEntry as TlogEntryCodec } from '@sigstore/protobuf-specs';
import type { SignatureBundle, VerificationMaterial, Witness } from '@sigstore/sign';

export interface RekorV2Options {
  /** The log's base URL (the signing config's rekorTlogUrls url). */
  baseUrl: string;
  timeoutMs?: number;
  /** Retries of connection errors, 408, 429 and 5xx (default 2). */
  retries?: number;
  fetch?: typeof globalThis.fetch;
}

/** The error shape @sigstore/sign's witnesses throw, so keylessError reads both alike. */
class TlogError extends Error {
  code = 'TLOG_CREATE_ENTRY_ERROR';
  constructor(message: string, cause: { statusCode?: number; message: string }) {
    super(message, { cause });
  }
}

const PAE = (type: string, payload: Buffer): Buffer => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);

/** Rekor's PublicKeyDetails name for a key, as its spec lists them. */
export function keyDetails(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return 'PKIX_ECDSA_P256_SHA_256';
    if (d.namedCurve === 'secp384r1') return 'PKIX_ECDSA_P384_SHA_384';
    if (d.namedCurve === 'secp521r1') return 'PKIX_ECDSA_P521_SHA_512';
  }
  // hashedrekord needs a prehashed signature: Ed25519 keys are logged as Ed25519ph (sigstore-go).
  if (key.asymmetricKeyType === 'ed25519') return 'PKIX_ED25519_PH';
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 2048;
    return bits >= 4096 ? 'PKIX_RSA_PKCS1V15_4096_SHA256' : bits >= 3072 ? 'PKIX_RSA_PKCS1V15_3072_SHA256' : 'PKIX_RSA_PKCS1V15_2048_SHA256';
  }
  throw new Error(`Rekor v2 has no key details for a ${key.asymmetricKeyType ?? 'unknown'} key`);
}

const keyOf = (pem: string): KeyObject => (pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem));

/** The hash of the signing algorithm, which also hashes a DSSE PAE for the entry (P-384: sha384, ...). */
function prehash(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return 'sha384';
  if (curve === 'secp521r1' || key.asymmetricKeyType === 'ed25519') return 'sha512';
  return 'sha256';
}

/** The CreateEntryRequest (protobuf JSON) for a signature by the key or certificate in `pem`. */
export function createEntryRequest(content: SignatureBundle, pem: string): unknown {
  let digest: Buffer;
  let signature: Buffer;
  if (content.$case === 'messageSignature') {
    const m = content.messageSignature;
    if (!m.messageDigest) throw new Error('the message signature has no digest');
    digest = m.messageDigest.digest;
    signature = m.signature;
  } else {
    const env = content.dsseEnvelope;
    const sig = env.signatures[0];
    if (!sig) throw new Error('the envelope has no signature');
    digest = createHash(prehash(keyOf(pem)))
      .update(PAE(env.payloadType, env.payload))
      .digest();
    signature = sig.sig;
  }
  const isCert = pem.includes('BEGIN CERTIFICATE');
  const key = keyOf(pem);
  const der = isCert ? new X509Certificate(pem).raw : key.export({ format: 'der', type: 'spki' });
  const verifier = isCert ? { x509Certificate: { rawBytes: der.toString('base64') } } : { publicKey: { rawBytes: der.toString('base64') } };
  return {
    hashedRekordRequestV002: {
      digest: digest.toString('base64'),
      signature: { content: signature.toString('base64'), verifier: { ...verifier, keyDetails: keyDetails(key) } },
    },
  };
}

export class RekorV2Witness implements Witness {
  readonly #opts: RekorV2Options;

  constructor(opts: RekorV2Options) {
    this.#opts = opts;
  }

  async testify(content: SignatureBundle, publicKey: string): Promise<VerificationMaterial> {
    const url = `${this.#opts.baseUrl.replace(/\/+$/, '')}/api/v2/log/entries`;
    const body = JSON.stringify(createEntryRequest(content, publicKey));
    const fetch = this.#opts.fetch ?? globalThis.fetch;
    const retries = this.#opts.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let text: string;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 30_000),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        if (attempt < retries) {
          await pause(attempt);
          continue;
        }
        const e = err as { cause?: { code?: string }; message?: string };
        throw new TlogError('error creating tlog entry', { message: e.cause?.code ?? e.message ?? String(err) });
      }
      if (status === 201 || status === 200) return { tlogEntries: [parseEntry(text)] };
      if ((status === 408 || status === 429 || status >= 500) && attempt < retries) {
        await pause(attempt);
        continue;
      }
      throw new TlogError('error creating tlog entry', { statusCode: status, message: `(${status}) ${text.slice(0, 200)}` });
    }
  }
}

const pause = (attempt: number) => new Promise((done) => setTimeout(done, 500 * 2 ** attempt));

function parseEntry(text: string): TransparencyLogEntry {
  let entry: TransparencyLogEntry;
  try {
    entry = TlogEntryCodec.fromJSON(JSON.parse(text)) as TransparencyLogEntry;
  } catch (err) {
    throw new TlogError('error creating tlog entry', { message: `the answer is not a log entry: ${(err as Error).message}` });
  }
  if (!entry.logId || !entry.kindVersion || !entry.inclusionProof) {
    throw new TlogError('error creating tlog entry', { message: 'the answer is not a complete log entry (log id, kind, inclusion proof)' });
  }
  return entry;
}
