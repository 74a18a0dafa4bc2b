// OCI image layouts for tests, written directly with node:fs and node:zlib (no Docker):
// blobs/sha256/<hex>, oci-layout, index.json with org.opencontainers.image.ref.name per tag.
// Every layer holds random text, so digests differ on each run.
// https://github.com/opencontainers/image-spec/blob/v1.1.0/image-layout.md
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { tarStream, type TarEntry } from './tar.ts';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const REF_NAME = 'org.opencontainers.image.ref.name';

export interface LayoutPlatform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface LayoutBlob {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageLayout {
  dir: string;
  tag: string;
  /** The manifest's digest, size and media type (what the tag points at). */
  digest: string;
  size: number;
  mediaType: string;
  config: LayoutBlob;
  layers: LayoutBlob[];
  platform: LayoutPlatform;
}

export interface IndexLayout {
  dir: string;
  tag: string;
  digest: string;
  size: number;
  mediaType: string;
  children: Array<{ digest: string; size: number; mediaType: string; platform: LayoutPlatform }>;
}

export interface ImageLayoutOptions {
  /** Default amd64. */
  arch?: string;
  variant?: string;
  /** Adds payload.bin with this many random bytes to the layer (e.g. 200 MiB for benchmarks). */
  extraBytes?: number;
  /** Default 'latest'. An existing entry with the same tag in index.json is replaced. */
  tag?: string;
}

/** Where a blob lives in a layout. */
export const blobPath = (dir: string, digest: string): string => join(dir, 'blobs', ...digest.split(':'));

async function initLayout(dir: string): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
}

async function putBlob(dir: string, bytes: Uint8Array, mediaType: string): Promise<LayoutBlob> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(blobPath(dir, digest), bytes);
  return { mediaType, digest, size: bytes.length };
}

async function* randomChunks(size: number): AsyncGenerator<Uint8Array> {
  const CHUNK = 1 << 20;
  for (let left = size; left > 0; left -= CHUNK) yield randomBytes(Math.min(CHUNK, left));
}

/** Streams tar -> gzip -> file, hashing both sides: the layer digest and its diff_id. */
async function putLayer(dir: string, entries: TarEntry[], level: number): Promise<LayoutBlob & { diffId: string }> {
  const tarHash = createHash('sha256');
  const gzHash = createHash('sha256');
  let size = 0;
  const tmp = join(dir, 'blobs', 'sha256', `.tmp-${randomUUID()}`);
  await pipeline(
    tarStream(entries),
    async function* (source: AsyncIterable<Uint8Array>) {
      for await (const chunk of source) {
        tarHash.update(chunk);
        yield chunk;
      }
    },
    createGzip({ level }),
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        gzHash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(tmp),
  );
  const digest = `sha256:${gzHash.digest('hex')}`;
  await rename(tmp, blobPath(dir, digest));
  return { mediaType: OCI_LAYER_GZIP, digest, size, diffId: `sha256:${tarHash.digest('hex')}` };
}

/** Writes layer, config and manifest blobs for one platform; does not touch index.json. */
async function writeImage(
  dir: string,
  platform: LayoutPlatform,
  extraBytes: number,
): Promise<{ manifest: LayoutBlob; config: LayoutBlob; layers: LayoutBlob[] }> {
  const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const hello = [
    `hello from a seal test image, arch=${platform.architecture}`,
    `random: ${randomBytes(24).toString('base64')}`,
    `created: ${created}`,
    '',
  ].join('\n');
  const entries: TarEntry[] = [{ name: 'etc/' }, { name: 'etc/hostname', data: Buffer.from('seal-test\n') }, { name: 'hello.txt', data: Buffer.from(hello) }];
  if (extraBytes > 0) entries.push({ name: 'payload.bin', stream: { size: extraBytes, chunks: () => randomChunks(extraBytes) } });
  // Random data does not compress: a big payload is stored (level 0) rather than burning CPU.
  const layer = await putLayer(dir, entries, extraBytes > 16 << 20 ? 0 : 6);
  const config = await putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        created,
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        os: platform.os,
        config: { Env: ['PATH=/'], Cmd: ['/hello.txt'] },
        rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        history: [{ created, created_by: 'seal test harness (test/harness/oci-layout.ts)' }],
      }),
    ),
    OCI_CONFIG,
  );
  const layers = [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }];
  const manifest = await putBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config,
        layers,
        annotations: { 'org.opencontainers.image.title': 'seal-test-image' },
      }),
    ),
    OCI_MANIFEST,
  );
  return { manifest, config, layers };
}

/** Points `tag` in index.json at `desc`, replacing an earlier entry with that tag. */
async function tagLayout(dir: string, desc: LayoutBlob, tag: string): Promise<void> {
  const indexFile = join(dir, 'index.json');
  let index: { schemaVersion: 2; manifests: Array<LayoutBlob & { annotations?: Record<string, string> }> };
  try {
    index = JSON.parse(await readFile(indexFile, 'utf8'));
  } catch {
    index = { schemaVersion: 2, manifests: [] };
  }
  index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  index.manifests.push({ ...desc, annotations: { [REF_NAME]: tag } });
  const tmp = `${indexFile}.${randomUUID()}.tmp`;
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, indexFile);
}

/** A single-platform image (one gzip layer, OCI config, OCI manifest) tagged in `dir`. */
export async function makeImageLayout(dir: string, opts: ImageLayoutOptions = {}): Promise<ImageLayout> {
  const tag = opts.tag ?? 'latest';
  const platform: LayoutPlatform = { architecture: opts.arch ?? 'amd64', os: 'linux' };
  if (opts.variant) platform.variant = opts.variant;
  await initLayout(dir);
  const { manifest, config, layers } = await writeImage(dir, platform, opts.extraBytes ?? 0);
  await tagLayout(dir, manifest, tag);
  return { dir, tag, digest: manifest.digest, size: manifest.size, mediaType: OCI_MANIFEST, config, layers, platform };
}

/** An OCI index over linux/amd64 and linux/arm64/v8 images, tagged in `dir`. */
export async function makeIndexLayout(dir: string, opts: { tag?: string; extraBytes?: number } = {}): Promise<IndexLayout> {
  const tag = opts.tag ?? 'latest';
  await initLayout(dir);
  const platforms: LayoutPlatform[] = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ];
  const children: IndexLayout['children'] = [];
  for (const platform of platforms) {
    const { manifest } = await writeImage(dir, platform, opts.extraBytes ?? 0);
    children.push({ ...manifest, platform });
  }
  const index = await putBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: children })), OCI_INDEX);
  await tagLayout(dir, index, tag);
  return { dir, tag, digest: index.digest, size: index.size, mediaType: OCI_INDEX, children };
}
