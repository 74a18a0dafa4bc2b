// Media types seal reads and writes. OCI image-spec v1.1: https://github.com/opencontainers/image-spec/blob/v1.1.0/media-types.md
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';

/** Sent as Accept on every manifest request (distribution 2.8 answers 404 without the OCI types). */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST];

export const isIndexType = (mt: string | undefined): boolean => mt === OCI_INDEX || mt === DOCKER_MANIFEST_LIST;
export const isManifestType = (mt: string | undefined): boolean => mt === OCI_MANIFEST || mt === DOCKER_MANIFEST;

/** The empty JSON config `{}` used by artifacts and referrers. */
export const EMPTY_CONFIG_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
