// The Sigstore bundle media types seal accepts, and a cheap shape check for telling a bundle
// apart from other JSON (a cosign signature payload, a DSSE envelope, an in-toto statement).
// protobuf-specs: https://github.com/sigstore/protobuf-specs/blob/main/protos/sigstore_bundle.proto

export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
export const BUNDLE_V02_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
/** The v0.3 media type as first published; still written by some clients. */
export const BUNDLE_V03_LEGACY_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.3';
/** What new v0.3 bundles carry, and the `artifactType` of a bundle stored as an OCI referrer. */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export const bundleMediaTypes: readonly string[] = [BUNDLE_V01_MEDIA_TYPE, BUNDLE_V02_MEDIA_TYPE, BUNDLE_V03_LEGACY_MEDIA_TYPE, BUNDLE_V03_MEDIA_TYPE];

/** Any bundle media type, including versions seal does not know (for detection, not acceptance). */
const BUNDLE_MEDIA_TYPE_PATTERN = /^application\/vnd\.dev\.sigstore\.bundle(\+json;version=[0-9.]+|\.v[0-9.]+\+json)$/;

export const isKnownBundleMediaType = (mediaType: unknown): boolean => typeof mediaType === 'string' && bundleMediaTypes.includes(mediaType);

/**
 * True when `json` (parsed JSON) looks like a Sigstore bundle: an object whose `mediaType` is a
 * bundle media type, with `verificationMaterial` and exactly one of `messageSignature` or
 * `dsseEnvelope`. Unknown versions count as bundles here, so callers can say "unsupported bundle
 * version" rather than "not a bundle"; verifyBundle rejects them.
 */
export function isSigstoreBundle(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const b = json as Record<string, unknown>;
  if (typeof b.mediaType !== 'string' || !BUNDLE_MEDIA_TYPE_PATTERN.test(b.mediaType)) return false;
  if (typeof b.verificationMaterial !== 'object' || b.verificationMaterial === null) return false;
  const hasMessage = typeof b.messageSignature === 'object' && b.messageSignature !== null;
  const hasDsse = typeof b.dsseEnvelope === 'object' && b.dsseEnvelope !== null;
  return hasMessage !== hasDsse;
}
