// The trusted root document (a Sigstore TrustedRoot, JSON): checked stricter than @sigstore/verify
// does and parsed. Apart from trusted-root.ts (which finds and loads roots, also from the TUF
// cache) so that the TUF cache can check a downloaded root without importing its own reader.
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial } from '@sigstore/verify';

import { SealError, messageOf } from '../errors.ts';

// trusted roots are `…trustedroot+json;version=0.1` today; the `.vX.Y+json` form is the newer spelling.
const TRUSTED_ROOT_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.[0-9]+|\.v0\.[0-9]+\+json)$/;

/** Validates the JSON of a trusted root (stricter than @sigstore/verify) and parses it. */
export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const problem = trustedRootProblem(json);
  if (problem) throw new SealError('input', `invalid trusted root ${source}: ${problem}`);
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
    // Parses every key and certificate now, so a broken root is an input error and not a
    // verification failure later.
    toTrustMaterial(root);
  } catch (err) {
    throw new SealError('input', `invalid trusted root ${source}: ${messageOf(err)}`, { cause: err });
  }
  return root;
}

/**
 * Why the trusted root JSON is unusable, or undefined. @sigstore/verify reads a missing
 * `validFor.start` as "since the beginning of time", which would let a key vouch for entries
 * from before it existed; the protobuf spec makes `start` required, and sigstore-conformance
 * (`trust-root-tlog-missing-validity-start_fail`) expects such a root to be rejected.
 */
export function trustedRootProblem(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const r = json as Record<string, unknown>;
  if (typeof r.mediaType !== 'string') return 'mediaType is missing';
  if (!TRUSTED_ROOT_MEDIA_TYPE.test(r.mediaType)) return `unsupported mediaType ${JSON.stringify(r.mediaType)}`;
  for (const field of ['tlogs', 'ctlogs'] as const) {
    const list = r[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${field} is not a list`;
    for (const [i, log] of list.entries()) {
      const where = `${field}[${i}]`;
      const key = (log as { publicKey?: Record<string, unknown> } | null)?.publicKey;
      if (!key || typeof key !== 'object') return `${where} has no publicKey`;
      if (typeof key.rawBytes !== 'string' || key.rawBytes === '') return `${where}.publicKey has no rawBytes`;
      const range = rangeProblem(key.validFor, `${where}.publicKey.validFor`);
      if (range) return range;
      const logId = (log as { logId?: { keyId?: unknown } }).logId;
      if (typeof logId?.keyId !== 'string' || logId.keyId === '') return `${where} has no logId.keyId`;
    }
  }
  for (const field of ['certificateAuthorities', 'timestampAuthorities'] as const) {
    const list = r[field];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `${field} is not a list`;
    for (const [i, ca] of list.entries()) {
      const where = `${field}[${i}]`;
      const certs = (ca as { certChain?: { certificates?: unknown } } | null)?.certChain?.certificates;
      if (!Array.isArray(certs) || certs.length === 0) return `${where} has no certChain.certificates`;
      const range = rangeProblem((ca as { validFor?: unknown }).validFor, `${where}.validFor`);
      if (range) return range;
    }
  }
  return undefined;
}

function rangeProblem(validFor: unknown, where: string): string | undefined {
  const v = validFor as { start?: unknown; end?: unknown } | undefined;
  if (!v || typeof v !== 'object' || v.start === undefined || v.start === null) return `${where}.start is missing`;
  const start = typeof v.start === 'string' ? Date.parse(v.start) : NaN;
  if (Number.isNaN(start)) return `${where}.start is not a timestamp`;
  // protobuf JSON writes an absent field as null; an open end is fine.
  if (v.end !== undefined && v.end !== null) {
    const end = typeof v.end === 'string' ? Date.parse(v.end) : NaN;
    if (Number.isNaN(end)) return `${where}.end is not a timestamp`;
    if (end < start) return `${where}.end is before its start`;
  }
  return undefined;
}
