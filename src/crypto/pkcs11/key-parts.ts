// What a token says about a public key (CKA_EC_PARAMS/CKA_EC_POINT, CKA_MODULUS/CKA_PUBLIC_EXPONENT,
// a certificate's CKA_VALUE) as a node KeyObject, and CKM_ECDSA's r‖s as the DER cosign writes.
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { SealError } from '../../errors.ts';
import { CURVE_PARAMS, type PublicKeyParts } from './protocol.ts';

/** The node KeyObject for what the token says of the public key. */
export function publicKeyFromParts(parts: PublicKeyParts, source: string): KeyObject {
  try {
    if (parts.kind === 'cert') return new X509Certificate(Buffer.from(parts.der)).publicKey;
    if (parts.kind === 'rsa') {
      const b64 = (b: Uint8Array) => Buffer.from(stripZeros(b)).toString('base64url');
      return createPublicKey({ key: { kty: 'RSA', n: b64(parts.modulus), e: b64(parts.exponent) }, format: 'jwk' });
    }
    if (parts.kind === 'ec') {
      const params = Buffer.from(parts.params).toString('hex');
      const curve = (Object.keys(CURVE_PARAMS) as (keyof typeof CURVE_PARAMS)[]).find((c) => CURVE_PARAMS[c] === params);
      if (!curve) {
        throw new SealError('input', `the key ${source} is on an elliptic curve seal does not sign with (EC params ${params.slice(0, 40)})`, {
          hint: 'use a P-256, P-384 or P-521 key',
          code: 'UNSUPPORTED_KEY',
        });
      }
      const size = curve === 'P-256' ? 32 : curve === 'P-384' ? 48 : 66;
      const point = ecPoint(parts.point, size);
      const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
      return createPublicKey({
        key: { kty: 'EC', crv: curve, x: b64(point.subarray(1, 1 + size)), y: b64(point.subarray(1 + size)) },
        format: 'jwk',
      });
    }
  } catch (err) {
    if (err instanceof SealError) throw err;
    throw new SealError('input', `the token's public key for ${source} cannot be read: ${(err as Error).message}`, { code: 'PKCS11_KEY' });
  }
  throw new SealError('input', `the key ${source} is of a type seal does not sign with (CKK ${parts.keyType})`, {
    hint: 'seal signs with ECDSA (P-256, P-384, P-521) and RSA keys on a token',
    code: 'UNSUPPORTED_KEY',
  });
}

const stripZeros = (b: Uint8Array) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

/** CKA_EC_POINT is a DER OCTET STRING around the point (some modules give the bare point). */
function ecPoint(raw: Uint8Array, size: number): Uint8Array {
  const want = 1 + 2 * size;
  if (raw.length === want && raw[0] === 4) return raw;
  if (raw[0] === 0x04) {
    let len = raw[1]!;
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | raw[2 + i]!;
      off = 2 + n;
    }
    const inner = raw.subarray(off, off + len);
    if (inner.length === want && inner[0] === 4) return inner;
  }
  throw new Error('CKA_EC_POINT is not an uncompressed point');
}

/** ECDSA r‖s (as CKM_ECDSA returns it) to the ASN.1 DER form cosign writes. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new Error(`an ECDSA signature of ${raw.length} bytes is not r‖s`);
  const int = (b: Uint8Array) => {
    const v = stripZeros(b);
    return v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : Buffer.from(v);
  };
  const r = int(raw.subarray(0, raw.length / 2));
  const s = int(raw.subarray(raw.length / 2));
  const body = Buffer.concat([Buffer.from([2, r.length]), r, Buffer.from([2, s.length]), s]);
  const len = body.length < 0x80 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30]), len, body]));
}
