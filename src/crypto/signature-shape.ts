// Telling a malformed signature from a wrong one, so verify-blob can say which: an ECDSA
// signature must be DER SEQUENCE { INTEGER r, INTEGER s } with 0 < r, s < 2^bits; RSA is exactly
// the modulus length; Ed25519 is 64 bytes. Structure only; validity is the verifier's job.
import type { KeyAlgorithm } from './types.ts';

const EC_BYTES: Readonly<Record<string, number>> = { 'ecdsa-p256': 32, 'ecdsa-p384': 48, 'ecdsa-p521': 66 };

/** Why `sig` cannot be a signature of this key type, or undefined when its shape is right. */
export function signatureShapeProblem(alg: KeyAlgorithm, sig: Uint8Array, rsaModulusBytes?: number): string | undefined {
  if (sig.length === 0) return 'the signature is empty';
  if (alg === 'ed25519') return sig.length === 64 ? undefined : `an Ed25519 signature is 64 bytes, this one is ${sig.length}`;
  if (alg === 'rsa') {
    if (rsaModulusBytes !== undefined && sig.length !== rsaModulusBytes) {
      return `an RSA-${rsaModulusBytes * 8} signature is ${rsaModulusBytes} bytes, this one is ${sig.length}`;
    }
    return undefined;
  }
  return derEcdsaProblem(sig, EC_BYTES[alg]!);
}

function derEcdsaProblem(sig: Uint8Array, size: number): string | undefined {
  const bad = 'it is not an ASN.1 DER ECDSA signature';
  let pos = 0;
  const readLen = (): number | undefined => {
    const first = sig[pos++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first === 0x81) {
      const n = sig[pos++];
      return n !== undefined && n >= 0x80 ? n : undefined; // long form only where needed (DER)
    }
    return undefined; // ECDSA signatures never exceed 255 content bytes
  };
  if (sig[pos++] !== 0x30) return bad;
  const seqLen = readLen();
  if (seqLen === undefined || pos + seqLen !== sig.length) return bad;
  for (let i = 0; i < 2; i++) {
    if (sig[pos++] !== 0x02) return bad;
    const len = readLen();
    if (len === undefined || len === 0 || pos + len > sig.length) return bad;
    const int = sig.subarray(pos, pos + len);
    if (int[0]! & 0x80) return bad; // negative
    if (len > 1 && int[0] === 0 && !(int[1]! & 0x80)) return bad; // non-minimal encoding
    const magnitude = int[0] === 0 ? len - 1 : len;
    if (magnitude > size) return `${bad} for this curve (an integer is too large)`;
    if (int.every((b) => b === 0)) return `${bad} (an integer is zero)`;
    pos += len;
  }
  return pos === sig.length ? undefined : bad;
}
