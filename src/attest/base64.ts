// Base64 as DSSE readers must take it: standard or URL-safe alphabet, padded or not
// (dsse/envelope.md; go-securesystemslib tries std then URL). Node's Buffer decoder silently skips
// characters it does not know, so the alphabet and length are checked first.

const STD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes std or URL-safe base64 (padding optional); undefined when `s` is not base64. */
export function decodeBase64(s: string): Uint8Array | undefined {
  // Go's decoder drops CR and LF, so envelopes wrapped by other tools still read.
  const text = s.replace(/[\r\n]/g, '');
  const alphabet = STD.test(text) ? 'base64' : URL_SAFE.test(text) ? 'base64url' : undefined;
  if (!alphabet) return undefined;
  const body = text.replace(/=+$/, '');
  const pad = text.length - body.length;
  if (body.length % 4 === 1) return undefined;
  if (pad > 0 && (text.length % 4 !== 0 || body.length % 4 !== 4 - pad)) return undefined;
  return new Uint8Array(Buffer.from(body, alphabet));
}

/** Standard base64 with padding, the encoding cosign writes everywhere. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
