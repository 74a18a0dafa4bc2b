// ImageStore over the OCI distribution API (distribution-spec v1.1.1,
// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md): manifests, blobs,
// tags and referrers of one repository. Every read is checked against its digest; every answer
// that is not a success becomes a SealError (registry.ts errors), except a missing manifest,
// which getManifest reports as null so callers decide what "not there" means.
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { SealError, isSealError, usageError } from '../../errors.ts';
import { mapPool } from '../../util/pool.ts';
import { counting, monotonic, type TransferOptions } from '../../progress.ts';
import { digestFile, isDigest, readAll, sha256Digest, verifyDigest, verifyingStream } from '../digest.ts';
import { MANIFEST_ACCEPT, OCI_INDEX, OCI_MANIFEST, isIndexType, isManifestType } from '../media-types.ts';
import { MAX_REFERRERS } from '../referrers.ts';
import { isValidTag, repositoryScope, type RegistryReference } from '../reference.ts';
import type { BlobInfo, ImageStore, PutManifestOptions, PutManifestResult, StoreOptions } from '../store.ts';
import type { Descriptor, FetchedManifest } from '../types.ts';
import { RegistryClient, type RegistryClientOptions } from './client.ts';
import type { RegistrySession } from './session.ts';
import { errorFor, parseErrorBody, responseError } from './errors.ts';
import { BLOB_LIMIT, ERROR_BODY_LIMIT, MANIFEST_LIMIT, type HttpResponse } from './http.ts';
import { DEFAULT_RETRY_POLICY, attemptsOf, backoffDelay, isRetryableError, isRetryableStatus, retryDelay, sleep, type RetryPolicy } from './retry.ts';
import { isMidBodyError } from './transport.ts';
import { countedBody, fileBody, mountBlob, uploadChunked, uploadMonolithic, uploadUnlessPresent, type UploadContext } from './upload.ts';

export interface RegistryStoreOptions extends StoreOptions, Pick<RegistryClientOptions, 'transport' | 'retryPolicy' | 'sleep' | 'runHelper'> {
  /** Files larger than this are uploaded in PATCH chunks of this size (default 64 MiB). */
  chunkSize?: number;
}

// Chunks stream from disk, so their size costs no memory; each PATCH costs a round trip and a
// registry-side append, so fewer is faster (200 MiB: 16 MiB chunks 2.2 s, 64 MiB 1.8 s, one
// request 1.7 s), while a failed chunk is all that is sent again.
export const DEFAULT_CHUNK_SIZE = 64 * 1024 * 1024;

/** Manifest refusals that a concurrent push of the same blob can cause for a moment. */
const BLOB_RACE_CODES = new Set(['MANIFEST_BLOB_UNKNOWN', 'DIGEST_INVALID', 'BLOB_UNKNOWN']);

/** Pages seal follows in one tag listing (at 100-1000 tags a page, far more than any repository has). */
export const MAX_TAG_PAGES = 1000;
export const MAX_TAGS = 100_000;
/** Pages and descriptors seal follows in one referrers listing. */
export const MAX_REFERRER_PAGES = 100;
/** As cosign's cap of 1000 layers on a `.sig` image (MAX_REFERRERS in referrers.ts). */
export { MAX_REFERRERS } from '../referrers.ts';
/** Tags `deleteTag` resolves to make sure no other tag names a manifest it is about to delete. */
export const MAX_TAG_CHECKS = 1000;
/** Empty pages in a row that still link to a next page: a registry paging nowhere. */
export const MAX_EMPTY_PAGES = 5;
/** Bytes of all pages of one listing together (each page is also capped at MANIFEST_LIMIT). */
export const MAX_LISTING_BYTES = 32 * 1024 * 1024;

/**
 * Bounds one paged listing: a page seen before ends it; more than `maxPages` pages, or
 * MAX_EMPTY_PAGES empty pages in a row each linking to yet another page, are a registry error
 * (a registry paging forever must not keep seal reading forever).
 */
export class PageLimit {
  readonly #seen = new Set<string>();
  #empty = 0;
  #bytes = 0;
  readonly #name: string;
  readonly #what: string;
  readonly #maxPages: number;
  constructor(name: string, what: string, maxPages: number) {
    this.#name = name;
    this.#what = what;
    this.#maxPages = maxPages;
  }
  /** False when `path` was read before (the listing ends); throws past the page cap. */
  next(path: string): boolean {
    if (this.#seen.has(path)) return false;
    if (this.#seen.size >= this.#maxPages) throw this.#error(`more than ${this.#maxPages} pages`);
    this.#seen.add(path);
    return true;
  }
  /** Bytes of the page just read. */
  bytes(count: number): void {
    this.#bytes += count;
    if (this.#bytes > MAX_LISTING_BYTES) throw this.#error(`more than ${MAX_LISTING_BYTES / 1024 / 1024} MiB`);
  }
  /** Entries on the page just read. */
  entries(count: number): void {
    this.#empty = count === 0 ? this.#empty + 1 : 0;
    if (this.#empty > MAX_EMPTY_PAGES) throw this.#error(`${this.#empty} empty pages in a row, each linking to another`);
  }
  #error(why: string): SealError {
    return new SealError('registry', `${this.#name} sent the ${this.#what} in ${why}; refused`, {
      code: 'ENDLESS_PAGES',
      hint: 'the registry (or something in front of it) is misbehaving; report it to its operator',
    });
  }
}

/** The Link header's rel="next" target (RFC 8288), used by tag lists and referrers. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/i.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** `application/vnd.oci.image.manifest.v1+json; charset=utf-8` → the bare type. */
const bareType = (contentType: string | null): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** The manifest's media type: the Content-Type when it is a manifest type, else the JSON's own field, else inferred. */
export function manifestMediaType(contentType: string | null, bytes: Uint8Array): string {
  const ct = bareType(contentType);
  if (isManifestType(ct) || isIndexType(ct)) return ct;
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof doc.mediaType === 'string' && doc.mediaType) return doc.mediaType;
    return Array.isArray(doc.manifests) ? OCI_INDEX : OCI_MANIFEST;
  } catch {
    return ct || OCI_MANIFEST;
  }
}

/** A `once` manifest write that failed in a way a retry would have covered; it may or may not have landed. */
function unconfirmed(err: unknown, reference: string, name: string): SealError {
  return new SealError('registry', `pushing manifest ${reference} to ${name} failed: ${(err as Error).message}`, {
    code: 'WRITE_UNCONFIRMED',
    cause: err,
  });
}

function isDescriptor(d: unknown): d is Descriptor {
  const x = d as Descriptor;
  return !!x && typeof x === 'object' && typeof x.mediaType === 'string' && typeof x.digest === 'string' && typeof x.size === 'number';
}

export class RegistryStore implements ImageStore {
  readonly ref: RegistryReference;
  readonly name: string;
  attachmentTagPrefix?: string;
  readonly #client: RegistryClient;
  readonly #pull: string[];
  readonly #push: string[];
  readonly #delete: string[];
  readonly #chunkSize: number;
  readonly #retryPolicy: RetryPolicy;
  readonly #opts: RegistryStoreOptions;

  private constructor(ref: RegistryReference, opts: RegistryStoreOptions) {
    this.ref = ref;
    this.name = `${ref.registry}/${ref.repository}`;
    this.#opts = opts;
    this.#client = new RegistryClient({ ...opts, registry: ref.registry, repository: ref.repository });
    this.#pull = [repositoryScope(ref.repository, ['pull'])];
    this.#push = [repositoryScope(ref.repository, ['pull', 'push'])];
    this.#delete = [repositoryScope(ref.repository, ['delete'])];
    this.#chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.#retryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retryPolicy, ...(opts.retries !== undefined ? { retries: opts.retries } : {}) };
  }

  get session(): RegistrySession {
    return this.#client.session;
  }

  /** Opens the repository; nothing is sent until the first call (which pings /v2/). */
  static async open(ref: RegistryReference, opts: RegistryStoreOptions): Promise<RegistryStore> {
    return new RegistryStore(ref, opts);
  }

  /** Closes idle connections (they do not keep the process alive either way). */
  close(): void {
    this.#client.close();
  }

  async #error(res: HttpResponse, action: string): Promise<SealError> {
    return responseError(res, this.#errorContext(action));
  }

  #errorContext(action: string) {
    return { action, name: this.name, credentialsUsed: this.#client.credentialsUsed };
  }

  /**
   * Runs a whole read again when its body broke off (a reset or timeout after the headers): the
   * retry layer below only sees the request, not the body that follows it.
   */
  async #rereadable<T>(read: () => Promise<T>): Promise<T> {
    const wait = this.#opts.sleep ?? sleep;
    for (let retry = 1; ; retry++) {
      try {
        return await read();
      } catch (err) {
        // Only a body that broke off: request failures were already retried below.
        const delay = isMidBodyError(err) ? retryDelay(retry, { error: err }, this.#retryPolicy) : null;
        if (delay === null) {
          if (retry === 1 || !(err instanceof SealError)) throw err;
          throw new SealError(err.kind, `${err.message} (gave up after ${retry} attempts)`, { code: err.code, hint: err.hint, cause: err });
        }
        this.#client.log.debug(`${this.name}: reading again in ${delay} ms: ${(err as Error).message}`);
        await wait(delay, this.#opts.signal);
      }
    }
  }

  #manifestPath(reference: string): string {
    if (!isDigest(reference) && !isValidTag(reference)) throw usageError(`invalid tag or digest "${reference}" for ${this.name}`);
    return `/v2/${this.ref.repository}/manifests/${reference}`;
  }

  #blobPath(digest: string): string {
    if (!isDigest(digest)) throw usageError(`invalid blob digest "${digest}" for ${this.name}`);
    return `/v2/${this.ref.repository}/blobs/${digest}`;
  }

  // ---- manifests -------------------------------------------------------------------------

  getManifest(reference: string): Promise<FetchedManifest | null> {
    return this.#rereadable(() => this.#getManifest(reference));
  }

  async #getManifest(reference: string): Promise<FetchedManifest | null> {
    const res = await this.#client.request({
      method: 'GET',
      path: this.#manifestPath(reference),
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      scopes: this.#pull,
    });
    if (res.status === 404) {
      const errors = parseErrorBody(await res.textPrefix(64 * 1024));
      this.#client.log.debug(`${this.name}: manifest ${reference} not found (${errors.map((e) => e.code).join(', ') || '404'})`);
      return null;
    }
    if (res.status !== 200) throw await this.#error(res, `reading manifest ${reference}`);
    const what = `manifest ${reference} from ${this.name}`;
    const bytes = await res.bytes(
      MANIFEST_LIMIT,
      () => new SealError('registry', `${what} is larger than ${MANIFEST_LIMIT / 1024 / 1024} MiB; refused`, { code: 'MANIFEST_TOO_LARGE' }),
    );
    if (isDigest(reference)) verifyDigest(bytes, reference, { what, kind: 'registry' });
    const header = res.headers.get('docker-content-digest');
    if (header) {
      if (!isDigest(header)) throw new SealError('registry', `${what}: invalid Docker-Content-Digest "${header}"`, { code: 'DIGEST_INVALID' });
      verifyDigest(bytes, header, { what, kind: 'registry' });
    }
    const digest = isDigest(reference) && reference.startsWith('sha256:') ? reference : sha256Digest(bytes);
    const etag = res.headers.get('etag') ?? undefined;
    return { digest, mediaType: manifestMediaType(res.headers.get('content-type'), bytes), bytes, ...(etag ? { etag } : {}) };
  }

  /** The descriptor of a tag or digest from a HEAD (GET when the registry omits the digest); null when absent. */
  async resolve(reference: string): Promise<Descriptor | null> {
    const res = await this.#client.request({
      method: 'HEAD',
      path: this.#manifestPath(reference),
      headers: { accept: MANIFEST_ACCEPT.join(', ') },
      scopes: this.#pull,
    });
    if (res.status === 404) {
      res.discard(); // an unread response, even a HEAD's, holds its socket
      return null;
    }
    if (res.status !== 200) throw await this.#error(res, `resolving ${reference}`);
    res.discard();
    const digest = res.headers.get('docker-content-digest');
    const size = Number(res.headers.get('content-length') ?? NaN);
    const mediaType = bareType(res.headers.get('content-type'));
    if (digest && isDigest(digest) && Number.isFinite(size) && (isManifestType(mediaType) || isIndexType(mediaType))) {
      if (isDigest(reference) && digest !== reference) {
        throw new SealError('registry', `${this.name} answered ${digest} for ${reference}; refused`, { code: 'DIGEST_MISMATCH' });
      }
      return { mediaType, digest, size };
    }
    const m = await this.getManifest(reference);
    return m ? { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length } : null;
  }

  async putManifest(bytes: Uint8Array, mediaType: string, opts: PutManifestOptions = {}): Promise<PutManifestResult> {
    if (bytes.length > MANIFEST_LIMIT) {
      throw new SealError('input', `manifest of ${bytes.length} bytes is larger than the ${MANIFEST_LIMIT / 1024 / 1024} MiB registries accept`);
    }
    const digest = sha256Digest(bytes);
    if (opts.tag !== undefined && !isValidTag(opts.tag)) throw usageError(`invalid tag "${opts.tag}"`);
    const reference = opts.tag ?? digest;
    const headers: Record<string, string> = { 'content-type': mediaType };
    if (opts.ifMatch) headers['if-match'] = opts.ifMatch;
    const wait = this.#opts.sleep ?? sleep;
    let res: HttpResponse;
    for (let retry = 1; ; retry++) {
      res = await this.#client
        .request({
          method: 'PUT',
          path: this.#manifestPath(reference),
          headers,
          body: bytes,
          scopes: this.#push,
          ...(opts.once ? { idempotent: false } : {}),
        })
        .catch((err: unknown) => {
          throw opts.once && isRetryableError(err) ? unconfirmed(err, reference, this.name) : err;
        });
      if (res.status === 201 || res.status === 200 || res.status === 202 || res.status === 204) break;
      const text = res.status === 0 ? '' : await res.textPrefix(ERROR_BODY_LIMIT);
      const errors = parseErrorBody(text);
      if (opts.once && (isRetryableStatus(res.status) || (res.status === 400 && errors.some((e) => BLOB_RACE_CODES.has(e.code))))) {
        throw unconfirmed(errorFor(res.status, res.statusText, errors, text, this.#errorContext(`pushing manifest ${reference}`)), reference, this.name);
      }
      // A blob we have just pushed can be briefly unreadable while another client writes the same
      // blob (distribution rewrites the repository's link file in place: a reader sees it empty
      // and answers DIGEST_INVALID or MANIFEST_BLOB_UNKNOWN). Our digests are computed, not
      // trusted, so these answers are worth a few bounded retries.
      const delay =
        res.status === 400 && errors.some((e) => BLOB_RACE_CODES.has(e.code)) && retry <= this.#retryPolicy.retries
          ? backoffDelay(retry, this.#retryPolicy)
          : null;
      if (delay === null)
        throw errorFor(res.status, res.statusText, errors, text, this.#errorContext(`pushing manifest ${reference}`), Math.max(retry, attemptsOf(res)));
      this.#client.log.debug(`${this.name}: manifest ${reference} refused (${errors.map((e) => e.code).join(', ')}); trying again in ${delay} ms`);
      await wait(delay, this.#opts.signal);
    }
    res.discard();
    const stored = res.headers.get('docker-content-digest');
    if (stored && stored !== digest && stored.startsWith('sha256:')) {
      throw new SealError('registry', `${this.name} stored manifest ${reference} as ${stored}, but its sha256 is ${digest}`, {
        code: 'DIGEST_MISMATCH',
        hint: 'the registry rewrote the manifest; signatures over it would not match',
      });
    }
    return { digest, ...(res.headers.has('oci-subject') ? { subjectIndexed: true } : {}) };
  }

  async deleteManifest(digest: string): Promise<void> {
    const res = await this.#client.request({ method: 'DELETE', path: this.#manifestPath(digest), scopes: this.#delete });
    if (res.status === 202 || res.status === 200 || res.status === 204) {
      res.discard();
      return;
    }
    if (res.status === 404) {
      res.discard();
      this.#client.log.debug(`${this.name}: manifest ${digest} was already gone`);
      return;
    }
    throw await this.#error(res, `deleting manifest ${digest}`);
  }

  /**
   * Removes a tag; a tag that does not exist is not an error. Registries that cannot delete a
   * tag by name (distribution 2.x answers 400/405) can only delete manifests, which removes every
   * tag on them: one `.sbom` manifest may sit behind two images' tags. So the tag is first moved
   * to a placeholder manifest of its own, which is then deleted by digest (taking only this tag
   * with it), and the manifest the tag named is deleted only when no other tag still names it.
   */
  async deleteTag(tag: string): Promise<void> {
    if (!isValidTag(tag)) throw usageError(`invalid tag "${tag}"`);
    const target = await this.resolve(tag);
    if (!target) return;
    const res = await this.#client.request({ method: 'DELETE', path: this.#manifestPath(tag), scopes: this.#delete });
    if (res.status === 202 || res.status === 200 || res.status === 204 || res.status === 404) {
      res.discard();
      return;
    }
    if (res.status === 400 || res.status === 405 || res.status === 501) {
      res.discard();
      this.#client.log.debug(`${this.name}: tag deletion answered ${res.status}; moving ${tag} to a placeholder and deleting that`);
      const placeholder = await this.#placeholder(tag);
      const put = await this.putManifest(placeholder, OCI_MANIFEST, { tag });
      await this.deleteManifest(put.digest);
      const other = await this.#otherTagNaming(target.digest, tag);
      if (other) {
        this.#client.log.debug(`${this.name}: ${target.digest} is still tagged ${other}; kept`);
        return;
      }
      await this.deleteManifest(target.digest);
      return;
    }
    throw await this.#error(res, `deleting tag ${tag}`);
  }

  /** An OCI manifest no other tag can share (its annotation names the tag and a random nonce). */
  async #placeholder(tag: string): Promise<Uint8Array> {
    const empty = await this.putBlob(Buffer.from('{}'));
    const descriptor = { mediaType: 'application/vnd.oci.empty.v1+json', digest: empty.digest, size: empty.size };
    return Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: descriptor,
        layers: [descriptor],
        annotations: { 'dev.seal.placeholder': `removing tag ${tag} (${randomBytes(8).toString('hex')})` },
      }),
    );
  }

  /**
   * A tag other than `except` that names `digest`; when that cannot be ruled out (the tags cannot
   * be listed, or there are more than MAX_TAG_CHECKS), the answer errs on keeping: `except`.
   */
  async #otherTagNaming(digest: string, except: string): Promise<string | undefined> {
    let tags: string[];
    try {
      tags = (await this.listTags()).filter((t) => t !== except);
    } catch (err) {
      if (isSealError(err, 'interrupted')) throw err;
      this.#client.log.debug(`${this.name}: cannot list tags (${(err as Error).message}); keeping ${digest}`);
      return except;
    }
    if (tags.length > MAX_TAG_CHECKS) return except;
    // Attachment tags first: that is where a shared manifest would be.
    tags.sort((a, b) => Number(b.startsWith('sha256-')) - Number(a.startsWith('sha256-')));
    let found: string | undefined;
    await mapPool(tags, 8, async (t) => {
      if (found) return;
      try {
        const d = await this.resolve(t);
        if (d?.digest === digest) found ??= t;
      } catch (err) {
        if (isSealError(err, 'interrupted')) throw err;
        found ??= t; // unknown: keep the manifest
      }
    });
    return found;
  }

  async listTags(opts: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    const pages = new PageLimit(this.name, 'tag list', MAX_TAG_PAGES);
    let path: string | undefined = `/v2/${this.ref.repository}/tags/list${opts.pageSize ? `?n=${opts.pageSize}` : ''}`;
    while (path) {
      if (!pages.next(path)) break; // a registry that links a page to one it already sent
      const res = await this.#client.request({ method: 'GET', path, headers: { accept: 'application/json' }, scopes: this.#pull });
      if (res.status === 404 && tags.length === 0) {
        res.discard();
        return [];
      }
      if (res.status !== 200) throw await this.#error(res, 'listing tags');
      const body = await res.bytes(MANIFEST_LIMIT);
      pages.bytes(body.length);
      let page: { tags?: unknown };
      try {
        page = JSON.parse(Buffer.from(body).toString('utf8')) as { tags?: unknown };
      } catch {
        throw new SealError('registry', `${this.name}: the tag list is not JSON`, { code: 'BAD_RESPONSE' });
      }
      const found = Array.isArray(page.tags) ? page.tags.filter((t): t is string => typeof t === 'string') : [];
      pages.entries(found.length);
      tags.push(...found);
      if (tags.length > MAX_TAGS) {
        throw new SealError('registry', `${this.name} lists more than ${MAX_TAGS} tags; seal reads no more`, { code: 'TOO_MANY_TAGS' });
      }
      const next = nextLink(res.headers.get('link'));
      path = next ? new URL(next, res.url).href : undefined;
    }
    return tags;
  }

  // ---- blobs -----------------------------------------------------------------------------

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.#client.request({ method: 'HEAD', path: this.#blobPath(digest), scopes: this.#pull });
    res.discard();
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw await this.#error(res, `checking blob ${digest}`);
  }

  async #openBlob(digest: string): Promise<{ res: HttpResponse; size?: number }> {
    const res = await this.#client.request({ method: 'GET', path: this.#blobPath(digest), scopes: this.#pull });
    if (res.status !== 200) throw await this.#error(res, `reading blob ${digest}`);
    const length = res.headers.get('content-length');
    return { res, size: length !== null && /^\d+$/.test(length) ? Number(length) : undefined };
  }

  getBlob(digest: string, opts: { maxBytes?: number } & TransferOptions = {}): Promise<Uint8Array> {
    // One monotonic callback across re-reads: the count does not jump back when a read is retried.
    const onProgress = opts.onProgress && monotonic(opts.onProgress);
    return this.#rereadable(() => this.#getBlob(digest, { maxBytes: opts.maxBytes, onProgress }));
  }

  async #getBlob(digest: string, opts: { maxBytes?: number } & TransferOptions): Promise<Uint8Array> {
    const max = opts.maxBytes ?? BLOB_LIMIT;
    const { res, size } = await this.#openBlob(digest);
    const tooLarge = () =>
      new SealError('input', `blob ${digest} in ${this.name} is larger than ${max} bytes, the limit for reading it into memory`, {
        code: 'BLOB_TOO_LARGE',
      });
    if (size !== undefined && size > max) {
      res.discard();
      throw tooLarge();
    }
    const body = opts.onProgress ? counting(res.body, monotonic(opts.onProgress, size)) : res.body;
    const verified = verifyingStream(body, digest, { what: `blob ${digest} from ${this.name}`, kind: 'registry', size });
    return readAll(verified, max, () => {
      res.discard();
      return tooLarge();
    });
  }

  async openBlob(digest: string, opts: TransferOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const { res, size } = await this.#openBlob(digest);
    const body = opts.onProgress ? counting(res.body, monotonic(opts.onProgress, size)) : res.body;
    return verifyingStream(body, digest, { what: `blob ${digest} from ${this.name}`, kind: 'registry', size });
  }

  #upload(): UploadContext {
    return {
      client: this.#client,
      repository: this.ref.repository,
      name: this.name,
      pushScopes: this.#push,
      retryPolicy: this.#retryPolicy,
      sleep: this.#opts.sleep,
    };
  }

  async putBlob(data: Uint8Array, opts: TransferOptions & { likelyNew?: boolean } = {}): Promise<BlobInfo> {
    const digest = sha256Digest(data);
    const info = { digest, size: data.length };
    const onProgress = opts.onProgress && monotonic(opts.onProgress, data.length);
    const body = onProgress ? countedBody(data, onProgress) : data;
    if (opts.likelyNew) await uploadMonolithic(this.#upload(), digest, body);
    // In memory, so small: asking and uploading are one exchange (uploadUnlessPresent).
    else await uploadUnlessPresent(this.#upload(), digest, body);
    onProgress?.(data.length);
    return info;
  }

  async putBlobFile(path: string, known?: BlobInfo, opts: TransferOptions = {}): Promise<BlobInfo> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw new SealError('input', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
    }
    if (known && known.size !== size) {
      throw new SealError('input', `${path} has ${size} bytes, but its descriptor says ${known.size}`, { code: 'SIZE_MISMATCH' });
    }
    const info = known ?? (await digestFile(path, this.#opts.signal));
    const onProgress = opts.onProgress && monotonic(opts.onProgress, size);
    if (await this.hasBlob(info.digest)) {
      onProgress?.(size);
      return info;
    }
    if (size <= this.#chunkSize) {
      const body = fileBody(path, 0, size);
      await uploadMonolithic(this.#upload(), info.digest, onProgress ? countedBody(body, onProgress) : body);
    } else {
      await uploadChunked(this.#upload(), info.digest, path, size, this.#chunkSize, onProgress);
    }
    onProgress?.(size);
    return { digest: info.digest, size };
  }

  /**
   * Mounts a blob from another repository of the same registry, without sending its bytes.
   * False when the registry did not mount it (the caller then uploads).
   */
  async mountBlob(digest: string, fromRepository: string): Promise<boolean> {
    if (!isDigest(digest)) throw usageError(`invalid blob digest "${digest}"`);
    return mountBlob(this.#upload(), digest, fromRepository);
  }

  // ---- referrers -------------------------------------------------------------------------

  async referrers(digest: string, opts: { artifactType?: string } = {}): Promise<Descriptor[] | null> {
    if (!isDigest(digest)) throw usageError(`invalid digest "${digest}"`);
    const q = opts.artifactType ? `?${new URLSearchParams({ artifactType: opts.artifactType })}` : '';
    let path: string | undefined = `/v2/${this.ref.repository}/referrers/${digest}${q}`;
    const out: Descriptor[] = [];
    let filtered = true;
    const pages = new PageLimit(this.name, `referrers list of ${digest}`, MAX_REFERRER_PAGES);
    while (path && pages.next(path)) {
      const res = await this.#client.request({ method: 'GET', path, headers: { accept: OCI_INDEX }, scopes: this.#pull });
      if (res.status === 401 || res.status === 403 || res.status >= 500) throw await this.#error(res, `listing referrers of ${digest}`);
      if (res.status !== 200 && res.status !== 404) {
        res.discard();
        this.#client.log.debug(`${this.name}: referrers API answered ${res.status}; treating it as absent`);
        return null;
      }
      const index = await this.#readIndex(res, (n) => pages.bytes(n));
      if (!index) {
        this.#client.log.debug(`${this.name}: referrers API answered ${res.status} without an image index; treating it as absent`);
        return null;
      }
      if (opts.artifactType && !/\bartifactType\b/.test(res.headers.get('oci-filters-applied') ?? '')) filtered = false;
      pages.entries(index.length);
      out.push(...index);
      if (out.length > MAX_REFERRERS) {
        throw new SealError(
          'registry',
          `${this.name} lists more than ${MAX_REFERRERS} referrers of ${digest}; seal reads no more (as the ${MAX_REFERRERS}-layer cap on .sig images)`,
          {
            code: 'TOO_MANY_REFERRERS',
            hint: 'remove old ones with seal clean, then sign again',
          },
        );
      }
      const next = nextLink(res.headers.get('link'));
      path = next ? new URL(next, res.url).href : undefined;
    }
    return filtered || !opts.artifactType ? out : out.filter((d) => d.artifactType === opts.artifactType);
  }

  async #readIndex(res: HttpResponse, read: (bytes: number) => void): Promise<Descriptor[] | null> {
    let doc: { manifests?: unknown };
    let bytes: Uint8Array;
    try {
      bytes = await res.bytes(MANIFEST_LIMIT);
    } catch (err) {
      // A page cut off by the deadline or an interruption is not "no referrers API".
      if (err instanceof SealError && (err.kind === 'network' || err.kind === 'interrupted')) throw err;
      return null;
    }
    read(bytes.length);
    try {
      doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { manifests?: unknown };
    } catch {
      return null;
    }
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.manifests)) return null;
    return doc.manifests.filter(isDescriptor);
  }
}
