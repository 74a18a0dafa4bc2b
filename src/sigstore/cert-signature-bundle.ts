// cosign verify-blob --certificate CERT --signature SIG (goreleaser's default verification): a
// keyless signature kept as two files. seal turns them into a Sigstore bundle and verifies that
// whole, like any other: the certificate chains to the trusted root's Fulcio, the identity matches,
// and the Rekor entry (looked up online by the artifact's digest, as cosign does, unless
// --insecure-ignore-tlog) proves when it was signed.
import { X509Certificate } from 'node:crypto';
import { SealError, messageOf } from '../errors.ts';

export interface CertSignatureInput {
  /** The --certificate file's content: PEM, base64 of PEM (what goreleaser writes), or DER. */
  certificate: Uint8Array;
  /** The --certificate-chain file's content (PEM), if given. */
  chain?: Uint8Array;
  signature: Uint8Array;
  /** SHA-256 of the artifact, hex. */
  digestHex: string;
}

export interface RekorLookup {
  rekorUrl: string;
  signal?: AbortSignal;
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** Every certificate in `bytes` (PEM, base64 of PEM, or one DER), as DER. */
export function certificatesOf(bytes: Uint8Array, what: string): Buffer[] {
  let text = Buffer.from(bytes).toString('latin1');
  if (!text.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('latin1');
    if (decoded.includes('-----BEGIN')) text = decoded;
  }
  const ders = [...text.matchAll(PEM_RE)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (ders.length === 0) ders.push(Buffer.from(bytes));
  for (const der of ders) {
    try {
      new X509Certificate(der);
    } catch (err) {
      throw new SealError('input', `${what} is not an X.509 certificate (PEM, base64 PEM or DER): ${messageOf(err)}`, { code: 'BAD_CERTIFICATE' });
    }
  }
  return ders;
}

const pemOf = (der: Buffer): string =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;

/** The bundle (v0.3, or v0.2 when a chain is given) for a certificate and a message signature. */
export function certSignatureBundle(input: CertSignatureInput, tlogEntries: unknown[]): Record<string, unknown> {
  const [leaf] = certificatesOf(input.certificate, '--certificate');
  const chain = input.chain ? certificatesOf(input.chain, '--certificate-chain') : [];
  const verificationMaterial: Record<string, unknown> = chain.length
    ? { x509CertificateChain: { certificates: [leaf!, ...chain].map((d) => ({ rawBytes: d.toString('base64') })) } }
    : { certificate: { rawBytes: leaf!.toString('base64') } };
  verificationMaterial.tlogEntries = tlogEntries;
  verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
  return {
    mediaType: chain.length ? 'application/vnd.dev.sigstore.bundle+json;version=0.2' : 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: Buffer.from(input.digestHex, 'hex').toString('base64') },
      signature: Buffer.from(input.signature).toString('base64'),
    },
  };
}

interface RekorEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: {
    signedEntryTimestamp?: string;
    inclusionProof?: { logIndex: number; rootHash: string; treeSize: number; hashes: string[]; checkpoint?: string };
  };
}

const MAX_ENTRIES = 16;
const MAX_RESPONSE = 4 << 20;

/**
 * The Rekor (v1 API) entries for this certificate and signature, as bundle tlogEntries: searched
 * by the artifact digest, fetched, and kept when their body names exactly this signature and
 * certificate. What they prove is checked later, with the bundle, against the trusted root.
 */
export async function lookUpRekorEntries(input: CertSignatureInput, opts: RekorLookup): Promise<unknown[]> {
  const base = opts.rekorUrl.replace(/\/+$/, '');
  const [leaf] = certificatesOf(input.certificate, '--certificate');
  const sigB64 = Buffer.from(input.signature).toString('base64');
  const request = async (url: string, init: RequestInit = {}): Promise<unknown> => {
    const signal = AbortSignal.any([AbortSignal.timeout(opts.timeoutMs ?? 30_000), ...(opts.signal ? [opts.signal] : [])]);
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal, redirect: 'error', headers: { 'content-type': 'application/json', accept: 'application/json' } });
    } catch (err) {
      throw new SealError('network', `cannot reach Rekor at ${base} to find the signature's log entry: ${messageOf(err)}`, {
        cause: err,
        hint: 'verify a bundle offline (sign-blob --bundle), or pass --insecure-ignore-tlog when a TSA timestamp says when it was signed',
      });
    }
    const text = await res.text();
    if (text.length > MAX_RESPONSE) throw new SealError('network', `Rekor at ${base} answered with more than ${MAX_RESPONSE >> 20} MiB`);
    if (!res.ok) throw new SealError('network', `Rekor at ${base} answered ${res.status} to ${new URL(url).pathname}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new SealError('network', `Rekor at ${base} answered with something that is not JSON`);
    }
  };
  const uuids = await request(`${base}/api/v1/index/retrieve`, { method: 'POST', body: JSON.stringify({ hash: `sha256:${input.digestHex}` }) });
  if (!Array.isArray(uuids)) return [];
  const entries: unknown[] = [];
  for (const uuid of uuids.slice(0, MAX_ENTRIES).map(String)) {
    if (!/^[0-9a-f]{64,80}$/.test(uuid)) continue;
    const answer = (await request(`${base}/api/v1/log/entries/${uuid}`)) as Record<string, RekorEntry>;
    for (const e of Object.values(answer ?? {})) {
      let body: { kind?: string; apiVersion?: string; spec?: { signature?: { content?: string; publicKey?: { content?: string } } } };
      try {
        body = JSON.parse(Buffer.from(e.body, 'base64').toString('utf8'));
      } catch {
        continue;
      }
      const sig = body.spec?.signature;
      if (body.kind !== 'hashedrekord' || sig?.content !== sigB64 || !sig.publicKey?.content) continue;
      const logged = certificatesOf(Buffer.from(sig.publicKey.content, 'base64'), 'the Rekor entry certificate')[0];
      if (!logged?.equals(leaf!)) continue;
      const proof = e.verification?.inclusionProof;
      const hexB64 = (h: string) => Buffer.from(h, 'hex').toString('base64');
      entries.push({
        logIndex: String(e.logIndex),
        logId: { keyId: hexB64(e.logID) },
        kindVersion: { kind: body.kind, version: body.apiVersion ?? '0.0.1' },
        integratedTime: String(e.integratedTime),
        ...(e.verification?.signedEntryTimestamp ? { inclusionPromise: { signedEntryTimestamp: e.verification.signedEntryTimestamp } } : {}),
        ...(proof
          ? {
              inclusionProof: {
                logIndex: String(proof.logIndex ?? 0),
                rootHash: hexB64(proof.rootHash),
                treeSize: String(proof.treeSize),
                hashes: (proof.hashes ?? []).map(hexB64),
                ...(proof.checkpoint ? { checkpoint: { envelope: proof.checkpoint } } : {}),
              },
            }
          : {}),
        canonicalizedBody: e.body,
      });
    }
  }
  return entries;
}

export { pemOf };
