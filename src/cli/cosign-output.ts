// What cosign prints on stdout for verify (the JSON array of verified payloads) and
// verify-attestation (one DSSE envelope per line), so scripts that pipe cosign into jq work
// unchanged. cosign marshals with Go's encoding/json: struct fields in declaration order, map keys
// sorted, and <, >, & escaped; this file does the same.
import type { ImageVerification, SignatureResult } from '../ops/verify.ts';

/** A JSON string as Go's encoding/json writes it. */
function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Any JSON value as Go writes a map[string]interface{} tree: keys sorted at every level. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  return `{${keys.map((k) => `${goString(k)}:${goValue(o[k])}`).join(',')}}`;
}

interface SimpleSigning {
  critical?: { identity?: { 'docker-reference'?: string }; image?: { 'docker-manifest-digest'?: string }; type?: string };
  optional?: Record<string, unknown> | null;
}

interface StatementLike {
  subject?: { digest?: Record<string, string>; annotations?: Record<string, unknown> }[];
}

/** cosign's payload.SimpleContainerImage for one verified signature, with what cosign adds to `optional`. */
function simpleContainerImage(r: ImageVerification, s: SignatureResult): string {
  let critical: NonNullable<SimpleSigning['critical']>;
  let optional: Record<string, unknown> | null;
  if (s.format === 'legacy') {
    const p = (s.payload ?? {}) as SimpleSigning;
    critical = p.critical ?? {};
    optional = p.optional && typeof p.optional === 'object' ? { ...p.optional } : null;
  } else {
    // A bundle signs an in-toto statement about the digest; shown in the simple-signing shape.
    const st = (s.payload ?? {}) as StatementLike;
    const subject = st.subject?.find((x) => x.digest?.sha256 && `sha256:${x.digest.sha256}` === r.digest);
    critical = {
      identity: { 'docker-reference': dockerReference(r.image) },
      image: { 'docker-manifest-digest': r.digest },
      type: 'cosign container image signature',
    };
    optional = subject?.annotations && Object.keys(subject.annotations).length ? { ...subject.annotations } : null;
  }
  if (s.signer) {
    optional ??= {};
    optional.Subject = s.signer.identity ?? '';
    if (s.signer.issuer) {
      optional.Issuer = s.signer.issuer;
      optional['1.3.6.1.4.1.57264.1.1'] = s.signer.issuer;
    }
  }
  if (s.rekorBundle !== undefined) {
    optional ??= {};
    optional.Bundle = s.rekorBundle;
  }
  const c = `{"identity":{"docker-reference":${goString(critical.identity?.['docker-reference'] ?? '')}},"image":{"docker-manifest-digest":${goString(critical.image?.['docker-manifest-digest'] ?? '')}},"type":${goString(critical.type ?? '')}}`;
  return `{"critical":${c},"optional":${optional === null ? 'null' : goValue(optional)}}`;
}

/** The repository part of a reference, as cosign puts it in docker-reference. */
function dockerReference(image: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image;
  const slash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > slash ? base.slice(0, colon) : base;
}

/** cosign verify's stdout: one line, the JSON array of every verified signature of every image. */
export function cosignVerifyJson(reports: readonly ImageVerification[]): string {
  const items = reports.flatMap((r) => r.signatures.filter((s) => s.verified).map((s) => simpleContainerImage(r, s)));
  return `[${items.join(',')}]\n`;
}

/** A signature named so that several by one key over one payload are told apart. */
export function signatureLabel(s: SignatureResult): string {
  if (s.format === 'bundle') return `bundle ${s.id}`;
  const parts = [`layer ${s.layer ?? '?'} (${s.id})`];
  if (s.signatureDigest) parts.push(`signature ${s.signatureDigest.slice(0, 19)}…`);
  return `legacy ${parts.join(', ')}`;
}
