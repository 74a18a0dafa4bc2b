// seal attach sbom / seal download sbom: cosign's `.sbom` tag (one layer, the exact SBOM bytes,
// overwritten on attach), plus SBOMs carried in attestations (attest --type spdxjson|cyclonedx).
import { findAttestations, unverifiedStatement } from '../cosign/attestations.ts';
import { childDescriptors, openImage, type ResolvedImage } from '../cosign/image.ts';
import { SealError } from '../errors.ts';
import type { Log } from '../log.ts';
import { ANNOTATION, attachmentTag } from '../cosign/layout.ts';
import { buildSignatureImage } from '../cosign/signature-image.ts';
import { layersOf } from '../oci/manifest.ts';
import type { StoreOptions } from '../oci/store.ts';
import { detectSbom } from '../sbom/detect.ts';
import type { OpEnv } from './op-env.ts';

const SBOM_PREDICATES: Record<string, string> = {
  'https://spdx.dev/Document': 'text/spdx+json',
  'https://cyclonedx.org/bom': 'application/vnd.cyclonedx+json',
};
const MAX_SBOM = 512 * 1024 * 1024;

export const SBOM_ATTACH_WARNING = 'Attached SBOMs are not signed; to sign one, use: seal attest --predicate FILE --type spdxjson|cyclonedx --key KEY IMAGE';

export interface AttachSbomOptions {
  image: string;
  sbom: Uint8Array;
  filename: string;
  type?: string;
  inputFormat?: string;
  store: StoreOptions;
}

/** `env.progress` hears the bytes of the SBOM as they are uploaded. */
export async function attachSbom(opts: AttachSbomOptions, env: OpEnv) {
  const { log } = env;
  const onProgress = env.progress?.('Uploading SBOM');
  const detected = detectSbom(opts.sbom, { type: opts.type, inputFormat: opts.inputFormat, filename: opts.filename });
  for (const w of detected.warnings) log.warn(w);
  const img = await openImage(opts.image, opts.store, log);
  const store = img.attachStore;
  const layer = await store.putBlob(opts.sbom, { onProgress });
  const tag = attachmentTag(store, img.digest, 'sbom');
  // The annotation makes the manifest this image's own (see ANNOTATION.attachmentSubject).
  const doc = await buildSignatureImage(store, [{ mediaType: detected.mediaType, ...layer }], null, {
    annotations: { [ANNOTATION.attachmentSubject]: img.digest },
  });
  log.warn(SBOM_ATTACH_WARNING);
  log.info(`Uploading SBOM (${detected.type}, ${detected.mediaType}) for ${img.digest} to ${store.name}:${tag}`);
  const put = await store.putManifest(doc.bytes, doc.mediaType, { tag });
  return { image: opts.image, digest: img.digest, tag: `${store.name}:${tag}`, manifest: put.digest, mediaType: detected.mediaType, type: detected.type };
}

export interface DownloadedSbom {
  bytes: Uint8Array;
  mediaType: string;
  /** Where it came from, for the message on stderr. */
  source: string;
  signed: false;
}

async function pickPlatform(img: ResolvedImage, platform: string | undefined, log: Log): Promise<string> {
  const children = childDescriptors(img.manifest);
  if (!platform) return img.digest;
  if (children.length === 0) throw new SealError('usage', `--platform ${platform} given, but ${img.ref.original} is not a multi-platform index`);
  const [os, arch, variant] = platform.split('/');
  const match = children.find((c) => c.platform?.os === os && c.platform?.architecture === arch && (!variant || c.platform?.variant === variant));
  if (!match) {
    const list = children.map((c) => [c.platform?.os, c.platform?.architecture, c.platform?.variant].filter(Boolean).join('/')).join(', ');
    throw new SealError('not-found', `${img.ref.original} has no ${platform} image; it has ${list}`);
  }
  log.info(`Using the ${platform} image ${match.digest}`);
  return match.digest;
}

export interface DownloadSbomOptions {
  image: string;
  /** os/arch[/variant]: the SBOM of this platform image of an index. */
  platform?: string;
  store: StoreOptions;
}

/** `env.progress` hears the bytes of an attached SBOM as they are downloaded. */
export async function downloadSbom(options: DownloadSbomOptions, env: OpEnv): Promise<DownloadedSbom> {
  const { image, platform, store } = options;
  const { log } = env;
  const onProgress = env.progress?.('Downloading SBOM');
  const img = await openImage(image, store, log);
  const digest = await pickPlatform(img, platform, log);
  const s = img.attachStore;
  const tag = attachmentTag(s, digest, 'sbom');
  const doc = await s.getManifest(tag);
  if (doc) {
    const layer = layersOf(doc)[0];
    if (layer) {
      return {
        bytes: await s.getBlob(layer.digest, { maxBytes: MAX_SBOM, onProgress }),
        mediaType: layer.mediaType,
        source: `${s.name}:${tag}`,
        signed: false,
      };
    }
  }
  // No attached SBOM: look for one inside an attestation (unverified here; the message says so).
  for (const att of await findAttestations(s, digest, log)) {
    const predicateType = att.claimedPredicateType;
    if (!predicateType || !SBOM_PREDICATES[predicateType]) continue;
    try {
      const { predicate } = unverifiedStatement(att);
      const bytes = Buffer.from(typeof predicate === 'string' ? predicate : JSON.stringify(predicate, null, 2) + '\n');
      const mediaType = typeof predicate === 'string' ? 'text/spdx' : SBOM_PREDICATES[predicateType]!;
      return { bytes, mediaType, source: `the ${predicateType} attestation ${att.id} (unverified: use seal verify-attestation to check it)`, signed: false };
    } catch (err) {
      log.debug(`attestation ${att.id}: ${(err as Error).message}`);
    }
  }
  const children = childDescriptors(img.manifest);
  const hint = children.length && !platform ? 'this is a multi-platform index; pass --platform os/arch' : undefined;
  throw new SealError('no-signatures', `no SBOM found for ${image} (${digest})`, { hint });
}
