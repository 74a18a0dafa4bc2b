// An ImageStore (src/oci/store.ts) held in memory, for unit tests of the operations in src/ops:
// what an op reads and writes, without a registry, a layout directory or a network. It behaves as
// a registry that follows the distribution spec: manifests by tag and digest, digest-checked blobs,
// a referrers API (optional) that lists every manifest whose `subject` is a digest, and tag writes
// that honour If-Match (optional). Every call is logged in `calls` so a test can count requests.
//
//   const registry = new MemoryRegistry();
//   const { ref } = registry.addImage('mem.test/app:v1');
//   await signImages({ images: [ref], store: registry.storeOptions(), ... }, env);
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SealError } from '../../src/errors.ts';
import { OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.ts';
import { parseReference, repositoryName, type ImageReference } from '../../src/oci/reference.ts';
import type { BlobInfo, ImageStore, PutManifestOptions, PutManifestResult, StoreOptions } from '../../src/oci/store.ts';
import type { Descriptor, FetchedManifest } from '../../src/oci/types.ts';

const sha256 = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface MemoryStoreOptions {
  /** Answer referrers() (OCI 1.1 registries); false: null, so callers use the tag-schema fallback. */
  referrersApi?: boolean;
  /** putManifest honours ifMatch as a compare-and-swap. */
  atomicTagUpdates?: boolean;
}

interface StoredManifest {
  bytes: Uint8Array;
  mediaType: string;
}

/** One call an op made: the method and its first argument (a tag, a digest). */
export interface StoreCall {
  method: string;
  arg?: string;
}

export class MemoryStore implements ImageStore {
  readonly ref: ImageReference;
  readonly name: string;
  readonly atomicTagUpdates: boolean;
  dockerMediaTypes?: boolean;
  attachmentTagPrefix?: string;
  readonly manifests = new Map<string, StoredManifest>();
  readonly tags = new Map<string, string>();
  readonly blobs: Map<string, Uint8Array>;
  readonly calls: StoreCall[] = [];
  readonly #referrersApi: boolean;
  /** Runs before each call; a test throws from it to make the store fail. */
  beforeCall?: (call: StoreCall) => void;

  constructor(ref: ImageReference | string, opts: MemoryStoreOptions = {}, blobs = new Map<string, Uint8Array>()) {
    this.ref = typeof ref === 'string' ? parseReference(ref) : ref;
    this.name = repositoryName(this.ref);
    this.atomicTagUpdates = opts.atomicTagUpdates ?? false;
    this.#referrersApi = opts.referrersApi ?? true;
    this.blobs = blobs;
  }

  #call(method: string, arg?: string): void {
    const call = arg === undefined ? { method } : { method, arg };
    this.calls.push(call);
    this.beforeCall?.(call);
  }

  /** How many calls of this method were made. */
  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  async getManifest(reference: string): Promise<FetchedManifest | null> {
    this.#call('getManifest', reference);
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(reference);
    const m = digest === undefined ? undefined : this.manifests.get(digest);
    if (!m || digest === undefined) return null;
    return { digest, mediaType: m.mediaType, bytes: Uint8Array.from(m.bytes), etag: digest };
  }

  async resolve(reference: string): Promise<Descriptor | null> {
    this.#call('resolve', reference);
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(reference);
    const m = digest === undefined ? undefined : this.manifests.get(digest);
    return m && digest ? { mediaType: m.mediaType, digest, size: m.bytes.length } : null;
  }

  async putManifest(bytes: Uint8Array, mediaType: string, opts: PutManifestOptions = {}): Promise<PutManifestResult> {
    this.#call('putManifest', opts.tag);
    const digest = sha256(bytes);
    if (opts.tag !== undefined && opts.ifMatch !== undefined && this.atomicTagUpdates && (this.tags.get(opts.tag) ?? '') !== opts.ifMatch) {
      throw new SealError('conflict', `tag ${opts.tag} in ${this.name} changed while it was being updated`, { code: 'PRECONDITION_FAILED' });
    }
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      layers?: Descriptor[];
      manifests?: Descriptor[];
      config?: Descriptor;
      subject?: Descriptor;
    };
    // A registry refuses a manifest whose blobs it does not hold (an index's manifests likewise).
    for (const d of [...(doc.layers ?? []), ...(doc.config ? [doc.config] : [])]) {
      if (!this.blobs.has(d.digest)) throw new SealError('registry', `${this.name}: blob ${d.digest} unknown (MANIFEST_BLOB_UNKNOWN)`);
    }
    this.manifests.set(digest, { bytes: Uint8Array.from(bytes), mediaType });
    if (opts.tag !== undefined) this.tags.set(opts.tag, digest);
    return { digest, ...(doc.subject && this.#referrersApi ? { subjectIndexed: true } : {}) };
  }

  async deleteManifest(digest: string): Promise<void> {
    this.#call('deleteManifest', digest);
    if (!this.manifests.delete(digest)) throw new SealError('not-found', `manifest ${digest} not found in ${this.name}`);
    for (const [tag, d] of this.tags) if (d === digest) this.tags.delete(tag);
  }

  async deleteTag(tag: string): Promise<void> {
    this.#call('deleteTag', tag);
    this.tags.delete(tag);
  }

  async listTags(): Promise<string[]> {
    this.#call('listTags');
    return [...this.tags.keys()].sort();
  }

  async hasBlob(digest: string): Promise<boolean> {
    this.#call('hasBlob', digest);
    return this.blobs.has(digest);
  }

  async getBlob(digest: string, opts: { maxBytes?: number; onProgress?: (done: number, total?: number) => void } = {}): Promise<Uint8Array> {
    this.#call('getBlob', digest);
    const b = this.blobs.get(digest);
    if (!b) throw new SealError('not-found', `blob ${digest} is missing from ${this.name}`);
    // As every store: what comes back matches its digest (a test that changes `blobs` sees the refusal).
    if (sha256(b) !== digest) throw new SealError('verification', `blob ${digest} in ${this.name} does not match its digest`);
    if (b.length > (opts.maxBytes ?? 128 * 1024 * 1024))
      throw new SealError('registry', `blob ${digest} is larger than ${opts.maxBytes} bytes`, { code: 'BLOB_TOO_LARGE' });
    opts.onProgress?.(b.length, b.length);
    return Uint8Array.from(b);
  }

  async openBlob(digest: string): Promise<AsyncIterable<Uint8Array>> {
    this.#call('openBlob', digest);
    const b = this.blobs.get(digest);
    if (!b) throw new SealError('not-found', `blob ${digest} is missing from ${this.name}`);
    if (sha256(b) !== digest) throw new SealError('verification', `blob ${digest} in ${this.name} does not match its digest`);
    return (async function* () {
      yield Uint8Array.from(b);
    })();
  }

  async putBlob(data: Uint8Array, opts: { onProgress?: (done: number, total?: number) => void } = {}): Promise<BlobInfo> {
    const digest = sha256(data);
    this.#call('putBlob', digest);
    this.blobs.set(digest, Uint8Array.from(data));
    opts.onProgress?.(data.length, data.length);
    return { digest, size: data.length };
  }

  async putBlobFile(file: string, known?: BlobInfo): Promise<BlobInfo> {
    this.#call('putBlobFile', file);
    const data = await readFile(file);
    const digest = sha256(data);
    if (known && known.digest !== digest) throw new SealError('verification', `${file} does not match the expected digest ${known.digest}`);
    this.blobs.set(digest, data);
    return { digest, size: data.length };
  }

  async referrers(digest: string, opts: { artifactType?: string } = {}): Promise<Descriptor[] | null> {
    this.#call('referrers', digest);
    if (!this.#referrersApi) return null;
    const out: Descriptor[] = [];
    for (const [d, m] of this.manifests) {
      const doc = JSON.parse(Buffer.from(m.bytes).toString('utf8')) as {
        subject?: Descriptor;
        artifactType?: string;
        config?: Descriptor;
        annotations?: Record<string, string>;
      };
      if (doc.subject?.digest !== digest) continue;
      const artifactType = doc.artifactType ?? doc.config?.mediaType;
      if (opts.artifactType && artifactType !== opts.artifactType) continue;
      out.push({
        mediaType: m.mediaType,
        digest: d,
        size: m.bytes.length,
        ...(artifactType ? { artifactType } : {}),
        ...(doc.annotations ? { annotations: doc.annotations } : {}),
      });
    }
    return out;
  }

  /** Adds a one-layer image (random content) under `tag`; returns its manifest digest. */
  addImage(tag: string, content: string = `layer ${Math.random()}`): string {
    const layer = Buffer.from(content);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    this.blobs.set(sha256(layer), layer);
    this.blobs.set(sha256(config), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
      }),
    );
    const digest = sha256(manifest);
    this.manifests.set(digest, { bytes: manifest, mediaType: OCI_MANIFEST });
    this.tags.set(tag, digest);
    return digest;
  }

  /** Adds an index of `children` (manifest digests already here) under `tag`; returns its digest. */
  addIndex(tag: string, children: string[]): string {
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: children.map((d, i) => ({
          mediaType: OCI_MANIFEST,
          digest: d,
          size: this.manifests.get(d)!.bytes.length,
          platform: { os: 'linux', architecture: ['amd64', 'arm64', 's390x'][i % 3] },
        })),
      }),
    );
    const digest = sha256(index);
    this.manifests.set(digest, { bytes: index, mediaType: OCI_INDEX });
    this.tags.set(tag, digest);
    return digest;
  }

  /** The manifest a tag or digest names, parsed. */
  manifestJson(reference: string): Record<string, unknown> {
    const digest = reference.startsWith('sha256:') ? reference : this.tags.get(reference);
    const m = digest === undefined ? undefined : this.manifests.get(digest);
    if (!m) throw new Error(`no manifest ${reference} in ${this.name}`);
    return JSON.parse(Buffer.from(m.bytes).toString('utf8')) as Record<string, unknown>;
  }
}

/**
 * Repositories in memory, opened by reference: each `host/repo` is one MemoryStore (made on first
 * use), blobs shared per host as on a registry. `storeOptions()` gives the StoreOptions an op takes,
 * with `open` pointing here, so the op's openStore finds these stores instead of a network.
 */
export class MemoryRegistry {
  readonly stores = new Map<string, MemoryStore>();
  readonly #blobs = new Map<string, Map<string, Uint8Array>>();
  readonly opts: MemoryStoreOptions;

  constructor(opts: MemoryStoreOptions = {}) {
    this.opts = opts;
  }

  store(ref: ImageReference | string): MemoryStore {
    const r = typeof ref === 'string' ? parseReference(ref) : ref;
    const key = repositoryName(r);
    let s = this.stores.get(key);
    if (!s) {
      const host = r.kind === 'registry' ? r.registry : 'layout';
      let blobs = this.#blobs.get(host);
      if (!blobs) this.#blobs.set(host, (blobs = new Map()));
      s = new MemoryStore(r, this.opts, blobs);
      this.stores.set(key, s);
    }
    return s;
  }

  /** A new image at `ref` (host/repo:tag); returns the reference by tag and its digest. */
  addImage(ref: string, content?: string): { ref: string; digest: string } {
    const r = parseReference(ref);
    const tag = r.tag ?? 'latest';
    const digest = this.store(r).addImage(tag, content);
    return { ref, digest };
  }

  storeOptions(extra: Partial<StoreOptions> = {}): StoreOptions {
    return {
      env: {},
      log: { info() {}, debug() {}, warn() {} },
      open: async (ref: ImageReference) => this.store(ref),
      ...extra,
    };
  }
}
