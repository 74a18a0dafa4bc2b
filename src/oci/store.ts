// One repository's content, wherever it lives: a registry (src/oci/registry/) or an OCI image
// layout directory (src/oci/layout.ts). Everything above this interface (signatures,
// attestations, SBOMs, referrers) works the same on both.
import type { Log } from '../log.ts';
import type { TransferOptions } from '../progress.ts';
import type { RegistrySession } from './registry/session.ts';
import type { ImageReference } from './reference.ts';
import type { FetchedManifest } from './types.ts';

export interface BlobInfo {
  digest: string;
  size: number;
}

export interface PutManifestOptions {
  /** Tag to put the manifest under; without it the manifest is put by digest. */
  tag?: string;
  /**
   * ETag of the version read before; the store refuses the write (SealError code
   * PRECONDITION_FAILED) when it changed, where supported. The empty string means "the tag must
   * not exist yet"; only sent to stores with `atomicTagUpdates`.
   */
  ifMatch?: string;
  /**
   * Send once: a failure the store would otherwise retry after a backoff is thrown (code
   * WRITE_UNCONFIRMED) instead. A tag write resent after a backoff is a stale write that can drop
   * a concurrent writer's entry; safe-update.ts re-reads and merges instead.
   */
  once?: boolean;
}

export interface PutManifestResult {
  digest: string;
  /** The store registered the manifest's `subject` itself (registry sent OCI-Subject). */
  subjectIndexed?: boolean;
}

export interface ImageStore {
  /** The repository this store serves (tag and digest of the reference are not used). */
  readonly ref: ImageReference;
  /** How users name this repository in messages: `127.0.0.1:5000/app`, `oci:/path/dir`. */
  readonly name: string;
  /**
   * True when putManifest honours `ifMatch` as a compare-and-swap (OCI layouts do; most registries
   * ignore If-Match). Writers use it to skip the settle-and-recheck loop of safe-update.ts.
   */
  readonly atomicTagUpdates?: boolean;
  /**
   * New `.sig`/`.att`/`.sbom` images get Docker v2 media types instead of OCI ones, for registries
   * that refuse OCI manifests (SEAL_DOCKER_MEDIA_TYPES / COSIGN_DOCKER_MEDIA_TYPES; set by openStore).
   */
  dockerMediaTypes?: boolean;
  /**
   * cosign's --attachment-tag-prefix: this store's legacy attachment tags are
   * PREFIXsha256-<hex>.sig/.att/.sbom (cosign/layout.ts attachmentTag; set by openStore).
   */
  attachmentTagPrefix?: string;
  /** The registry session this store shares connections and answers through (registries only). */
  readonly session?: RegistrySession;

  /** A manifest or index by tag or digest, with its digest checked; null when it does not exist. */
  getManifest(reference: string): Promise<FetchedManifest | null>;
  /**
   * The descriptor a tag or digest points at, from a HEAD where the store has one (registries);
   * null when absent. Optional: safe-update.ts uses it for a cheap "still unchanged?" check.
   */
  resolve?(reference: string): Promise<import('./types.ts').Descriptor | null>;
  putManifest(bytes: Uint8Array, mediaType: string, opts?: PutManifestOptions): Promise<PutManifestResult>;
  /** Deletes the manifest by digest (a registry removes every tag pointing at it). */
  deleteManifest(digest: string): Promise<void>;
  /** Removes a tag; registries without tag deletion delete the manifest it points at. */
  deleteTag(tag: string): Promise<void>;
  listTags(): Promise<string[]>;

  hasBlob(digest: string): Promise<boolean>;
  // Blob transfers take an optional onProgress (src/progress.ts): growing byte counts that end at
  // the blob's size, also when the blob was already there.
  /** The whole blob, digest checked; refuses blobs larger than maxBytes (default 128 MiB). */
  getBlob(digest: string, opts?: { maxBytes?: number } & TransferOptions): Promise<Uint8Array>;
  /** The blob as a stream; the digest is checked as it is read and the stream errors on mismatch. */
  openBlob(digest: string, opts?: TransferOptions): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Uploads bytes unless the blob is already there. likelyNew: the caller made these bytes just
   * now (a signature, the config listing it), so asking first would almost always hear "no":
   * upload without asking (a blob uploaded twice is harmless).
   */
  putBlob(data: Uint8Array, opts?: TransferOptions & { likelyNew?: boolean }): Promise<BlobInfo>;
  /** Uploads a file as a stream (chunked where the store supports it). */
  putBlobFile(path: string, known?: BlobInfo, opts?: TransferOptions): Promise<BlobInfo>;

  /**
   * Descriptors of the manifests whose subject is `digest`, from the referrers API; null when the
   * store has no referrers API (callers then use the `sha256-<hex>` tag-schema fallback).
   */
  referrers(digest: string, opts?: { artifactType?: string }): Promise<import('./types.ts').Descriptor[] | null>;
}

/** Options for opening a store; the registry ones are ignored for layouts. */
export interface StoreOptions {
  env: Readonly<Record<string, string | undefined>>;
  log: Log;
  signal?: AbortSignal;
  /**
   * What the stores of one command share: connection pools, the scheme and referrers support
   * learnt per registry (registry/session.ts). The CLI makes one per command; without it, each
   * store keeps its own.
   */
  session?: RegistrySession;
  /**
   * Opens the store for a reference instead of a layout or registry store (openStore): the seam
   * that lets tests run operations on an in-memory store (test/helpers/memory-store.ts).
   */
  open?(ref: ImageReference): Promise<ImageStore>;
  /** cosign's --attachment-tag-prefix for the legacy `.sig`/`.att`/`.sbom` tags (default none). */
  attachmentTagPrefix?: string;
  /** Where a relative `oci:DIR` is (the command's working directory); default: the process's. */
  cwd?: string;
  username?: string;
  password?: string;
  /** Skip TLS certificate verification. */
  allowInsecure?: boolean;
  /** Speak plain HTTP to this registry. */
  allowHttp?: boolean;
  /** Retry attempts for transient failures (default 5). */
  retries?: number;
  /** Per-request timeout in ms (default 60 s). */
  timeoutMs?: number;
  /** A bearer token sent as is (--registry-token), before any other credential source. */
  registryToken?: string;
  /** PEM files of CA certificates to trust besides Node's roots (--registry-cacert). */
  caFiles?: string[];
  /** PEM client certificate and its key, for registries that require mutual TLS. */
  clientCertFile?: string;
  clientKeyFile?: string;
}

/** SEAL_DOCKER_MEDIA_TYPES, else COSIGN_DOCKER_MEDIA_TYPES, read as a boolean as cosign does (1/true/yes). */
export function wantsDockerMediaTypes(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env.SEAL_DOCKER_MEDIA_TYPES ?? env.COSIGN_DOCKER_MEDIA_TYPES ?? '';
  return /^(1|t|true|yes|on)$/i.test(value.trim());
}
