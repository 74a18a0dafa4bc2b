// seal triangulate: where cosign's conventions store an image's signatures, attestations or SBOM
// (REPO:sha256-<hex>.sig/.att/.sbom, with --attachment-tag-prefix), or the image's digest reference.
import { openImage } from '../cosign/image.ts';
import { attachmentTag } from '../cosign/layout.ts';
import { formatReference } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

export type TriangulateType = 'signature' | 'attestation' | 'sbom' | 'digest';

export interface TriangulateOptions {
  image: string;
  type: TriangulateType;
  store: StoreOptions;
}

const KIND = { signature: 'sig', attestation: 'att', sbom: 'sbom' } as const;

/** The reference of the attachment image (or, for 'digest', of the image itself). */
export async function triangulate(options: TriangulateOptions, env: OpEnv): Promise<string> {
  const img = await openImage(options.image, options.store, env.log);
  if (options.type === 'digest') return formatReference(img.ref, { digest: img.digest });
  return `${img.attachStore.name}:${attachmentTag(img.attachStore, img.digest, KIND[options.type])}`;
}
