// seal attach signature: attach a signature made elsewhere (an HSM, an air-gapped machine) over a
// payload from `seal generate`, as one more layer of the image's `.sig` image: the same lossless
// append `seal sign` uses. Everything is checked before anything is written: the payload must be a
// simple-signing payload for this image's digest, the signature base64 or DER, and with a key (or
// a certificate) it must verify.
import { X509Certificate, verify as cryptoVerify } from 'node:crypto';
import { openImage } from '../cosign/image.ts';
import { appendLegacyLayer } from '../cosign/legacy.ts';
import { checkSimpleSigningClaims } from '../cosign/simple-signing.ts';
import { decodeBase64Strict, decodePemBlocks, encodePem, toBase64 } from '../crypto/pem.ts';
import type { Verifier } from '../crypto/types.ts';
import { SealError, inputError } from '../errors.ts';
import { ANNOTATION, SIMPLESIGNING_MEDIA_TYPE, SIMPLESIGNING_TYPE } from '../cosign/layout.ts';
import { sha256Digest } from '../oci/digest.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { Descriptor } from '../oci/types.ts';
import { isSigstoreBundle } from '../sigstore/bundle-media-types.ts';
import { attachBundleFile, parseAttestationFile } from './attach-attestation.ts';
import type { OpEnv } from './op-env.ts';

/** seal verify reads payloads up to this size. */
const MAX_PAYLOAD = 1024 * 1024;

export interface AttachSignatureOptions {
  image: string;
  /** The exact payload bytes that were signed (or a Sigstore bundle from sign --format bundle). */
  payload: Uint8Array;
  /** The signature file: base64 text (as cosign and seal write it) or raw DER (openssl dgst -sign). */
  signature?: Uint8Array;
  /** PEM signing certificate and chain, stored in cosign's annotations. */
  certificate?: Uint8Array;
  certificateChain?: Uint8Array;
  /** When given, the signature must verify with this key before it is attached. */
  verifier?: Verifier;
  trustedRootPath?: string;
  store: StoreOptions;
  now?: Date;
}

export interface AttachedSignature {
  image: string;
  digest: string;
  format: 'legacy' | 'bundle';
  /** The `.sig` tag, or the referrer manifest digest. */
  location: string;
  /** The signature was checked with --key (or against --certificate). */
  verified: boolean;
}

/** The signature bytes from base64 text (whitespace and line breaks allowed) or raw DER. */
export function decodeSignatureFile(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1').replace(/\s+/g, '');
  if (text === '') throw inputError('the signature file is empty');
  const decoded = /^[\x21-\x7e]+$/.test(text) ? decodeBase64Strict(text) : undefined;
  if (decoded && decoded.length > 0) return decoded;
  if (isDerSequence(bytes)) return bytes;
  throw inputError('the signature is neither base64 text nor a DER signature', {
    hint: 'pass the base64 signature (seal sign --output-signature, cosign) or the raw output of openssl dgst -sign',
    code: 'BAD_SIGNATURE_ENCODING',
  });
}

/** A DER SEQUENCE whose length covers exactly the bytes (an ECDSA signature's shape). */
function isDerSequence(b: Uint8Array): boolean {
  if (b.length < 8 || b[0] !== 0x30) return false;
  if (b[1]! < 0x80) return b[1]! + 2 === b.length;
  if (b[1] === 0x81) return b[2]! + 3 === b.length;
  return false;
}

function certificatesPem(bytes: Uint8Array, what: string): string[] {
  const blocks = decodePemBlocks(Buffer.from(bytes).toString('utf8'), what).filter((b) => b.label === 'CERTIFICATE');
  if (blocks.length === 0) throw inputError(`${what} holds no PEM CERTIFICATE block`);
  return blocks.map((b) => encodePem('CERTIFICATE', b.der));
}

function parsePayload(payload: Uint8Array): void {
  if (payload.length > MAX_PAYLOAD) throw inputError(`the payload is larger than ${MAX_PAYLOAD} bytes; it is not a simple-signing payload`);
  let json: { critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } } };
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)) as typeof json;
  } catch {
    throw inputError('the payload is not JSON', { hint: 'pass the exact file seal generate (or cosign generate) printed' });
  }
  if (json?.critical?.type !== SIMPLESIGNING_TYPE || typeof json.critical.image?.['docker-manifest-digest'] !== 'string') {
    throw inputError(`the payload is not a simple-signing payload (critical.type "${SIMPLESIGNING_TYPE}" with an image digest)`);
  }
}

export async function attachSignature(opts: AttachSignatureOptions, env: OpEnv): Promise<AttachedSignature> {
  const { log } = env;
  // A bundle from `seal sign --format bundle --upload=false --bundle F` (cosign takes it in --payload too).
  if (looksLikeBundle(opts.payload)) {
    if (opts.signature) throw new SealError('usage', 'the payload is a Sigstore bundle, which carries its own signature: drop --signature');
    const parsed = parseAttestationFile(opts.payload, 'the payload bundle');
    if (parsed.format !== 'bundle') throw new SealError('internal', 'expected a bundle');
    const img = await openImage(opts.image, opts.store, log);
    const { location } = await attachBundleFile(img, parsed, opts.payload, { ...opts, name: 'the payload bundle' }, log);
    return { image: opts.image, digest: img.digest, format: 'bundle', location, verified: opts.verifier !== undefined };
  }
  if (!opts.signature) throw new SealError('usage', 'pass --signature FILE (or - for stdin) with the signature over the payload');

  // Refuse malformed input before touching the store.
  const signature = decodeSignatureFile(opts.signature);
  parsePayload(opts.payload);
  const certificate = opts.certificate && certificatesPem(opts.certificate, '--certificate')[0];
  const chain = opts.certificateChain && certificatesPem(opts.certificateChain, '--certificate-chain').join('');
  if (chain && !certificate) throw new SealError('usage', '--certificate-chain needs --certificate');

  const img = await openImage(opts.image, opts.store, log);
  const claims = checkSimpleSigningClaims(opts.payload, img.digest);
  if (!claims.ok) {
    throw new SealError('verification', `the payload is not for ${img.ref.original}: ${claims.reason}; nothing was attached`, {
      code: 'PAYLOAD_DIGEST_MISMATCH',
      hint: `make the payload for this image with: seal generate ${img.ref.original}`,
    });
  }
  if (opts.verifier && !opts.verifier.verify(opts.payload, signature)) {
    throw new SealError('verification', 'the signature does not verify over the payload with the given key; nothing was attached', {
      code: 'SIGNATURE_INVALID',
      hint: "check that the payload file is the one that was signed, byte for byte, and that --key is the signer's public key",
    });
  }
  if (certificate && !verifiesWithCertificate(certificate, opts.payload, signature)) {
    throw new SealError('verification', 'the signature does not verify with the public key of --certificate; nothing was attached', {
      code: 'SIGNATURE_INVALID',
    });
  }

  const annotations: Record<string, string> = { [ANNOTATION.signature]: toBase64(signature) };
  if (certificate) {
    annotations[ANNOTATION.certificate] = certificate;
    annotations[ANNOTATION.chain] = chain ?? '';
  }
  const layer: Descriptor = {
    mediaType: SIMPLESIGNING_MEDIA_TYPE,
    size: opts.payload.length,
    digest: sha256Digest(opts.payload),
    annotations,
  };
  const store = img.attachStore;
  log.info(`Attaching signature for ${img.digest} to ${store.name}`);
  const { tag } = await appendLegacyLayer(store, img.digest, 'sig', layer, opts.payload, { log, signal: opts.store.signal });
  return {
    image: opts.image,
    digest: img.digest,
    format: 'legacy',
    location: `${store.name}:${tag}`,
    verified: opts.verifier !== undefined || certificate !== undefined,
  };
}

function looksLikeBundle(bytes: Uint8Array): boolean {
  try {
    return isSigstoreBundle(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return false;
  }
}

/** cosign's default hash per curve; RSA uses SHA-256 and Ed25519 none. */
const CURVE_HASH: Record<string, string> = { 'P-384': 'sha384', secp384r1: 'sha384', 'P-521': 'sha512', secp521r1: 'sha512' };

/** The signature checks out against the certificate's key. */
function verifiesWithCertificate(pem: string, payload: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = new X509Certificate(pem).publicKey;
    if (key.asymmetricKeyType === 'ed25519') return cryptoVerify(null, payload, key, signature);
    const hash = CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
    return cryptoVerify(hash, payload, key, signature);
  } catch {
    return false;
  }
}
