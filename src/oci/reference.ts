// Image references: one parser for every form seal accepts.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path                  (total length <= 255)
//   domain     := host [ ":" port ]
//   host       := domain-name | "[" ipv6 "]"            (a first component is a domain when it has
//                                                        a "." or ":", is "localhost", or is "[...]")
//   path       := component *( "/" component )         component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//   digest     := "sha256:" 64*hex | "sha512:" 128*hex
//   layout     := "oci:" DIR [ ":" tag ] [ "@" digest ]  (an OCI image layout directory)
//
// Docker Hub defaults: no domain, `docker.io` or `registry-1.docker.io` mean `index.docker.io`,
// and a one-component path gets `library/`.
// Grammar: https://github.com/distribution/reference/blob/v0.6.0/reference.go and
// distribution-spec v1.1.1 (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pulling-manifests).
// Pure: no I/O.
import { usageError } from '../errors.ts';

export interface RegistryReference {
  kind: 'registry';
  /** host[:port], lower-case; Docker Hub is `index.docker.io`. IPv6 literals keep their brackets. */
  registry: string;
  /** e.g. `library/alpine`, `team/app`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** What the user typed. */
  original: string;
}

export interface LayoutReference {
  kind: 'layout';
  /** The layout directory as given. */
  path: string;
  tag?: string;
  digest?: string;
  original: string;
}

export type ImageReference = RegistryReference | LayoutReference;

const DIGEST_RE = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL_RE = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6_RE = /^\[[a-fA-F0-9:.]+(?:%[\w.-]+)?\]$/;
const PORT_RE = /^[0-9]{1,5}$/;
const NAME_MAX = 255;
export const DOCKER_HUB = 'index.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'registry-1.docker.io', DOCKER_HUB]);

export function parseReference(input: string): ImageReference {
  const original = input;
  if (!input) throw usageError('empty image reference');
  // JSON quoting shows the white space (a pasted newline, a tab) and keeps the message on one line.
  if (/\s/.test(input)) throw usageError(`image reference ${JSON.stringify(original)} contains white space`);
  if (input.startsWith('oci:')) return parseLayout(input.slice(4), original);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest, original);
  }
  let registry = DOCKER_HUB;
  let path = rest;
  let explicitDomain = false;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const head = rest.slice(0, firstSlash);
    if (head.includes('.') || head.includes(':') || head === 'localhost' || head.startsWith('[')) {
      registry = parseDomain(head, original);
      path = rest.slice(firstSlash + 1);
      explicitDomain = true;
    }
  }
  // The tag is after the last ':' of the path (the domain's port colon is gone by now).
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!tag) throw usageError(`empty tag in image reference "${original}"`);
    if (!TAG_RE.test(tag)) {
      throw usageError(`invalid tag "${tag}" in image reference "${original}": use up to 128 letters, digits, _ . - (not starting with . or -)`);
    }
  }
  if (!path) {
    throw usageError(`missing repository in image reference "${original}"`, {
      hint: explicitDomain ? `write it as ${registry}/<repository>[:tag]` : undefined,
    });
  }
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB;
    if (!path.includes('/')) path = `library/${path}`;
  }
  for (const part of path.split('/')) {
    if (!part) throw usageError(`empty path component in repository "${path}" of image reference "${original}"`);
    if (!COMPONENT_RE.test(part)) {
      const why = /[A-Z]/.test(part) ? 'repository names must be lower-case' : 'use lower-case letters, digits and . _ - between them';
      throw usageError(`invalid repository component "${part}" in image reference "${original}": ${why}`);
    }
  }
  if (registry.length + 1 + path.length > NAME_MAX) {
    throw usageError(`repository name "${registry}/${path}" is longer than ${NAME_MAX} characters`);
  }
  return { kind: 'registry', registry, repository: path, tag, digest, original };
}

function checkDigest(digest: string, original: string): void {
  if (!DIGEST_RE.test(digest)) {
    throw usageError(`invalid digest "${digest}" in image reference "${original}": expected sha256:<64 lower-case hex>`);
  }
}

/** host[:port] or [ipv6][:port], validated and lower-cased. */
function parseDomain(head: string, original: string): string {
  let host = head;
  let port: string | undefined;
  if (head.startsWith('[')) {
    const close = head.indexOf(']');
    if (close < 0) throw usageError(`invalid registry "${head}" in image reference "${original}": unclosed [ in IPv6 address`);
    host = head.slice(0, close + 1);
    const after = head.slice(close + 1);
    if (after) {
      if (!after.startsWith(':')) throw usageError(`invalid registry "${head}" in image reference "${original}"`);
      port = after.slice(1);
    }
    if (!IPV6_RE.test(host)) throw usageError(`invalid IPv6 address "${host}" in image reference "${original}"`);
  } else {
    const colon = head.indexOf(':');
    if (colon >= 0) {
      host = head.slice(0, colon);
      port = head.slice(colon + 1);
    }
    if (!host || !host.split('.').every((label) => DOMAIN_LABEL_RE.test(label))) {
      throw usageError(`invalid registry host "${host}" in image reference "${original}"`);
    }
  }
  if (port !== undefined && (!PORT_RE.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw usageError(`invalid registry port "${port}" in image reference "${original}": expected 1-65535`);
  }
  return (port === undefined ? host : `${host}:${port}`).toLowerCase();
}

function parseLayout(spec: string, original: string): LayoutReference {
  let rest = spec;
  let digest: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0 && /^sha(256|512):/.test(rest.slice(at + 1))) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    checkDigest(digest, original);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw usageError(`invalid tag "${tag}" in "${original}"`);
  }
  if (!rest) throw usageError(`missing directory in "${original}": use oci:DIR[:TAG]`);
  return { kind: 'layout', path: rest, tag, digest, original };
}

/** registry/repository (or oci:DIR): the docker-reference of simple-signing payloads. */
export function repositoryName(ref: ImageReference): string {
  return ref.kind === 'layout' ? `oci:${ref.path}` : `${ref.registry}/${ref.repository}`;
}

/** The reference with a different tag or digest, as a string users can paste. */
export function formatReference(ref: ImageReference, at: { tag?: string; digest?: string } = ref): string {
  const base = repositoryName(ref);
  if (at.digest) return `${base}@${at.digest}`;
  if (at.tag) return `${base}:${at.tag}`;
  return base;
}

/** True for a tag name seal would accept in a reference. */
export const isValidTag = (tag: string): boolean => TAG_RE.test(tag);

/** The hostname of `host[:port]` without port or IPv6 brackets. */
export function hostnameOf(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return colon >= 0 ? registry.slice(0, colon) : registry;
}

/**
 * Loopback registries (localhost, 127.0.0.0/8, ::1): seal falls back to plain http for them when
 * they do not speak TLS, as go-containerregistry does. Private (RFC 1918) addresses are not
 * included: on a shared network they are as exposed as any other host.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = hostnameOf(registry).toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The token scope for `actions` on a repository: `repository:team/app:pull,push`. */
export function repositoryScope(repository: string, actions: readonly ('pull' | 'push' | 'delete')[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}
