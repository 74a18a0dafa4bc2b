// RegistryStore over a fake transport: what it sends and how it judges what comes back.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SealError, isSealError } from '../../../../src/errors.ts';
import { sha256Digest } from '../../../../src/oci/digest.ts';
import { DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../../../src/oci/media-types.ts';
import { parseReference, type RegistryReference } from '../../../../src/oci/reference.ts';
import type { HttpRequest } from '../../../../src/oci/registry/http.ts';
import { RegistryStore, manifestMediaType, nextLink, type RegistryStoreOptions } from '../../../../src/oci/registry/store.ts';
import { fakeTransport, noSleep, recordingLog, silentLog, type FakeAnswer, type Handler } from './fake.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const manifest = enc(
  JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: 'sha256:' + '0'.repeat(64), size: 2 }, layers: [] }),
);
const MD = sha256Digest(manifest);
const OTHER = 'sha256:' + 'f'.repeat(64);

type Route = (req: HttpRequest, body: Uint8Array | undefined) => FakeAnswer | Error | undefined;

/** A store on reg.test/team/app whose transport answers /v2/ with 200 and everything else from `route`. */
async function store(route: Route, opts: Partial<RegistryStoreOptions> = {}, ref = 'reg.test/team/app') {
  const handler: Handler = (req, body) => {
    if (req.url.pathname === '/v2/') return { status: 200 };
    return route(req, body) ?? { status: 599, body: 'unrouted ' + req.method + ' ' + req.url.pathname };
  };
  const transport = fakeTransport(handler);
  const s = await RegistryStore.open(parseReference(ref) as RegistryReference, {
    env: {},
    log: silentLog,
    transport,
    sleep: noSleep,
    retries: 2,
    ...opts,
  });
  const calls = () => transport.requests.filter((r) => !r.url.endsWith('/v2/'));
  return { s, transport, calls };
}

describe('manifests', () => {
  it('asks for every manifest type and returns bytes, digest, type and ETag', async () => {
    const { s, calls } = await store(() => ({
      status: 200,
      headers: { 'content-type': OCI_MANIFEST + '; charset=utf-8', 'docker-content-digest': MD, etag: '"e1"' },
      body: manifest,
    }));
    const m = await s.getManifest('latest');
    assert.deepEqual(m, { digest: MD, mediaType: OCI_MANIFEST, bytes: Buffer.from(manifest), etag: '"e1"' });
    const accept = calls()[0]!.headers.accept!;
    for (const t of [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST]) assert.ok(accept.includes(t), t);
    assert.equal(new URL(calls()[0]!.url).pathname, '/v2/team/app/manifests/latest');
  });

  it('returns null for a missing manifest or repository', async () => {
    const { s } = await store(() => ({ status: 404, body: JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN' }] }) }));
    assert.equal(await s.getManifest('latest'), null);
    assert.equal(await s.getManifest(MD), null);
  });

  it('refuses bytes that do not match the requested digest', async () => {
    const { s } = await store(() => ({ status: 200, headers: { 'content-type': OCI_MANIFEST }, body: manifest }));
    await assert.rejects(
      s.getManifest(OTHER),
      (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH' && /manifest sha256:f+ from reg\.test\/team\/app/.test(e.message),
    );
  });

  it('refuses bytes that do not match Docker-Content-Digest (right body, wrong header)', async () => {
    const { s } = await store(() => ({ status: 200, headers: { 'docker-content-digest': OTHER }, body: manifest }));
    await assert.rejects(s.getManifest('latest'), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH');
  });

  it('refuses manifests over 4 MiB, declared or not', async () => {
    const big = new Uint8Array(4 * 1024 * 1024 + 1);
    const { s } = await store(() => ({ status: 200, body: big }));
    await assert.rejects(s.getManifest('latest'), (e: unknown) => isSealError(e, 'registry') && /larger than 4 MiB/.test(e.message));
  });

  it('reads the media type from the JSON when Content-Type is generic', () => {
    assert.equal(manifestMediaType('application/json', enc(JSON.stringify({ mediaType: DOCKER_MANIFEST_LIST }))), DOCKER_MANIFEST_LIST);
    assert.equal(manifestMediaType(null, enc(JSON.stringify({ manifests: [] }))), OCI_INDEX);
    assert.equal(manifestMediaType('', enc(JSON.stringify({ config: {} }))), OCI_MANIFEST);
    assert.equal(manifestMediaType(DOCKER_MANIFEST, enc('{}')), DOCKER_MANIFEST);
  });

  it('puts by tag with If-Match and reports OCI-Subject', async () => {
    const { s, calls } = await store((req) =>
      req.method === 'PUT' ? { status: 201, headers: { 'docker-content-digest': MD, 'oci-subject': OTHER } } : undefined,
    );
    assert.deepEqual(await s.putManifest(manifest, OCI_MANIFEST, { tag: 'v1', ifMatch: '"e1"' }), { digest: MD, subjectIndexed: true });
    const put = calls()[0]!;
    assert.equal(new URL(put.url).pathname, '/v2/team/app/manifests/v1');
    assert.equal(put.headers['content-type'], OCI_MANIFEST);
    assert.equal(put.headers['if-match'], '"e1"');
    assert.deepEqual(put.body, manifest);
  });

  it('puts by digest without a tag, and leaves subjectIndexed out without OCI-Subject', async () => {
    const { s, calls } = await store(() => ({ status: 201 }));
    assert.deepEqual(await s.putManifest(manifest, OCI_MANIFEST), { digest: MD });
    assert.equal(new URL(calls()[0]!.url).pathname, `/v2/team/app/manifests/${MD}`);
  });

  it('maps a failed If-Match to a conflict and other refusals to the registry message', async () => {
    const { s } = await store(() => ({ status: 412 }));
    await assert.rejects(s.putManifest(manifest, OCI_MANIFEST, { tag: 'x', ifMatch: '"old"' }), (e: unknown) => isSealError(e, 'conflict'));
    const { s: s2 } = await store(() => ({
      status: 400,
      body: JSON.stringify({ errors: [{ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry' }] }),
    }));
    await assert.rejects(
      s2.putManifest(manifest, OCI_MANIFEST, { tag: 'x' }),
      (e: unknown) =>
        isSealError(e, 'registry') &&
        e.code === 'MANIFEST_BLOB_UNKNOWN' &&
        /pushing manifest x in reg\.test\/team\/app failed: 400 \(gave up after 3 attempts\).*MANIFEST_BLOB_UNKNOWN: blob unknown to registry/.test(e.message),
    );
    const { s: s3, calls } = await store(() => ({ status: 400, body: JSON.stringify({ errors: [{ code: 'MANIFEST_INVALID' }] }) }));
    await assert.rejects(s3.putManifest(manifest, OCI_MANIFEST, { tag: 'x' }), (e: unknown) => isSealError(e, 'registry') && e.code === 'MANIFEST_INVALID');
    assert.equal(calls().length, 1, 'an invalid manifest is not sent again');
  });

  it('pushes again when a blob is briefly unreadable because another client is writing it', async () => {
    // distribution rewrites a repository's blob link in place: a concurrent reader sees it empty.
    let n = 0;
    const race = JSON.stringify({
      errors: [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content' }, { code: 'MANIFEST_BLOB_UNKNOWN' }],
    });
    const { s, calls } = await store(() => (++n <= 2 ? { status: 400, body: race } : { status: 201, headers: { 'docker-content-digest': MD } }));
    assert.deepEqual(await s.putManifest(manifest, OCI_MANIFEST, { tag: 'x' }), { digest: MD });
    assert.equal(calls().length, 3);
    assert.deepEqual(
      calls().map((c) => c.method),
      ['PUT', 'PUT', 'PUT'],
    );
  });

  it('refuses a registry that stored the manifest under another digest', async () => {
    const { s } = await store(() => ({ status: 201, headers: { 'docker-content-digest': OTHER } }));
    await assert.rejects(s.putManifest(manifest, OCI_MANIFEST, { tag: 'x' }), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH');
  });

  it('refuses invalid tags and digests before sending anything', async () => {
    const { s, calls } = await store(() => ({ status: 200 }));
    await assert.rejects(s.getManifest('../../etc'), (e: unknown) => isSealError(e, 'usage'));
    await assert.rejects(s.putManifest(manifest, OCI_MANIFEST, { tag: 'a/b' }), (e: unknown) => isSealError(e, 'usage'));
    await assert.rejects(s.hasBlob('sha256:short'), (e: unknown) => isSealError(e, 'usage'));
    assert.equal(calls().length, 0);
  });
});

describe('delete', () => {
  // distribution 2.x cannot delete a tag (400): the tag is moved to a placeholder of its own,
  // that is deleted by digest, and the manifest only when no other tag names it (issue 9 item 10).
  const untagging = (otherTags: string[]) =>
    store((req) => {
      const p = req.url.pathname;
      if (req.method === 'HEAD' && p.includes('/manifests/')) {
        return {
          status: 200,
          headers: {
            'docker-content-digest': p.endsWith('/latest') || otherTags.some((t) => p.endsWith(`/${t}`)) ? MD : OTHER,
            'content-type': OCI_MANIFEST,
            'content-length': String(manifest.length),
          },
        };
      }
      if (req.method === 'POST' && req.url.searchParams.has('mount')) return { status: 201 }; // the empty blob is there
      if (req.method === 'HEAD') return { status: 200 };
      if (req.method === 'DELETE' && p.endsWith('/latest')) return { status: 400, body: JSON.stringify({ errors: [{ code: 'DIGEST_INVALID' }] }) };
      if (req.method === 'DELETE') return { status: 202 };
      if (req.method === 'PUT') return { status: 201 };
      if (p.endsWith('/tags/list')) return { status: 200, body: JSON.stringify({ tags: ['latest', 'v2', ...otherTags] }) };
      return undefined;
    });
  const placeholderDelete = (c: { method: string; url: string }) => c.method === 'DELETE' && !c.url.endsWith('/latest') && !c.url.endsWith(MD);

  it('deletes a tag the registry cannot delete through a placeholder, then the manifest when no other tag names it', async () => {
    const { s, calls } = await untagging([]);
    await s.deleteTag('latest');
    const seen = calls().map((c) => `${c.method} ${new URL(c.url).pathname}`);
    assert.deepEqual(seen.slice(0, 2), ['HEAD /v2/team/app/manifests/latest', 'DELETE /v2/team/app/manifests/latest']);
    assert.ok(seen.includes('PUT /v2/team/app/manifests/latest'), 'the tag is moved to the placeholder');
    assert.equal(calls().filter(placeholderDelete).length, 1, 'the placeholder is deleted by its digest');
    assert.ok(seen.includes('HEAD /v2/team/app/manifests/v2'), 'the other tags are checked');
    assert.equal(seen.at(-1), `DELETE /v2/team/app/manifests/${MD}`);
  });

  it('keeps the manifest when another tag still names it (one SBOM behind two images)', async () => {
    const { s, calls } = await untagging(['sha256-abc.sbom']);
    await s.deleteTag('latest');
    const seen = calls().map((c) => `${c.method} ${new URL(c.url).pathname}`);
    assert.equal(calls().filter(placeholderDelete).length, 1);
    assert.ok(!seen.includes(`DELETE /v2/team/app/manifests/${MD}`), seen.join('\n'));
  });

  it('treats a missing tag or manifest as already deleted', async () => {
    const { s, calls } = await store(() => ({ status: 404 }));
    await s.deleteTag('gone');
    await s.deleteManifest(MD);
    assert.equal(calls().length, 2);
  });

  it('explains a registry that does not allow deletes', async () => {
    const { s } = await store(() => ({ status: 405, body: JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }) }));
    await assert.rejects(s.deleteManifest(MD), (e: unknown) => isSealError(e, 'registry') && /storage\.delete\.enabled/.test(e.hint ?? ''));
  });
});

describe('tags', () => {
  it('follows Link pagination and stops on a self-link', async () => {
    const pages: Record<string, FakeAnswer> = {
      '/v2/team/app/tags/list?n=2': {
        status: 200,
        headers: { link: '</v2/team/app/tags/list?n=2&last=b>; rel="next"' },
        body: '{"name":"team/app","tags":["a","b"]}',
      },
      '/v2/team/app/tags/list?n=2&last=b': {
        status: 200,
        headers: { link: '<https://reg.test/v2/team/app/tags/list?n=2&last=d>; rel=next' },
        body: '{"tags":["c","d"]}',
      },
      '/v2/team/app/tags/list?n=2&last=d': { status: 200, headers: { link: '</v2/team/app/tags/list?n=2&last=d>; rel="next"' }, body: '{"tags":["e"]}' },
    };
    const { s } = await store((req) => pages[req.url.pathname + req.url.search]);
    assert.deepEqual(await s.listTags({ pageSize: 2 }), ['a', 'b', 'c', 'd', 'e']);
  });

  it('lists no tags for a repository that does not exist, and tolerates "tags": null', async () => {
    assert.deepEqual(await (await store(() => ({ status: 404 }))).s.listTags(), []);
    assert.deepEqual(await (await store(() => ({ status: 200, body: '{"tags":null}' }))).s.listTags(), []);
  });

  it('parses Link headers', () => {
    assert.equal(nextLink('</a?n=1>; rel="next"'), '/a?n=1');
    assert.equal(nextLink('<https://x/p>; rel="prev", <https://x/n>; rel="next"'), 'https://x/n');
    assert.equal(nextLink('<https://x/p>; rel="prev"'), undefined);
    assert.equal(nextLink(null), undefined);
  });
});

describe('referrers', () => {
  const index = (manifests: object[]) => JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
  const d = (artifactType: string) => ({
    mediaType: OCI_MANIFEST,
    digest: 'sha256:' + artifactType.length.toString().padStart(64, '0'),
    size: 1,
    artifactType,
  });

  it('lists referrers, asking the registry to filter by artifactType', async () => {
    const { s, calls } = await store(() => ({
      status: 200,
      headers: { 'content-type': OCI_INDEX, 'oci-filters-applied': 'artifactType' },
      body: index([d('a/b')]),
    }));
    assert.deepEqual(await s.referrers(MD, { artifactType: 'a/b' }), [d('a/b')]);
    const u = new URL(calls()[0]!.url);
    assert.equal(u.pathname, `/v2/team/app/referrers/${MD}`);
    assert.equal(u.searchParams.get('artifactType'), 'a/b');
    assert.equal(calls()[0]!.headers.accept, OCI_INDEX);
  });

  it('filters itself when the registry did not', async () => {
    const { s } = await store(() => ({ status: 200, body: index([d('a/b'), d('c/dd')]) }));
    assert.deepEqual(await s.referrers(MD, { artifactType: 'c/dd' }), [d('c/dd')]);
  });

  it('follows pages', async () => {
    const { s } = await store((req) =>
      req.url.search.includes('page=2')
        ? { status: 200, body: index([d('x/2')]) }
        : { status: 200, headers: { link: `</v2/team/app/referrers/${MD}?page=2>; rel="next"` }, body: index([d('x/1')]) },
    );
    assert.equal((await s.referrers(MD))!.length, 2);
  });

  const absent: [string, FakeAnswer][] = [
    ['404 with a distribution error body', { status: 404, body: JSON.stringify({ errors: [{ code: 'NOT_FOUND' }] }) }],
    ['404 with a plain text body (distribution 2.8)', { status: 404, body: '404 page not found\n' }],
    ['405', { status: 405 }],
    ['400', { status: 400 }],
    ['200 with something that is not an index', { status: 200, body: '<html></html>' }],
  ];
  for (const [name, answer] of absent) {
    it(`reports no referrers API (null) for ${name}`, async () => assert.equal(await (await store(() => answer)).s.referrers(MD), null));
  }

  it('accepts a 404 that carries an image index', async () => {
    assert.deepEqual(await (await store(() => ({ status: 404, body: index([]) }))).s.referrers(MD), []);
  });

  it('throws for denied access and server errors instead of hiding them as "absent"', async () => {
    await assert.rejects((await store(() => ({ status: 403 }))).s.referrers(MD), (e: unknown) => isSealError(e, 'registry'));
    await assert.rejects(
      (await store(() => ({ status: 503 }))).s.referrers(MD),
      (e: unknown) => isSealError(e, 'registry') && /gave up after 3 attempts/.test(e.message),
    );
  });
});

describe('blobs', () => {
  const blob = enc('layer bytes');
  const BD = sha256Digest(blob);

  it('checks existence with HEAD', async () => {
    const { s } = await store((req) => (req.url.pathname.endsWith(BD) ? { status: 200 } : { status: 404 }));
    assert.equal(await s.hasBlob(BD), true);
    assert.equal(await s.hasBlob(OTHER), false);
  });

  it('reads a blob and checks its digest', async () => {
    const { s } = await store(() => ({ status: 200, body: blob }));
    assert.deepEqual(Buffer.from(await s.getBlob(BD)), Buffer.from(blob));
  });

  it('refuses a blob whose bytes do not match, in getBlob and openBlob', async () => {
    const { s } = await store(() => ({ status: 200, body: enc('layer bytez') }));
    await assert.rejects(s.getBlob(BD), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH');
    const stream = await s.openBlob(BD);
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH',
    );
  });

  it('caps getBlob', async () => {
    const { s } = await store(() => ({ status: 200, body: blob }));
    await assert.rejects(s.getBlob(BD, { maxBytes: 4 }), (e: unknown) => isSealError(e) && e.code === 'BLOB_TOO_LARGE');
  });

  it('reports a missing blob as not-found', async () => {
    await assert.rejects(
      (await store(() => ({ status: 404, body: JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }) }))).s.getBlob(BD),
      (e: unknown) => isSealError(e, 'not-found') && /BLOB_UNKNOWN/.test(e.message),
    );
  });

  it('skips an upload the registry already has: one mount of the blob from the repository itself, answered 201', async () => {
    const { s, calls } = await store((req) => (req.method === 'POST' ? { status: 201 } : undefined));
    assert.deepEqual(await s.putBlob(blob), { digest: BD, size: blob.length });
    assert.deepEqual(
      calls().map((c) => c.method),
      ['POST'],
    );
    const q = new URL(calls()[0]!.url).searchParams;
    assert.equal(q.get('mount'), BD);
    assert.equal(q.get('from'), 'team/app');
  });

  it('uploads monolithically: the mount answered 202 opens the session, the PUT to its Location keeps ?digest= beside its state', async () => {
    const { s, calls } = await store((req) => {
      if (req.method === 'POST') return { status: 202, headers: { location: '/v2/team/app/blobs/uploads/u1?_state=abc' } };
      if (req.method === 'PUT') return { status: 201, headers: { 'docker-content-digest': BD } };
      return undefined;
    });
    await s.putBlob(blob);
    assert.deepEqual(
      calls().map((c) => c.method),
      ['POST', 'PUT'],
    );
    const put = calls()[1]!;
    const u = new URL(put.url);
    assert.equal(u.pathname, '/v2/team/app/blobs/uploads/u1');
    assert.equal(u.searchParams.get('_state'), 'abc');
    assert.equal(u.searchParams.get('digest'), BD);
    assert.deepEqual(put.body, blob);
    assert.equal(put.headers['content-type'], 'application/octet-stream');
  });

  it('a registry that refuses the mount parameters gets a plain POST and PUT', async () => {
    const { s, calls } = await store((req) => {
      if (req.method === 'POST' && req.url.searchParams.has('mount')) return { status: 405 };
      if (req.method === 'POST') return { status: 202, headers: { location: '/v2/team/app/blobs/uploads/u2' } };
      if (req.method === 'PUT') return { status: 201, headers: { 'docker-content-digest': BD } };
      return undefined;
    });
    await s.putBlob(blob);
    assert.deepEqual(
      calls().map((c) => `${c.method} ${new URL(c.url).search.includes('mount') ? 'mount' : new URL(c.url).pathname}`),
      ['POST mount', 'POST /v2/team/app/blobs/uploads/', 'PUT /v2/team/app/blobs/uploads/u2'],
    );
  });
});

describe('chunked upload from a file', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function file(content: Uint8Array): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'seal-upload-'));
    dirs.push(dir);
    await writeFile(join(dir, 'blob'), content);
    return join(dir, 'blob');
  }

  /** A registry upload session that appends PATCH bodies and can drop one PATCH after reading part of it. */
  function session(failPatch?: number) {
    let received = Buffer.alloc(0);
    let patches = 0;
    let finalDigest = '';
    const route: Route = (req, body) => {
      if (req.method === 'HEAD') return { status: 404 };
      if (req.method === 'POST') return { status: 202, headers: { location: '/v2/team/app/blobs/uploads/s?_state=0' } };
      if (req.method === 'PATCH') {
        patches++;
        const [start] = req.headers['content-range']!.split('-').map(Number);
        if (start !== received.length) return { status: 416 };
        if (patches === failPatch) {
          received = Buffer.concat([received, Buffer.from(body!).subarray(0, 3)]); // a partial write, then the connection dies
          return new SealError('network', 'connection reset', { code: 'CONNECTION_RESET' });
        }
        received = Buffer.concat([received, Buffer.from(body!)]);
        return { status: 202, headers: { location: `/v2/team/app/blobs/uploads/s?_state=${received.length}`, range: `0-${received.length - 1}` } };
      }
      if (req.method === 'GET')
        return { status: 204, headers: { range: `0-${received.length - 1}`, location: `/v2/team/app/blobs/uploads/s?_state=${received.length}` } };
      if (req.method === 'PUT') {
        if (body) received = Buffer.concat([received, Buffer.from(body)]); // monolithic
        finalDigest = req.url.searchParams.get('digest')!;
        return sha256Digest(received) === finalDigest ? { status: 201 } : { status: 400, body: '{"errors":[{"code":"DIGEST_INVALID"}]}' };
      }
      return undefined;
    };
    return { route, received: () => received, patches: () => patches };
  }

  it('sends PATCH chunks with Content-Range and finishes with PUT ?digest=', async () => {
    const content = enc('0123456789abcdefghij'); // 20 bytes, chunks of 8
    const sess = session();
    const { s, calls } = await store(sess.route, { chunkSize: 8 });
    const info = await s.putBlobFile(await file(content));
    assert.deepEqual(info, { digest: sha256Digest(content), size: 20 });
    assert.deepEqual(
      calls()
        .filter((c) => c.method === 'PATCH')
        .map((c) => c.headers['content-range']),
      ['0-7', '8-15', '16-19'],
    );
    assert.deepEqual(sess.received(), Buffer.from(content));
  });

  it('resumes after a dropped PATCH from the offset the registry reports', async () => {
    const content = enc('0123456789abcdefghij');
    const sess = session(2);
    const log = recordingLog();
    const { s, calls } = await store(sess.route, { chunkSize: 8, log });
    await s.putBlobFile(await file(content));
    assert.deepEqual(sess.received(), Buffer.from(content));
    assert.deepEqual(
      calls()
        .filter((c) => c.method === 'PATCH')
        .map((c) => c.headers['content-range']),
      ['0-7', '8-15', '11-18', '19-19'],
    );
    assert.ok(log.lines.some((l) => /resuming the upload .* at byte 11/.test(l)));
  });

  it('uploads small files monolithically and checks a known size', async () => {
    const content = enc('small');
    const sess = session();
    const { s, calls } = await store(sess.route, { chunkSize: 8 });
    const path = await file(content);
    await assert.rejects(
      s.putBlobFile(path, { digest: sha256Digest(content), size: 99 }),
      (e: unknown) => isSealError(e, 'input') && e.code === 'SIZE_MISMATCH',
    );
    await s.putBlobFile(path, { digest: sha256Digest(content), size: 5 });
    assert.ok(!calls().some((c) => c.method === 'PATCH'));
  });
});

describe('mount', () => {
  it('returns true when the registry mounted the blob, asking for pull on the source', async () => {
    const { s, calls } = await store(() => ({ status: 201 }));
    assert.equal(await s.mountBlob(MD, 'team/base'), true);
    const u = new URL(calls()[0]!.url);
    assert.equal(u.searchParams.get('mount'), MD);
    assert.equal(u.searchParams.get('from'), 'team/base');
  });

  it('returns false and closes the session the registry opened instead', async () => {
    const { s, calls } = await store((req) =>
      req.method === 'POST' ? { status: 202, headers: { location: '/v2/team/app/blobs/uploads/x' } } : { status: 204 },
    );
    assert.equal(await s.mountBlob(MD, 'team/base'), false);
    assert.deepEqual(
      calls().map((c) => c.method),
      ['POST', 'DELETE'],
    );
  });
});

describe('errors and the handshake', () => {
  it('hints at logging in on 401 without credentials, at checking them with', async () => {
    const { s } = await store(() => ({ status: 401, body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }) }));
    await assert.rejects(
      s.getManifest('latest'),
      (e: unknown) => isSealError(e, 'registry') && /docker login/.test(e.hint ?? '') && /UNAUTHORIZED: authentication required/.test(e.message),
    );
  });

  it('never puts the password into an error or the debug log', async () => {
    const log = recordingLog();
    const transport = fakeTransport((req) =>
      req.url.pathname === '/v2/'
        ? { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } }
        : { status: 403, body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}' },
    );
    const s = await RegistryStore.open(parseReference('reg.test/app') as RegistryReference, {
      env: {},
      log,
      transport,
      username: 'bob',
      password: 'hunter2-secret',
    });
    const err = await s.getManifest('latest').catch((e: unknown) => e as SealError);
    assert.ok(isSealError(err, 'registry'));
    assert.match(err.hint ?? '', /check the registry credentials/);
    assert.ok(transport.requests.some((r) => r.headers.authorization?.startsWith('Basic ')));
    const everything = JSON.stringify([err.message, err.hint, log.lines]);
    assert.ok(!everything.includes('hunter2'));
    assert.ok(!everything.includes(Buffer.from('bob:hunter2-secret').toString('base64')));
  });

  it('says what a non-registry answered on /v2/', async () => {
    const transport = fakeTransport(() => ({ status: 404, body: '<html>nope</html>' }));
    const s = await RegistryStore.open(parseReference('reg.test/app') as RegistryReference, { env: {}, log: silentLog, transport });
    await assert.rejects(s.getManifest('latest'), (e: unknown) => isSealError(e) && /checking the registry API \(GET \/v2\/\)/.test(e.message));
  });

  it('falls back to http on a loopback registry that does not speak TLS', async () => {
    const transport = fakeTransport((req) =>
      req.url.protocol === 'https:' ? new SealError('network', 'TLS handshake failed', { code: 'TLS_PROTOCOL' }) : { status: 200, body: '{"tags":["x"]}' },
    );
    const s = await RegistryStore.open(parseReference('127.0.0.1:5000/app') as RegistryReference, { env: {}, log: silentLog, transport, sleep: noSleep });
    assert.deepEqual(await s.listTags(), ['x']);
    assert.ok(transport.requests.at(-1)!.url.startsWith('http://127.0.0.1:5000/'));
  });

  it('reports an untrusted certificate on loopback instead of trying http', async () => {
    const transport = fakeTransport(() => new SealError('network', 'TLS certificate for 127.0.0.1:5000 is not trusted', { code: 'TLS_UNTRUSTED' }));
    const s = await RegistryStore.open(parseReference('127.0.0.1:5000/app') as RegistryReference, { env: {}, log: silentLog, transport });
    await assert.rejects(s.listTags(), (e: unknown) => isSealError(e, 'network') && e.code === 'TLS_UNTRUSTED');
    assert.equal(transport.requests.length, 1);
  });

  it('never tries http for other hosts, and only http with allowHttp', async () => {
    const tls = fakeTransport(() => new SealError('network', 'handshake', { code: 'TLS_PROTOCOL' }));
    await assert.rejects(
      (await RegistryStore.open(parseReference('reg.test/app') as RegistryReference, { env: {}, log: silentLog, transport: tls })).listTags(),
    );
    assert.ok(tls.requests.every((r) => r.url.startsWith('https:')));
    const plain = fakeTransport(() => ({ status: 200, body: '{"tags":[]}' }));
    await (
      await RegistryStore.open(parseReference('reg.test/app') as RegistryReference, { env: {}, log: silentLog, transport: plain, allowHttp: true })
    ).listTags();
    assert.ok(plain.requests.every((r) => r.url.startsWith('http:')));
  });
});
