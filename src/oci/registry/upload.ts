// Blob uploads (distribution-spec v1.1.1 "Pushing blobs"):
//   monolithic: POST /v2/<name>/blobs/uploads/ → PUT <location>?digest=<d> with the bytes
//   chunked:    POST → PATCH <location> (Content-Range: start-end) per chunk → PUT ?digest=<d>
//   mount:      POST /v2/<name>/blobs/uploads/?mount=<d>&from=<other repo> → 201 when mounted
// File bodies are opened afresh for every send (a factory, not a buffer), so memory stays
// constant for any blob size. A failed PATCH is resumed from what the registry says it has
// (GET <location> → Range: 0-<last>), since appending is not safe to simply repeat.
// https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#pushing-blobs
import { createReadStream } from 'node:fs';
import { SealError } from '../../errors.ts';
import { counting, slices, type OnProgress } from '../../progress.ts';
import type { RegistryClient } from './client.ts';
import { responseError } from './errors.ts';
import type { RequestBody } from './http.ts';
import { isRetryableError, isRetryableStatus, backoffDelay, sleep, type RetryPolicy } from './retry.ts';

export interface UploadContext {
  client: RegistryClient;
  repository: string;
  /** `127.0.0.1:5000/app`, for messages. */
  name: string;
  pushScopes: string[];
  retryPolicy: RetryPolicy;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const OCTET = 'application/octet-stream';

export function fileBody(path: string, start: number, length: number): RequestBody {
  return {
    length,
    // `end` is inclusive in createReadStream; an empty range must not read the whole file.
    open: () => (length === 0 ? emptyStream() : createReadStream(path, { start, end: start + length - 1, highWaterMark: 1 << 20 })),
  };
}

async function* emptyStream(): AsyncGenerator<Uint8Array> {}

/**
 * `body`, reporting `start` plus the bytes sent so far to `onProgress` each time it is read (a
 * retry reads it again from the start: give a monotonic() callback).
 */
export function countedBody(body: RequestBody, onProgress: OnProgress, start = 0): RequestBody {
  const b = body instanceof Uint8Array ? { length: body.length, open: () => slices(body) } : body;
  return { length: b.length, open: () => counting(b.open(), onProgress, start) };
}

async function error(ctx: UploadContext, res: Parameters<typeof responseError>[0], action: string): Promise<SealError> {
  return responseError(res, { action, name: ctx.name, credentialsUsed: ctx.client.credentialsUsed });
}

function locationOf(ctx: UploadContext, location: string | null, action: string): string {
  if (!location) throw new SealError('registry', `${action} in ${ctx.name}: the registry sent no upload Location`, { code: 'BAD_UPLOAD' });
  return location;
}

/** Absolute upload URL with `digest` added to the query the registry gave (which may hold state). */
async function withDigest(ctx: UploadContext, location: string, digest: string): Promise<string> {
  const url = new URL(location, await ctx.client.origin());
  url.searchParams.set('digest', digest);
  return url.href;
}

/** Starts an upload session; returns its Location. */
export async function startUpload(ctx: UploadContext, digest: string): Promise<{ location: string; minChunk?: number }> {
  const res = await ctx.client.request({
    method: 'POST',
    path: `/v2/${ctx.repository}/blobs/uploads/`,
    scopes: ctx.pushScopes,
    idempotent: true, // an unused session is harmless; the registry expires it
  });
  if (res.status !== 202) throw await error(ctx, res, `starting the upload of blob ${digest}`);
  res.discard();
  const min = Number(res.headers.get('oci-chunk-min-length') ?? NaN);
  return { location: locationOf(ctx, res.headers.get('location'), `starting the upload of blob ${digest}`), minChunk: min > 0 ? min : undefined };
}

async function finish(ctx: UploadContext, location: string, digest: string, body?: RequestBody): Promise<void> {
  const res = await ctx.client.request({
    method: 'PUT',
    path: await withDigest(ctx, location, digest),
    headers: body ? { 'content-type': OCTET } : {},
    body,
    scopes: ctx.pushScopes,
  });
  if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await error(ctx, res, `uploading blob ${digest}`);
  res.discard();
  const stored = res.headers.get('docker-content-digest');
  if (stored && stored !== digest) {
    throw new SealError('registry', `${ctx.name} stored blob ${digest} as ${stored}; refused`, { code: 'DIGEST_MISMATCH' });
  }
}

/** POST + PUT with the whole body. */
export async function uploadMonolithic(ctx: UploadContext, digest: string, body: RequestBody): Promise<void> {
  const { location } = await startUpload(ctx, digest);
  await finish(ctx, location, digest, body);
}

/**
 * Makes sure the repository has a blob, in one request when it has it already and in two when
 * not: a mount from the repository itself (POST ?mount=<digest>&from=<this repository>) is
 * answered 201 when the repository holds the blob, and otherwise 202 with an upload session that
 * the bytes then finish. A HEAD first costs three round trips for a missing blob (HEAD, POST,
 * PUT), one more than uploading. A registry that refuses the mount parameters gets the plain
 * upload. True when the registry had the blob.
 */
export async function uploadUnlessPresent(ctx: UploadContext, digest: string, body: RequestBody): Promise<boolean> {
  const q = new URLSearchParams({ mount: digest, from: ctx.repository });
  const action = `uploading blob ${digest}`;
  const res = await ctx.client.request({
    method: 'POST',
    path: `/v2/${ctx.repository}/blobs/uploads/?${q}`,
    scopes: ctx.pushScopes,
    idempotent: true, // an unused session is harmless; the registry expires it
  });
  if (res.status === 201) {
    res.discard();
    return true;
  }
  if (res.status === 202) {
    res.discard();
    await finish(ctx, locationOf(ctx, res.headers.get('location'), action), digest, body);
    return false;
  }
  if (res.status === 401 || res.status === 403 || res.status >= 500) throw await error(ctx, res, action);
  res.discard();
  ctx.client.log.debug(`${ctx.name}: a mount of ${digest} from the repository itself answered ${res.status}; uploading`);
  await uploadMonolithic(ctx, digest, body);
  return false;
}

/** POST, PATCH per chunk (resuming after failures), PUT. `onProgress` should be monotonic(). */
export async function uploadChunked(ctx: UploadContext, digest: string, file: string, size: number, chunkSize: number, onProgress?: OnProgress): Promise<void> {
  const started = await startUpload(ctx, digest);
  let location = started.location;
  const chunk = Math.max(chunkSize, started.minChunk ?? 0);
  const wait = ctx.sleep ?? sleep;
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    const length = Math.min(chunk, size - offset);
    let outcome: { status?: number; error?: unknown };
    try {
      const res = await ctx.client.request({
        method: 'PATCH',
        path: location,
        headers: { 'content-type': OCTET, 'content-range': `${offset}-${offset + length - 1}` },
        body: onProgress ? countedBody(fileBody(file, offset, length), onProgress, offset) : fileBody(file, offset, length),
        scopes: ctx.pushScopes,
      });
      if (res.status === 202 || res.status === 204) {
        res.discard();
        location = locationOf(ctx, res.headers.get('location') ?? location, `uploading blob ${digest}`);
        offset += length;
        continue;
      }
      if (!isRetryableStatus(res.status) && res.status !== 416)
        throw await error(ctx, res, `uploading blob ${digest} (bytes ${offset}-${offset + length - 1})`);
      res.discard();
      outcome = { status: res.status };
    } catch (err) {
      if (!isRetryableError(err)) throw err;
      outcome = { error: err };
    }
    // Resume: ask the registry how much it has, then continue from there.
    failures++;
    if (failures > ctx.retryPolicy.retries) {
      const why = outcome.error instanceof Error ? outcome.error.message : `status ${outcome.status}`;
      throw new SealError('registry', `uploading blob ${digest} to ${ctx.name} failed at byte ${offset} (gave up after ${failures} attempts): ${why}`, {
        code: 'UPLOAD_FAILED',
      });
    }
    await wait(backoffDelay(failures, ctx.retryPolicy), ctx.client.signal);
    const status = await ctx.client.request({ method: 'GET', path: location, scopes: ctx.pushScopes });
    if (status.status !== 204 && status.status !== 200) throw await error(ctx, status, `resuming the upload of blob ${digest}`);
    status.discard();
    const range = /^(?:bytes=)?0-(\d+)$/.exec(status.headers.get('range') ?? '');
    offset = range ? Number(range[1]) + 1 : 0;
    location = status.headers.get('location') ?? location;
    ctx.client.log.debug(`resuming the upload of ${digest} at byte ${offset}`);
  }
  await finish(ctx, location, digest);
}

/** Cross-repository mount; true when the registry mounted the blob. */
export async function mountBlob(ctx: UploadContext, digest: string, from: string): Promise<boolean> {
  const q = new URLSearchParams({ mount: digest, from });
  const res = await ctx.client.request({
    method: 'POST',
    path: `/v2/${ctx.repository}/blobs/uploads/?${q}`,
    scopes: [...ctx.pushScopes, `repository:${from}:pull`],
    idempotent: true,
  });
  res.discard();
  if (res.status === 201) return true;
  // 202: no mount, an upload session was opened instead; close it (best effort).
  ctx.client.log.debug(`${ctx.name}: mounting ${digest} from ${from} answered ${res.status}; uploading instead`);
  const location = res.headers.get('location');
  if (res.status === 202 && location) {
    await ctx.client
      .request({ method: 'DELETE', path: location, scopes: ctx.pushScopes })
      .then((r) => r.discard())
      .catch(() => {});
  }
  return false;
}
