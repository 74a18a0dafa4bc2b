// Image references: one parser for every form seal accepts.
//   [registry[:port]/]repository[:tag][@sha256:<hex>]      (Docker Hub defaults: docker.io, library/)
//   oci:DIR[:TAG][@sha256:<hex>]                            (an OCI image layout directory)
// Grammar: https://github.com/distribution/reference/blob/v0.6.0/reference.go
import { usageError } from '../errors.ts';

export interface RegistryReference {
  kind: 'registry';
  /** host[:port]; Docker Hub is `index.docker.io`. IPv6 literals keep their brackets. */
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

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOCKER_HUB = 'index.docker.io';

export function parseReference(input: string): ImageReference {
  const original = input;
  if (!input) throw usageError('empty image reference');
  if (input.startsWith('oci:')) return parseLayout(input.slice(4), original);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) {
      throw usageError(`invalid digest "${digest}" in image reference "${original}": expected sha256:<64 hex>`);
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash && !rest.slice(colon).includes(']')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw usageError(`invalid tag "${tag}" in image reference "${original}"`);
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const head = rest.slice(0, firstSlash);
    if (head.includes('.') || head.includes(':') || head === 'localhost' || head.startsWith('[')) {
      registry = head;
      repository = rest.slice(firstSlash + 1);
    }
  }
  if (registry === 'docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository) throw usageError(`missing repository in image reference "${original}"`);
  for (const part of repository.split('/')) {
    if (!COMPONENT_RE.test(part)) {
      throw usageError(
        `invalid repository name "${repository}" in image reference "${original}": use lower-case letters, digits and . _ -`,
      );
    }
  }
  return { kind: 'registry', registry, repository, tag, digest, original };
}

function parseLayout(spec: string, original: string): LayoutReference {
  let rest = spec;
  let digest: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0 && rest.slice(at + 1).startsWith('sha256:')) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw usageError(`invalid digest "${digest}" in "${original}"`);
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
