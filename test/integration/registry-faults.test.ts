// The registry client under faults, through the harness's fault proxy in front of a real
// registry: retries that succeed, Retry-After, giving up with a count, dropped connections,
// timeouts, altered and truncated bodies; and a redirect to another host that must not carry
// the registry's Authorization.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SealError, isSealError } from '../../src/errors.ts';
import { silentLog } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore, type RegistryStoreOptions } from '../../src/oci/registry/store.ts';
import { openStore } from '../../src/oci/open-store.ts';
import {
  makeImageLayout,
  registryInstalled,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ImageLayout,
  type RunningRegistry,
} from '../harness/index.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';

let reg: RunningRegistry;
let proxy: FaultProxy;
let layout: ImageLayout;
let dir: string;

/** Fast backoff so tests do not wait; Retry-After is still honoured (capped at 5 s). */
const fast = { baseDelayMs: 10, maxDelayMs: 50, retryAfterCapMs: 5000 };

async function open(opts: Partial<RegistryStoreOptions> = {}, repo = 'team/app'): Promise<RegistryStore> {
  return RegistryStore.open(parseReference(`${proxy.host}/${repo}`) as RegistryReference, {
    env: { HOME: dir },
    log: silentLog,
    allowHttp: true,
    retryPolicy: fast,
    ...opts,
  });
}

describe('faults through the proxy', { skip }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seal-reg-faults-'));
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    layout = await makeImageLayout(join(dir, 'layout'));
    const src = await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log: silentLog });
    await copyImage(src, await open(), layout.tag);
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const manifestPath = () => new RegExp(`/v2/team/app/manifests/${layout.tag}$`);

  it('retries 503 twice and then succeeds', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), times: 2, action: { status: 503 } }]);
    const m = await (await open()).getManifest(layout.tag);
    assert.equal(m?.digest, layout.digest);
    assert.equal(proxy.count({ method: 'GET', path: manifestPath() }), 3);
    assert.equal(proxy.count({ method: 'GET', path: manifestPath(), status: 503 }), 2);
  });

  it('honours 429 with Retry-After: 1', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), times: 1, action: { status: 429, retryAfter: '1' } }]);
    const started = Date.now();
    await (await open()).getManifest(layout.tag);
    const waited = Date.now() - started;
    assert.ok(waited >= 950, `waited ${waited} ms`);
    assert.ok(waited < 4000, `waited ${waited} ms`);
    assert.equal(proxy.count({ path: manifestPath() }), 2);
  });

  it('gives up cleanly when the faults persist, saying how many attempts it made', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), action: { status: 503 } }]);
    const err = (await (await open({ retries: 3 })).getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'registry'), String(err));
    assert.match(
      err.message,
      /reading manifest latest in 127\.0\.0\.1:\d+\/team\/app failed: 503 Service Unavailable \(gave up after 4 attempts\): UNAVAILABLE: fault injected/,
    );
    assert.equal(proxy.count({ path: manifestPath() }), 4);
  });

  it('does not retry what will not change (404, 400)', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), action: { status: 400 } }]);
    await assert.rejects((await open()).getManifest(layout.tag), (e: unknown) => isSealError(e, 'registry') && /400/.test(e.message));
    assert.equal(proxy.count({ path: manifestPath() }), 1);
  });

  it('retries dropped connections and gives up with a network error after the limit', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), times: 2, action: { drop: true } }]);
    assert.equal((await (await open()).getManifest(layout.tag))?.digest, layout.digest);
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), action: { drop: true } }]);
    const err = (await (await open({ retries: 2 })).getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'network'), String(err));
    assert.match(err.message, /127\.0\.0\.1:\d+.*\(gave up after 3 attempts\)/);
    assert.equal(proxy.count({ path: manifestPath() }), 3, 'the message tells the truth');
  });

  it('times out a request that does not answer, naming the host', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: manifestPath(), action: { delayMs: 3000 } }]);
    const started = Date.now();
    const err = (await (await open({ retries: 0, timeoutMs: 300 })).getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'network') && err.code === 'TIMEOUT', String(err));
    assert.match(err.message, /^127\.0\.0\.1:\d+ did not answer within 300 ms$/);
    assert.ok(Date.now() - started < 2500);
  });

  it('refuses a blob whose bytes were altered on the way', async () => {
    const blob = layout.layers[0]!;
    const path = new RegExp(`/blobs/${blob.digest}$`);
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path, action: { corrupt: true } }]);
    const s = await open();
    await assert.rejects(s.getBlob(blob.digest), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH' && e.message.includes(blob.digest));
    const stream = await s.openBlob(blob.digest);
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      (e: unknown) => isSealError(e) && e.code === 'DIGEST_MISMATCH',
    );
  });

  it('refuses a truncated blob', async () => {
    const blob = layout.layers[0]!;
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), action: { truncateAt: Math.floor(blob.size / 2) } }]);
    // The connection is cut short of Content-Length: a network error, never the partial bytes.
    await assert.rejects((await open({ retries: 0 })).getBlob(blob.digest), (e: unknown) => isSealError(e, 'network') && /closed early|reset/.test(e.message));
  });

  it('reads a blob again when its body broke off once', async () => {
    const blob = layout.layers[0]!;
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), times: 1, action: { truncateAt: 10 } }]);
    assert.equal((await (await open()).getBlob(blob.digest)).length, blob.size);
    assert.equal(proxy.count({ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`) }), 2);
    // Broken off every time: re-read up to the retry limit, then a network error.
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`), action: { truncateAt: 10 } }]);
    await assert.rejects(
      (await open({ retries: 2 })).getBlob(blob.digest),
      (e: unknown) => isSealError(e, 'network') && /while reading the response \(gave up after 3 attempts\)$/.test(e.message),
    );
    assert.equal(proxy.count({ method: 'GET', path: new RegExp(`/blobs/${blob.digest}$`) }), 3);
  });

  it('refuses a manifest altered on the way, by tag (Docker-Content-Digest) and by digest', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: /\/manifests\//, action: { corrupt: true } }]);
    const s = await open();
    await assert.rejects(s.getManifest(layout.tag), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH');
    await assert.rejects(s.getManifest(layout.digest), (e: unknown) => isSealError(e, 'registry') && e.code === 'DIGEST_MISMATCH');
  });

  it('retries a failed blob upload PUT (its body is replayed from the start)', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'PUT', path: /\/blobs\/uploads\//, times: 1, action: { status: 502 } }]);
    const data = new TextEncoder().encode('retried upload ' + Date.now());
    const s = await open();
    const { digest } = await s.putBlob(data);
    assert.deepEqual(Buffer.from(await s.getBlob(digest)), Buffer.from(data));
    assert.equal(proxy.count({ method: 'PUT', path: /\/blobs\/uploads\// }), 2);
  });
});

describe('redirects to another host', { skip }, () => {
  // A registry on 127.0.0.1 that wants Basic auth and redirects blob GETs to storage on
  // localhost:<other port>, which records the headers it gets.
  const blob = new TextEncoder().encode('stored elsewhere');
  const digest = 'sha256:' + createHash('sha256').update(blob).digest('hex');
  const AUTH = 'Basic ' + Buffer.from('alice:s3cret').toString('base64');
  const storageSeen: http.IncomingHttpHeaders[] = [];
  const registrySeen: { url: string; authorization?: string }[] = [];
  let registry: http.Server;
  let storage: http.Server;

  before(async () => {
    storage = http.createServer((req, res) => {
      storageSeen.push(req.headers);
      res.writeHead(200, { 'content-length': blob.length, 'content-type': 'application/octet-stream' });
      res.end(blob);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    const storagePort = (storage.address() as AddressInfo).port;
    registry = http.createServer((req, res) => {
      registrySeen.push({ url: req.url!, authorization: req.headers.authorization });
      if (req.headers.authorization !== AUTH) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      if (req.url === '/v2/') return void res.end('{}');
      if (req.url === `/v2/app/blobs/${digest}`) {
        res.writeHead(307, { location: `http://localhost:${storagePort}/bucket/blob?X-Amz-Signature=secret-sig` });
        return void res.end();
      }
      res.writeHead(404);
      res.end();
    });
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  });
  after(() => {
    registry?.close();
    storage?.close();
  });

  it('sends Authorization to the registry and none to the storage host', async () => {
    const port = (registry.address() as AddressInfo).port;
    const s = await RegistryStore.open(parseReference(`127.0.0.1:${port}/app`) as RegistryReference, {
      env: {},
      log: silentLog,
      username: 'alice',
      password: 's3cret',
      allowHttp: true,
    });
    assert.deepEqual(Buffer.from(await s.getBlob(digest)), Buffer.from(blob));
    assert.ok(
      registrySeen.some((r) => r.url.includes('/blobs/') && r.authorization === AUTH),
      'the registry got the credentials',
    );
    assert.equal(storageSeen.length, 1);
    assert.equal(storageSeen[0]!.authorization, undefined);
    assert.equal(storageSeen[0]!.host, `localhost:${(storage.address() as AddressInfo).port}`);
    assert.match(storageSeen[0]!['user-agent'] ?? '', /^seal\//);
  });
});
