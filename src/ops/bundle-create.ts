// seal bundle create: cosign's command for turning legacy, separately stored signing material (a
// base64 signature or a DSSE envelope, a certificate or public key, a cosign v2 `--bundle` file
// with its Rekor bundle, an RFC 3161 timestamp) into one Sigstore bundle that `verify-blob
// --bundle` and every other Sigstore client read.
//
// The transparency-log entry comes from the cosign v2 bundle (its signed entry timestamp and
// logged body), offline. Such an entry has an inclusion promise and no inclusion proof, which
// bundle v0.2+ require, so that bundle is written as v0.1; without an entry (--ignore-tlog) it is
// v0.3. cosign instead searches Rekor online for the entry; seal does not look entries up, and says
// so rather than writing a bundle without one.
import { createHash, X509Certificate } from 'node:crypto';
import { promises as fs } from 'node:fs';

import { SealError, jsonErrorDetail, messageOf } from '../errors.ts';

export const BUNDLE_V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface BundleCreateOptions {
  /** The signed file (for a message signature: its sha256 goes into the bundle). */
  artifact?: string;
  /** A file holding the base64 signature. */
  signature?: string;
  /** A cosign v2 bundle file (LocalSignedPayload: base64Signature, cert, rekorBundle). */
  legacyBundle?: string;
  /** A certificate file: PEM, or base64 of PEM as cosign writes --output-certificate. */
  certificate?: string;
  /** A public key file (PEM): the bundle names it by hint. */
  publicKey?: string;
  /** A DSSE envelope file: the bundle holds it instead of a message signature. */
  attestation?: string;
  /** A file with cosign's RFC 3161 timestamp JSON ({"SignedRFC3161Timestamp": base64}). */
  rfc3161Timestamp?: string;
  ignoreTlog?: boolean;
}

interface LegacyBundle {
  base64Signature?: string;
  cert?: string;
  rekorBundle?: { SignedEntryTimestamp?: string; Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string } };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

async function read(file: string, what: string, max = 64 * 1024 * 1024): Promise<Buffer> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > max) throw new Error(`larger than ${max} bytes`);
    return await fs.readFile(file);
  } catch (err) {
    throw new SealError('input', `cannot read ${what} ${file}: ${messageOf(err)}`);
  }
}

function parseJson<T>(bytes: Uint8Array, what: string): T {
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SealError('input', `${what} is not a JSON object`);
    return v as T;
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('input', `${what} is not JSON: ${jsonErrorDetail(err)}`);
  }
}

function decodeBase64(text: string, what: string): Buffer {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(t) || t.length === 0) throw new SealError('input', `${what} is not base64`);
  return Buffer.from(t, 'base64');
}

/** A certificate given as PEM, base64 of PEM (cosign's --output-certificate), or base64 DER. */
function certificateDer(text: string, what: string): Buffer {
  let pem = text;
  if (!pem.includes('-----BEGIN')) {
    const decoded = decodeBase64(text, what);
    pem = decoded.toString('utf8').includes('-----BEGIN')
      ? decoded.toString('utf8')
      : `-----BEGIN CERTIFICATE-----\n${decoded.toString('base64')}\n-----END CERTIFICATE-----\n`;
  }
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new SealError('input', `${what} holds no PEM certificate`);
  const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  try {
    new X509Certificate(der);
  } catch (err) {
    throw new SealError('input', `${what} is not an X.509 certificate: ${messageOf(err)}`);
  }
  return der;
}

export async function createBundle(o: BundleCreateOptions): Promise<object> {
  if (!o.artifact && !o.attestation && !o.legacyBundle) {
    throw new SealError('usage', 'bundle create needs --artifact (the signed file)', { hint: 'or --attestation for a DSSE envelope' });
  }
  if (!o.signature && !o.legacyBundle && !o.attestation) {
    throw new SealError('usage', 'bundle create needs the signature: --signature, --bundle or --attestation');
  }
  if (o.certificate && o.publicKey) throw new SealError('usage', '--certificate and --key both name the signer; give one');

  let signature: Buffer | undefined;
  let envelope: { payload: string; payloadType: string; signatures: { sig: string; keyid?: string }[] } | undefined;
  let certDer: Buffer | undefined;
  let tlogEntry: object | undefined;

  if (o.legacyBundle) {
    const lb = parseJson<LegacyBundle>(await read(o.legacyBundle, 'the bundle', 16 * 1024 * 1024), o.legacyBundle);
    if (typeof lb.base64Signature !== 'string' && typeof lb.rekorBundle !== 'object') {
      throw new SealError('input', `${o.legacyBundle} is not a cosign v2 bundle (no base64Signature or rekorBundle)`, {
        hint: 'a Sigstore bundle (mediaType …bundle…) needs no conversion: give it to verify-blob --bundle as it is',
      });
    }
    if (lb.cert) certDer = certificateDer(lb.cert, `the certificate in ${o.legacyBundle}`);
    if (lb.base64Signature) {
      const sig = decodeBase64(lb.base64Signature, `base64Signature in ${o.legacyBundle}`);
      // cosign stores an attestation's whole envelope there; a signature is raw bytes.
      try {
        const env = JSON.parse(sig.toString('utf8')) as typeof envelope;
        if (env && typeof env.payload === 'string' && Array.isArray(env.signatures)) envelope = env;
        else signature = sig;
      } catch {
        signature = sig;
      }
    }
    const rb = lb.rekorBundle;
    if (rb) {
      if (o.ignoreTlog) throw new SealError('usage', `--ignore-tlog: ${o.legacyBundle} carries a transparency-log entry; it would be dropped`);
      const p = rb.Payload;
      if (typeof rb.SignedEntryTimestamp !== 'string' || !p || typeof p.body !== 'string' || typeof p.logID !== 'string') {
        throw new SealError('input', `the rekorBundle in ${o.legacyBundle} lacks its SignedEntryTimestamp, body or logID`);
      }
      const body = parseJson<{ kind?: string; apiVersion?: string }>(decodeBase64(p.body, 'the logged body'), 'the logged body');
      tlogEntry = {
        logIndex: String(p.logIndex ?? 0),
        logId: { keyId: Buffer.from(p.logID, 'hex').toString('base64') },
        kindVersion: { kind: body.kind ?? '', version: body.apiVersion ?? '' },
        integratedTime: String(p.integratedTime ?? 0),
        inclusionPromise: { signedEntryTimestamp: rb.SignedEntryTimestamp },
        canonicalizedBody: p.body,
      };
    }
  }
  if (o.signature) signature = decodeBase64((await read(o.signature, 'the signature', 1024 * 1024)).toString('utf8'), `the signature in ${o.signature}`);
  if (o.attestation) {
    envelope = parseJson(await read(o.attestation, 'the attestation', 64 * 1024 * 1024), o.attestation);
    if (
      typeof envelope!.payload !== 'string' ||
      typeof envelope!.payloadType !== 'string' ||
      !Array.isArray(envelope!.signatures) ||
      envelope!.signatures.length === 0
    ) {
      throw new SealError('input', `${o.attestation} is not a DSSE envelope (payload, payloadType, signatures)`);
    }
  }
  if (o.certificate) certDer = certificateDer((await read(o.certificate, 'the certificate', 1024 * 1024)).toString('utf8'), o.certificate);

  let hint: string | undefined;
  if (o.publicKey) {
    const { createPublicKey } = await import('node:crypto');
    try {
      const der = createPublicKey(await read(o.publicKey, 'the public key', 1024 * 1024)).export({ format: 'der', type: 'spki' });
      hint = createHash('sha256').update(der).digest('base64');
    } catch (err) {
      if (err instanceof SealError) throw err;
      throw new SealError('input', `${o.publicKey} is not a public key: ${messageOf(err)}`, { hint: 'give the PEM public key (cosign.pub)' });
    }
  }
  if (!certDer && hint === undefined) {
    throw new SealError('usage', 'bundle create needs the signer: --certificate, --key, or a --bundle with a certificate');
  }
  if (!tlogEntry && !o.ignoreTlog) {
    throw new SealError('usage', 'no transparency-log entry to put in the bundle', {
      hint: 'give the cosign v2 --bundle that holds the Rekor bundle, or --ignore-tlog for a bundle without one (seal does not search Rekor)',
    });
  }

  const timestamps = o.rfc3161Timestamp
    ? [
        {
          signedTimestamp: rfc3161(
            parseJson<{ SignedRFC3161Timestamp?: unknown }>(await read(o.rfc3161Timestamp, 'the timestamp', 1024 * 1024), o.rfc3161Timestamp),
            o.rfc3161Timestamp,
          ),
        },
      ]
    : [];

  let content: object;
  if (envelope) {
    content = {
      dsseEnvelope: {
        payload: envelope.payload,
        payloadType: envelope.payloadType,
        signatures: [{ sig: envelope.signatures[0]!.sig, keyid: envelope.signatures[0]!.keyid ?? '' }],
      },
    };
  } else {
    if (!o.artifact) throw new SealError('usage', 'a message signature needs --artifact (its sha256 goes into the bundle)');
    const digest = await sha256File(o.artifact);
    content = { messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: b64(signature!) } };
  }
  const v01 = tlogEntry !== undefined; // v0.1 has no single-certificate form
  return {
    mediaType: tlogEntry ? BUNDLE_V01 : BUNDLE_V03,
    verificationMaterial: {
      ...(certDer
        ? v01
          ? { x509CertificateChain: { certificates: [{ rawBytes: b64(certDer) }] } }
          : { certificate: { rawBytes: b64(certDer) } }
        : { publicKey: { hint } }),
      tlogEntries: tlogEntry ? [tlogEntry] : [],
      timestampVerificationData: { rfc3161Timestamps: timestamps },
    },
    ...content,
  };
}

function rfc3161(doc: { SignedRFC3161Timestamp?: unknown }, what: string): string {
  if (typeof doc.SignedRFC3161Timestamp !== 'string') throw new SealError('input', `${what} has no SignedRFC3161Timestamp`);
  return b64(decodeBase64(doc.SignedRFC3161Timestamp, `the timestamp in ${what}`));
}

async function sha256File(file: string): Promise<Buffer> {
  const { createReadStream } = await import('node:fs');
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  } catch (err) {
    throw new SealError('input', `cannot read the artifact ${file}: ${messageOf(err)}`);
  }
  return h.digest();
}
