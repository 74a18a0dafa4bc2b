// OCI image-spec v1.1 structures, as much of them as seal reads or writes.
// https://github.com/opencontainers/image-spec/blob/v1.1.0/descriptor.md

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

/** https://github.com/opencontainers/image-spec/blob/v1.1.0/manifest.md */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** https://github.com/opencontainers/image-spec/blob/v1.1.0/image-index.md */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest or index as fetched: the exact bytes, their digest and media type. */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
  /** The registry's ETag, when it sent one (for If-Match on the next write). */
  etag?: string;
}
