// cosign's conventions on a registry, in one place (docs/formats/cosign-formats.md b.4, b.6, d.4, f.1, l).

import type { ImageStore } from '../oci/store.ts';

export type AttachmentKind = 'sig' | 'att' | 'sbom';

/**
 * `sha256:abc…` → `sha256-abc….sig`: the legacy tag for signatures, attestations or SBOMs in
 * `store`, after the store's --attachment-tag-prefix (StoreOptions.attachmentTagPrefix; cosign's
 * pkg/oci/remote WithPrefix): PREFIXsha256-abc….sig.
 */
export function attachmentTag(store: Pick<ImageStore, 'attachmentTagPrefix'>, digest: string, kind: AttachmentKind): string {
  return `${store.attachmentTagPrefix ?? ''}${digest.replace(':', '-')}.${kind}`;
}

export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** The bundle v0.3 media type, also the artifactType of bundle referrers. */
export { BUNDLE_V03_MEDIA_TYPE as BUNDLE_MEDIA_TYPE } from '../sigstore/bundle-media-types.ts';
export const BUNDLE_MEDIA_TYPE_PREFIX = 'application/vnd.dev.sigstore.bundle';
export const SIMPLESIGNING_TYPE = 'cosign container image signature';
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

export const ANNOTATION = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161: 'dev.sigstore.cosign/rfc3161timestamp',
  predicateType: 'predicateType',
  bundleContent: 'dev.sigstore.bundle.content',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  created: 'org.opencontainers.image.created',
  /**
   * seal's own, on `.sbom` manifests: the digest of the image the SBOM is attached to. cosign's
   * `.sbom` manifest depends only on the SBOM's bytes, so one SBOM attached to two images was one
   * manifest behind two tags, and deleting it for one image deleted it for the other. cosign
   * reads the layer only and ignores manifest annotations.
   */
  attachmentSubject: 'dev.seal.attachment.subject',
} as const;
