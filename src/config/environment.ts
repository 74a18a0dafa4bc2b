// The environment variables seal reads, for `seal env` and docs/env.md: one list, so a variable the
// code starts reading is added here once. cosign's own variables that seal honours keep cosign's
// names and meanings (pkg/cosign/env in cosign); seal's SEAL_* spellings win where both are set.

export interface EnvVariable {
  name: string;
  description: string;
  /** What a value looks like. */
  expects: string;
  /** Never printed unless the user asks for sensitive values. */
  sensitive: boolean;
}

const v = (name: string, description: string, expects: string, sensitive = false): EnvVariable => ({
  name,
  description,
  expects,
  sensitive,
});

export const ENVIRONMENT: readonly EnvVariable[] = [
  v('SEAL_PASSWORD', 'password of an encrypted key; wins over COSIGN_PASSWORD (set but empty: the empty password)', 'string', true),
  v('COSIGN_PASSWORD', 'password of an encrypted key when SEAL_PASSWORD is unset', 'string', true),
  v('SEAL_IMPORT_PASSWORD', 'password for the key import-key-pair writes', 'string', true),
  v('COSIGN_PKCS11_MODULE_PATH', 'PKCS#11 module for pkcs11: keys that name no module-path', 'path to a .so', false),
  v('COSIGN_PKCS11_PIN', 'PIN of a PKCS#11 token when the key URI gives none', 'string', true),
  v('SIGSTORE_ID_TOKEN', 'OIDC identity token for keyless signing', 'a JWT', true),
  v('ACTIONS_ID_TOKEN_REQUEST_URL', "GitHub Actions' token endpoint, for keyless signing in a workflow", 'URL', false),
  v('ACTIONS_ID_TOKEN_REQUEST_TOKEN', "GitHub Actions' bearer token for its token endpoint", 'string', true),
  v('BUILDKITE_AGENT_ACCESS_TOKEN', "Buildkite agent's token, to request a keyless identity token for the job", 'string', true),
  v('BUILDKITE_AGENT_ENDPOINT', 'Buildkite agent API (default https://agent.buildkite.com/v3)', 'URL', false),
  v('BUILDKITE_JOB_ID', 'the Buildkite job the identity token is requested for', 'string', false),
  v('SEAL_OIDC_TOKEN_FILE', 'file of the filesystem token provider (default /var/run/sigstore/cosign/oidc-token)', 'path', false),
  v('GCE_METADATA_HOST', 'Google metadata server for the workload identity token (default metadata.google.internal)', 'host[:port]', false),
  v('GOOGLE_SERVICE_ACCOUNT_NAME', 'cosign: a Google service account to impersonate (seal refuses it with the gcloud line to use)', 'string', false),
  v('SPIFFE_ENDPOINT_SOCKET', 'SPIFFE workload API socket (seal detects it and says how to get a JWT-SVID)', 'path', false),
  v('SEAL_NO_BROWSER', 'never open a browser for a keyless login (the URL is printed either way)', '1', false),
  v('SEAL_REPOSITORY', "store signatures, attestations and SBOMs in this repository instead of the image's", 'a repository reference', false),
  v('COSIGN_REPOSITORY', 'as SEAL_REPOSITORY when that is unset', 'a repository reference', false),
  v('SEAL_DOCKER_MEDIA_TYPES', 'write Docker media types, for registries that refuse OCI ones', '1 or true', false),
  v('COSIGN_DOCKER_MEDIA_TYPES', 'as SEAL_DOCKER_MEDIA_TYPES when that is unset', '1 or true', false),
  v('SEAL_SIGNATURE_FORMAT', 'default storage format of sign and attest', 'legacy or bundle', false),
  v('SEAL_REGISTRY_USERNAME', 'registry user name (with SEAL_REGISTRY_PASSWORD)', 'string', false),
  v('SEAL_REGISTRY_PASSWORD', 'registry password', 'string', true),
  v('SEAL_REGISTRY_TOKEN', 'registry bearer token', 'string', true),
  v('DOCKER_CONFIG', 'directory of the Docker config.json holding registry credentials', 'path', false),
  v('REGISTRY_AUTH_FILE', 'a containers-auth.json with registry credentials (podman, skopeo)', 'path', false),
  v('HTTPS_PROXY', 'forward proxy for https registries and Sigstore services', 'URL', false),
  v('HTTP_PROXY', 'forward proxy for plain-http registries', 'URL', false),
  v('NO_PROXY', 'hosts reached without the proxy', 'comma-separated hosts', false),
  v('SEAL_TUF_CACHE', 'directory of the TUF cache that trusted-root update fills and verification reads', 'path', false),
  v('SEAL_PROGRESS', 'progress lines on a terminal', 'off or always', false),
  v('NO_COLOR', 'no colours on stderr', 'any value', false),
];

export const ENVIRONMENT_PREFIXES = ['SEAL_', 'COSIGN_', 'SIGSTORE_', 'TUF_'] as const;
