// cosign's --platform on copy and download attestation: the reference of one platform image of a
// multi-platform index, by digest, so the rest of the command works on that image alone.
import { childDescriptors, openImage } from '../cosign/image.ts';
import { SealError } from '../errors.ts';
import { formatReference } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

/** `image` pinned to the digest of its `os/arch[/variant]` child (`REPO@sha256:…`, or `oci:DIR@sha256:…`). */
export async function platformReference({ image, platform, store }: { image: string; platform: string; store: StoreOptions }, env: OpEnv): Promise<string> {
  const { log } = env;
  const [os, arch, variant, extra] = platform.split('/');
  if (!os || !arch || extra !== undefined) {
    throw new SealError('usage', `invalid --platform "${platform}": use os/arch or os/arch/variant, e.g. linux/amd64`);
  }
  const img = await openImage(image, store, log);
  const children = childDescriptors(img.manifest);
  if (children.length === 0) throw new SealError('usage', `--platform ${platform} given, but ${image} is not a multi-platform index`);
  const match = children.find((c) => c.platform?.os === os && c.platform?.architecture === arch && (!variant || c.platform?.variant === variant));
  if (!match) {
    const list = children.map((c) => [c.platform?.os, c.platform?.architecture, c.platform?.variant].filter(Boolean).join('/')).join(', ');
    throw new SealError('not-found', `${image} has no ${platform} image; it has ${list}`);
  }
  log.info(`Using the ${platform} image ${match.digest}`);
  return formatReference(img.ref, { digest: match.digest });
}
