// Keyless signing: an ephemeral P-256 key certified by Fulcio for an OIDC identity, the signature
// logged in Rekor v1 (an inclusion promise and proof come back) and, optionally, timestamped by an
// RFC 3161 TSA. @sigstore/sign does the protocol; seal picks the services, reads the token and
// turns the library's errors into one SealError line that never contains the token.
// Rekor v2 logs (chosen from a signing config, src/sigstore/signing-config.ts) get seal's own
// witness (rekor-v2.ts): @sigstore/sign's v2 DSSE entries are not what current Rekor v2 wants
// (docs/design/sigstore-js.md §2.1, §7).

import { bundleToJSON, type Bundle } from '@sigstore/bundle';
import {
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';

import { SealError, type ErrorKind } from '../errors.ts';
import { RekorV2Witness } from './rekor-v2.ts';

export const PUBLIC_FULCIO_URL: string = DEFAULT_FULCIO_URL;
export const PUBLIC_REKOR_URL: string = DEFAULT_REKOR_URL;

export interface KeylessOptions {
  /** The OIDC identity token (a JWT), already read (src/oidc resolves it). */
  identityToken: string;
  /** Default: the public-good Fulcio. */
  fulcioUrl?: string;
  /** Default: the public-good Rekor (v1 API). */
  rekorUrl?: string;
  /** An RFC 3161 timestamp authority; none by default. */
  tsaUrl?: string;
  /**
   * The logs to write to, with their API version (from a signing config); when given, rekorUrl
   * only names the first for messages. Rekor v2 entries need a TSA (tsaUrls).
   */
  rekor?: { url: string; apiVersion: number }[];
  /** Every TSA to ask (from a signing config); when given, tsaUrl only names the first. */
  tsaUrls?: string[];
  /** Per request (default 30 s). */
  timeoutMs?: number;
}

// cosign v3 writes v0.3 bundles; one media type for everything seal writes.
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** A message-signature bundle (v0.3, Fulcio certificate, Rekor hashedrekord entry) over `data`. */
export async function keylessMessageBundle(data: Uint8Array, opts: KeylessOptions): Promise<Uint8Array> {
  const builder = new MessageSignatureBundleBuilder({ signer: fulcioSigner(opts), witnesses: witnesses(opts) });
  return serialize(await run(opts, () => builder.create({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) })));
}

/** A DSSE bundle (v0.3, Fulcio certificate, Rekor dsse entry) over PAE(payloadType, payload). */
export async function keylessDsseBundle(payload: Uint8Array, payloadType: string, opts: KeylessOptions): Promise<Uint8Array> {
  const builder = new DSSEBundleBuilder({ signer: fulcioSigner(opts), witnesses: witnesses(opts) });
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return serialize(await run(opts, () => builder.create({ data, type: payloadType })));
}

/** A signature over `data` by a fresh Fulcio-certified key, nothing logged: the signature and the PEM leaf. */
export async function keylessSignature(data: Uint8Array, opts: KeylessOptions): Promise<{ signature: Uint8Array; certificate: string }> {
  const signed = await run(opts, () => fulcioSigner(opts).sign(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
  if (signed.key.$case !== 'x509Certificate') throw new SealError('internal', 'Fulcio returned no signing certificate');
  return { signature: new Uint8Array(signed.signature), certificate: signed.key.certificate };
}

/** Whether uploading to `rekorUrl` publishes to the public-good log (cosign asks consent then). */
export function isPublicRekor(rekorUrl: string | undefined): boolean {
  const url = (rekorUrl ?? PUBLIC_REKOR_URL).replace(/\/+$/, '');
  if (url === PUBLIC_REKOR_URL) return true;
  // The public-good Rekor v2 shards (log2025-1.rekor.sigstore.dev, ...).
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.hostname.endsWith('.rekor.sigstore.dev');
  } catch {
    return false;
  }
}

export const PUBLIC_LOG_NOTICE =
  'the signature, the certificate and its identity (e.g. your email) will be published in the public Rekor transparency log and cannot be removed; pass --yes to hide this notice';

// Two retries (5xx, 408, 429 and connection errors) after 0.5 s and 1 s.
const RETRY = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 };

function fulcioSigner(opts: KeylessOptions): FulcioSigner {
  const token = opts.identityToken;
  return new FulcioSigner({
    fulcioBaseURL: opts.fulcioUrl ?? PUBLIC_FULCIO_URL,
    identityProvider: { getToken: async () => token },
    timeout: opts.timeoutMs ?? 30_000,
    retry: RETRY,
  });
}

function witnesses(opts: KeylessOptions): Witness[] {
  const timeout = opts.timeoutMs ?? 30_000;
  const logs = opts.rekor ?? [{ url: opts.rekorUrl ?? PUBLIC_REKOR_URL, apiVersion: 1 }];
  const list: Witness[] = logs.map((log) =>
    log.apiVersion === 2
      ? new RekorV2Witness({ baseUrl: log.url, timeoutMs: Math.max(timeout, 20_000) })
      : new RekorWitness({ rekorBaseURL: log.url, majorApiVersion: 1, timeout, retry: RETRY }),
  );
  for (const tsaUrl of opts.tsaUrls ?? (opts.tsaUrl ? [opts.tsaUrl] : [])) list.push(new TSAWitness({ tsaBaseURL: tsaUrl, timeout, retry: RETRY }));
  return list;
}

/** v0.3 with a single `certificate`, as cosign v3 writes (the library's message bundles are v0.2). */
function serialize(bundle: Bundle): Uint8Array {
  const json = bundleToJSON(bundle) as unknown as {
    mediaType: string;
    verificationMaterial: { x509CertificateChain?: { certificates: { rawBytes: string }[] }; certificate?: { rawBytes: string } };
  };
  const vm = json.verificationMaterial;
  const chain = vm.x509CertificateChain?.certificates;
  if (chain && chain.length > 0) {
    const { x509CertificateChain: _dropped, ...rest } = vm;
    json.verificationMaterial = { ...rest, certificate: chain[0]! };
  }
  json.mediaType = BUNDLE_V03;
  return Buffer.from(JSON.stringify(json));
}

async function run<T>(opts: KeylessOptions, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw keylessError(err, opts);
  }
}

interface LibraryError {
  code?: string;
  message?: string;
  cause?: { statusCode?: number; message?: string; code?: string; cause?: { code?: string } };
}

/** One line saying which service failed and how; the token is scrubbed from anything quoted. */
export function keylessError(err: unknown, opts: KeylessOptions): SealError {
  const e = (err ?? {}) as LibraryError;
  const scrub = (s: string) => (opts.identityToken ? s.split(opts.identityToken).join('<token>') : s);
  const status = e.cause?.statusCode;
  const detail = scrub(e.cause?.message ?? e.message ?? String(err))
    .replace(/\s+/g, ' ')
    .slice(0, 300);
  const service = (name: string, url: string) => `${name} at ${url}`;
  const fulcio = service('Fulcio', opts.fulcioUrl ?? PUBLIC_FULCIO_URL);
  const rekor = service('Rekor', opts.rekorUrl ?? PUBLIC_REKOR_URL);
  const tsa = service('the timestamp authority', opts.tsaUrl ?? '');
  // --verbose prints the cause chain; the library puts the token in some messages.
  const tokenError = e.code === 'IDENTITY_TOKEN_READ_ERROR' || e.code === 'IDENTITY_TOKEN_PARSE_ERROR';
  const cause = tokenError ? undefined : scrubbed(err, scrub);
  const fail = (kind: ErrorKind, message: string, hint?: string) =>
    new SealError(kind, message, { code: e.code ?? 'KEYLESS', ...(cause ? { cause } : {}), ...(hint ? { hint } : {}) });
  const failed = (what: string, hint?: string): SealError => {
    if (status === undefined) return fail('network', `could not reach ${what}: ${detail}`, 'check the URL and the network');
    if (status === 407) {
      // The forward proxy answered, not the service.
      return fail(
        'network',
        `the proxy refused the connection to ${what}: ${detail}`,
        'check the user and password in HTTPS_PROXY/HTTP_PROXY (http://USER:PASSWORD@PROXY:PORT)',
      );
    }
    if (status >= 400 && status < 500) return fail('input', `${what} refused the request: ${detail}`, hint);
    return fail('network', `${what} failed: ${detail}`, 'retry later');
  };
  switch (e.code) {
    case 'IDENTITY_TOKEN_READ_ERROR':
    case 'IDENTITY_TOKEN_PARSE_ERROR':
      return fail('input', 'the identity token is not a valid JWT', 'pass an OIDC identity token (a JWT) with --identity-token or SIGSTORE_ID_TOKEN');
    case 'CA_CREATE_SIGNING_CERTIFICATE_ERROR':
      return failed(fulcio, 'the identity token may be expired, for another audience (must be "sigstore") or from an issuer Fulcio does not trust');
    case 'TLOG_CREATE_ENTRY_ERROR':
      return failed(rekor);
    case 'TSA_CREATE_TIMESTAMP_ERROR':
      return failed(tsa);
    default:
      return fail('internal', `keyless signing failed: ${detail}`);
  }
}

/** A copy of an error chain with `scrub` applied to every message and stack. */
function scrubbed(err: unknown, scrub: (s: string) => string, depth = 0): Error | undefined {
  if (!(err instanceof Error) || depth > 5) return undefined;
  const copy = new Error(scrub(err.message));
  copy.name = err.name;
  copy.stack = scrub(err.stack ?? copy.message);
  const inner = scrubbed(err.cause, scrub, depth + 1);
  if (inner) copy.cause = inner;
  return copy;
}
