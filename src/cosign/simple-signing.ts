// The legacy simple-signing payload (docs/formats/cosign-formats.md b.2), serialised as Go's json.Marshal
// does (compact, sorted map keys, <>& escaped), so seal's payloads are byte-identical to cosign's.
import { SIMPLESIGNING_TYPE } from './layout.ts';

export interface SimpleSigningPayload {
  critical: {
    identity: { 'docker-reference': string };
    image: { 'docker-manifest-digest': string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/** JSON.stringify with Go's HTML escaping of <, > and & (and U+2028/2029). */
export function goJSON(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortedObject(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]!]),
  );
}

export function buildSimpleSigningPayload(dockerReference: string, digest: string, annotations: Record<string, string> = {}): Uint8Array {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: SIMPLESIGNING_TYPE,
    },
    optional: Object.keys(annotations).length ? sortedObject(annotations) : null,
  };
  return Buffer.from(goJSON(payload));
}

export type ClaimResult = { ok: true; payload: SimpleSigningPayload } | { ok: false; reason: string };

/**
 * cosign's SimpleClaimVerifier: the payload names this digest and carries every required
 * annotation. Runs on the exact bytes that were verified.
 */
export function checkSimpleSigningClaims(bytes: Uint8Array, digest: string, required: Record<string, string> = {}): ClaimResult {
  let payload: SimpleSigningPayload;
  try {
    payload = JSON.parse(Buffer.from(bytes).toString('utf8')) as SimpleSigningPayload;
  } catch {
    return { ok: false, reason: 'payload is not JSON' };
  }
  const signed = payload?.critical?.image?.['docker-manifest-digest'];
  if (typeof signed !== 'string') return { ok: false, reason: 'payload names no image digest' };
  if (signed !== digest) return { ok: false, reason: `payload is for ${signed}, not ${digest}` };
  for (const [k, v] of Object.entries(required)) {
    const got = payload.optional?.[k];
    if (got !== v) {
      return { ok: false, reason: `annotation ${k}=${v} required, payload has ${got === undefined ? 'none' : `${k}=${String(got)}`}` };
    }
  }
  return { ok: true, payload };
}
