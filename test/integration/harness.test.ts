// The real-registry harness itself: each registry variant answers as it should, the fault
// proxy injects every fault kind, and the OCI layouts it builds are accepted by skopeo.
import assert from 'node:assert/strict';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  blobPath,
  httpRequest,
  inspectLayoutWithSkopeo,
  inspectWithSkopeo,
  makeImageLayout,
  makeIndexLayout,
  pullWithSkopeo,
  pushWithSkopeo,
  rawManifestWithSkopeo,
  registryInstalled,
  requireTool,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness/index.ts';

const canRun = registryInstalled() || process.getuid?.() === 0;
const skip = canRun ? false : 'docker-registry not installed and not root: apt-get install -y docker-registry';

const sha256 = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

const scratch: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `seal-harness-test-${prefix}-`));
  scratch.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

/** Monolithic upload (POST, then PUT with the digest); returns the digest. */
async function pushBlob(baseUrl: string, repo: string, data: Buffer, headers: Record<string, string> = {}, ca?: Buffer) {
  const digest = sha256(data);
  const start = await httpRequest(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers, ca });
  assert.equal(start.status, 202, `POST upload: ${start.status} ${start.body}`);
  const location = new URL(String(start.headers.location), baseUrl);
  location.searchParams.set('digest', digest);
  const put = await httpRequest(location.href, {
    method: 'PUT',
    body: data,
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    ca,
  });
  assert.equal(put.status, 201, `PUT upload: ${put.status} ${put.body}`);
  return { digest, location: String(start.headers.location) };
}

function decodeJwt(token: string) {
  const [h, c, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(c!, 'base64url').toString()),
    signingInput: `${h}.${c}`,
    signature: Buffer.from(s!, 'base64url'),
  };
}

/** Reads a response body until the end or until the connection breaks. */
function rawGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; broken: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let broken = false;
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), broken });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => (broken = true));
      res.on('error', () => {
        broken = true;
      });
      res.on('close', done);
    });
    req.on('error', reject);
  });
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs a child Node process that starts a registry, prints it as JSON, then ends the way
 * `ending` says without calling stop(); resolves with what it printed once it has exited.
 */
async function registryInOrphanedProcess(ending: string): Promise<{ pid: number; url: string; dir: string }> {
  const script = join(await tempDir('child'), 'child.mjs');
  const harness = new URL('../harness/index.ts', import.meta.url).href;
  await writeFile(
    script,
    `import { startRegistry } from ${JSON.stringify(harness)};
const reg = await startRegistry('plain');
process.stdout.write(JSON.stringify({ pid: reg.pid, url: reg.url, dir: reg.dir }) + '\\n');
${ending}
`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c));
  child.stdout.on('data', (c: Buffer) => {
    out += c;
    if (out.includes('\n') && ending.includes('SIGTERM')) child.kill('SIGTERM');
  });
  const code = await new Promise<number | string>((r) => child.on('exit', (c, sig) => r(c ?? sig ?? '?')));
  assert.ok(out.includes('\n'), `child printed nothing (exit ${code}): ${err}`);
  return JSON.parse(out);
}

describe('harness cleanup', { skip }, () => {
  for (const [name, ending] of [
    ['the test process exits without stop()', 'process.exit(0);'],
    ['the test process dies of an uncaught error', "throw new Error('boom');"],
    ['the test process is sent SIGTERM', 'setInterval(() => {}, 1000); // until SIGTERM'],
  ] as const) {
    it(`kills the registry and removes its dir when ${name}`, async () => {
      const { pid, url, dir } = await registryInOrphanedProcess(ending);
      for (let i = 0; i < 50 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(isAlive(pid), false, `registry ${pid} still running`);
      await assert.rejects(httpRequest(`${url}/v2/`, { timeoutMs: 2000 }), /ECONNREFUSED/);
      assert.equal(existsSync(dir), false, `${dir} left behind`);
    });
  }

  it('names the exact install command for a missing tool when not root', async () => {
    await assert.rejects(requireTool('seal-no-such-tool', 'seal-no-such-package', { isRoot: false }), {
      message: 'seal-no-such-tool is not installed; install it with: sudo apt-get install -y seal-no-such-package',
    });
  });
});

describe('startRegistry', { skip }, () => {
  it('plain: /v2/ answers 200, and stop() kills the registry and removes its dir', async () => {
    const reg = await startRegistry('plain');
    try {
      assert.equal(reg.kind, 'plain');
      assert.match(reg.host, /^127\.0\.0\.1:\d+$/);
      assert.equal(reg.url, `http://${reg.host}`);
      assert.equal(reg.username, undefined);
      const res = await httpRequest(`${reg.url}/v2/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.ok(existsSync(join(reg.dir, 'config.yml')));
      assert.match(await readFile(reg.logFile, 'utf8'), /listening on 127\.0\.0\.1/);
    } finally {
      await reg.stop();
    }
    await assert.rejects(httpRequest(`${reg.url}/v2/`, { timeoutMs: 2000 }), /ECONNREFUSED/);
    assert.equal(existsSync(reg.dir), false);
    await reg.stop(); // a second stop is harmless
  });

  it('fails with the log tail when its fixed port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const err = await startRegistry('plain', { port }).then(
        () => assert.fail('started on a busy port'),
        (e: Error) => e,
      );
      assert.match(err.message, new RegExp(`port ${port} in use`));
      assert.match(err.message, /address already in use/);
      const kept = /dir kept: (\S+)/.exec(err.message)?.[1];
      assert.ok(kept && existsSync(join(kept, 'registry.log')), 'log kept for post-mortem');
      await rm(kept, { recursive: true, force: true });
    } finally {
      blocker.close();
    }
  });

  describe('tls-basic', () => {
    let reg: RunningRegistry;
    let ca: Buffer;
    before(async () => {
      reg = await startRegistry('tls-basic', { username: 'alice', password: 'wonderland' });
      ca = await readFile(reg.caFile!);
    });
    after(() => reg?.stop());

    it('serves https with a self-signed P-256 certificate for 127.0.0.1 and localhost', async () => {
      assert.equal(reg.url, `https://${reg.host}`);
      const cert = new X509Certificate(ca);
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
      assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      assert.deepEqual(await readFile(join(reg.certsDir!, 'ca.crt')), ca);
      // Without trusting the certificate, the TLS handshake fails.
      await assert.rejects(httpRequest(`${reg.url}/v2/`), /self[- ]signed|certificate/i);
    });

    it('answers 401 with a Basic challenge without credentials, 200 with them', async () => {
      const anon = await httpRequest(`${reg.url}/v2/`, { ca });
      assert.equal(anon.status, 401);
      assert.match(String(anon.headers['www-authenticate']), /^Basic realm=/);
      const wrong = await httpRequest(`${reg.url}/v2/`, { ca, auth: { username: 'alice', password: 'nope' } });
      assert.equal(wrong.status, 401);
      assert.equal(reg.username, 'alice');
      assert.equal(reg.password, 'wonderland');
      const ok = await httpRequest(`${reg.url}/v2/`, { ca, auth: { username: 'alice', password: 'wonderland' } });
      assert.equal(ok.status, 200);
    });

    it('generates credentials when none are given', async () => {
      const other = await startRegistry('tls-basic');
      try {
        assert.ok(other.username && other.password);
        const ok = await httpRequest(`${other.url}/v2/`, {
          ca: await readFile(other.caFile!),
          auth: { username: other.username, password: other.password },
        });
        assert.equal(ok.status, 200);
      } finally {
        await other.stop();
      }
    });
  });

  describe('token', () => {
    let reg: RunningRegistry;
    before(async () => {
      reg = await startRegistry('token', { username: 'bob', password: 'builder' });
    });
    after(() => reg?.stop());

    const getToken = async (scope: string, auth?: { username: string; password: string }) => {
      const url = new URL(reg.tokenServer!.url);
      url.searchParams.set('service', reg.tokenServer!.service);
      url.searchParams.append('scope', scope);
      return httpRequest(url.href, { auth });
    };

    it('challenges with Bearer pointing at the token server', async () => {
      const res = await httpRequest(`${reg.url}/v2/`);
      assert.equal(res.status, 401);
      const challenge = String(res.headers['www-authenticate']);
      assert.match(challenge, /^Bearer /);
      assert.ok(challenge.includes(`realm="${reg.tokenServer!.url}"`), challenge);
      assert.ok(challenge.includes(`service="${reg.tokenServer!.service}"`), challenge);
    });

    it('issues ES256 JWTs with x5c that the registry accepts, end to end', async () => {
      const res = await getToken('repository:team/app:pull,push', { username: 'bob', password: 'builder' });
      assert.equal(res.status, 200);
      const body = JSON.parse(res.body.toString());
      assert.equal(body.token, body.access_token);
      assert.equal(body.expires_in, 300);
      const jwt = decodeJwt(body.token);
      assert.equal(jwt.header.alg, 'ES256');
      const cert = new X509Certificate(Buffer.from(jwt.header.x5c[0], 'base64'));
      assert.deepEqual(cert.raw, new X509Certificate(await readFile(reg.tokenServer!.certFile)).raw);
      const key = { key: cert.publicKey, dsaEncoding: 'ieee-p1363' as const };
      assert.ok(verify('sha256', Buffer.from(jwt.signingInput), key, jwt.signature), 'JWT verifies with the x5c cert');
      const forged = Buffer.from(jwt.signature);
      forged[5]! ^= 1;
      assert.equal(verify('sha256', Buffer.from(jwt.signingInput), key, forged), false);
      assert.equal(jwt.claims.sub, 'bob');
      assert.equal(jwt.claims.aud, reg.tokenServer!.service);
      assert.deepEqual(jwt.claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);

      const bearer = { authorization: `Bearer ${body.token}` };
      const blob = Buffer.from(`token flow ${Date.now()}`);
      const { digest } = await pushBlob(reg.url, 'team/app', blob, bearer);
      const got = await httpRequest(`${reg.url}/v2/team/app/blobs/${digest}`, { headers: bearer });
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, blob);
      // The token is scoped: another repository is refused.
      const other = await httpRequest(`${reg.url}/v2/team/other/tags/list`, { headers: bearer });
      assert.equal(other.status, 401);
    });

    it('gives anonymous callers a token without access, and refuses wrong credentials', async () => {
      const anon = await getToken('repository:team/app:pull');
      assert.equal(anon.status, 200);
      const token = JSON.parse(anon.body.toString()).token;
      assert.deepEqual(decodeJwt(token).claims.access, []);
      const denied = await httpRequest(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /insufficient_scope/);

      const wrong = await getToken('repository:team/app:pull', { username: 'bob', password: 'wrong' });
      assert.equal(wrong.status, 401);
      const last = reg.tokenServer!.requests.at(-1)!;
      assert.equal(last.status, 401);
      assert.deepEqual(last.scopes, ['repository:team/app:pull']);
    });

    it('supports the OAuth2 password grant (POST /token)', async () => {
      const form = new URLSearchParams({
        grant_type: 'password',
        username: 'bob',
        password: 'builder',
        service: reg.tokenServer!.service,
        scope: 'repository:team/app:pull',
      });
      const res = await httpRequest(reg.tokenServer!.url, {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 200);
      const token = JSON.parse(res.body.toString()).access_token;
      const tags = await httpRequest(`${reg.url}/v2/team/app/tags/list`, { headers: { authorization: `Bearer ${token}` } });
      assert.notEqual(tags.status, 401);
      form.set('password', 'wrong');
      const bad = await httpRequest(reg.tokenServer!.url, { method: 'POST', body: form.toString() });
      assert.equal(bad.status, 401);
    });
  });
});

describe('startFaultProxy', { skip }, () => {
  let reg: RunningRegistry;
  let proxy: FaultProxy;
  const blob = Buffer.alloc(64 * 1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 31 + 7) & 0xff;
  let digest: string;
  let blobUrl: string;

  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startFaultProxy(reg.url);
    ({ digest } = await pushBlob(reg.url, 'fp/app', blob));
    blobUrl = `${proxy.url}/v2/fp/app/blobs/${digest}`;
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('passes requests through and records them', async () => {
    proxy.reset();
    const res = await httpRequest(blobUrl);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, blob);
    const head = await httpRequest(blobUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(blob.length));
    assert.deepEqual(
      proxy.requests.map(({ at, ms, ...rest }) => {
        assert.ok(at >= 0 && ms >= 0);
        return rest;
      }),
      [
        { method: 'GET', path: `/v2/fp/app/blobs/${digest}`, status: 200, bytes: blob.length, requestBytes: 0 },
        { method: 'HEAD', path: `/v2/fp/app/blobs/${digest}`, status: 200, bytes: 0, requestBytes: 0 },
      ],
    );
    assert.ok(proxy.requests[1]!.at >= proxy.requests[0]!.at);
    assert.equal(proxy.count(), 2);
    assert.equal(proxy.count({ method: 'head' }), 1);
    assert.equal(proxy.count({ path: /blobs/, status: 200 }), 2);
    assert.equal(
      proxy.count((r) => r.bytes > 0),
      1,
    );
  });

  it('keeps uploads on the proxy (Location) and streams request bodies', async () => {
    proxy.reset();
    const data = Buffer.from(`uploaded through the proxy ${Date.now()}`);
    const { digest: d, location } = await pushBlob(proxy.url, 'fp/up', data);
    assert.ok(location.startsWith(proxy.url), location);
    const direct = await httpRequest(`${reg.url}/v2/fp/up/blobs/${d}`);
    assert.deepEqual(direct.body, data);
    assert.deepEqual(
      proxy.requests.map((r) => [r.method, r.status]),
      [
        ['POST', 202],
        ['PUT', 201],
      ],
    );
    assert.equal(proxy.requests[1]!.requestBytes, data.length);
  });

  it('injects an error status with Retry-After, only `times` times', async () => {
    proxy.reset();
    proxy.setFaults([{ method: 'GET', path: /\/blobs\//, times: 1, action: { status: 503, retryAfter: '2' } }]);
    const first = await httpRequest(blobUrl);
    assert.equal(first.status, 503);
    assert.equal(first.headers['retry-after'], '2');
    assert.equal(JSON.parse(first.body.toString()).errors[0].code, 'UNAVAILABLE');
    const second = await httpRequest(blobUrl);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, blob);
    assert.equal(proxy.count({ status: 503 }), 1);
    assert.equal(proxy.requests[0]!.fault, 'status');
    assert.equal(proxy.requests[1]!.fault, undefined);
  });

  it('matches rules by method and path, first match wins, custom body', async () => {
    proxy.reset();
    proxy.setFaults([
      { method: 'HEAD', action: { status: 404 } },
      { path: /\/tags\/list$/, action: { status: 429, body: 'slow down' } },
      { action: { status: 500 } },
    ]);
    assert.equal((await httpRequest(blobUrl, { method: 'HEAD' })).status, 404);
    const tags = await httpRequest(`${proxy.url}/v2/fp/app/tags/list`);
    assert.equal(tags.status, 429);
    assert.equal(tags.body.toString(), 'slow down');
    assert.equal((await httpRequest(blobUrl)).status, 500);
    proxy.setFaults([]);
    assert.equal((await httpRequest(blobUrl)).status, 200);
  });

  it('drops the connection', async () => {
    proxy.reset();
    proxy.setFaults([{ path: /\/blobs\//, times: 1, action: { drop: true } }]);
    await assert.rejects(httpRequest(blobUrl), /socket hang up|ECONNRESET/);
    assert.equal(proxy.requests[0]!.status, 0);
    assert.equal(proxy.requests[0]!.fault, 'drop');
    assert.equal((await httpRequest(blobUrl)).status, 200);
  });

  it('sends the headers, then cuts the body at truncateAt', async () => {
    proxy.reset();
    proxy.setFaults([{ times: 1, action: { truncateAt: 1000 } }]);
    const res = await rawGet(blobUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-length'], String(blob.length));
    assert.equal(res.broken, true);
    assert.equal(res.body.length, 1000);
    assert.deepEqual(res.body, blob.subarray(0, 1000));
    assert.equal(proxy.requests[0]!.fault, 'truncate');
    assert.equal(proxy.requests[0]!.bytes, 1000);
    // global fetch notices too
    proxy.setFaults([{ times: 1, action: { truncateAt: 10 } }]);
    await assert.rejects(fetch(blobUrl).then((r) => r.arrayBuffer()));
  });

  it('corrupts one byte of the body, keeping its length', async () => {
    proxy.reset();
    proxy.setFaults([{ times: 1, action: { corrupt: true } }]);
    const res = await httpRequest(blobUrl);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, blob.length);
    assert.notEqual(sha256(res.body), digest);
    let differing = 0;
    for (let i = 0; i < blob.length; i++) if (res.body[i] !== blob[i]) differing++;
    assert.equal(differing, 1);
    assert.equal(proxy.requests[0]!.fault, 'corrupt');
    assert.equal(sha256((await httpRequest(blobUrl)).body), digest);
  });

  it('delays requests', async () => {
    proxy.reset();
    proxy.setFaults([{ times: 1, action: { delayMs: 400 } }]);
    const t0 = Date.now();
    const res = await httpRequest(blobUrl);
    assert.ok(Date.now() - t0 >= 390, `took ${Date.now() - t0} ms`);
    assert.deepEqual(res.body, blob);
    const t1 = Date.now();
    await httpRequest(blobUrl);
    assert.ok(Date.now() - t1 < 390);
    // A client that gives up during the delay is never forwarded.
    proxy.reset();
    proxy.setFaults([{ times: 1, action: { delayMs: 500 } }]);
    await assert.rejects(httpRequest(blobUrl, { timeoutMs: 100 }), /timeout/);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(proxy.requests[0]!.status, 0);
  });

  it('answers 502 when the target is down', async () => {
    const dead = await startFaultProxy('http://127.0.0.1:1');
    try {
      const res = await httpRequest(`${dead.url}/v2/`);
      assert.equal(res.status, 502);
      assert.equal(dead.requests[0]!.status, 502);
    } finally {
      await dead.stop();
    }
  });

  it('speaks HTTP to clients and HTTPS to a TLS registry', async () => {
    const tls = await startRegistry('tls-basic');
    const tlsProxy = await startFaultProxy(tls.url, { ca: await readFile(tls.caFile!) });
    try {
      assert.equal((await httpRequest(`${tlsProxy.url}/v2/`)).status, 401);
      const auth = { username: tls.username!, password: tls.password! };
      assert.equal((await httpRequest(`${tlsProxy.url}/v2/`, { auth })).status, 200);
      const data = Buffer.from('through to tls');
      const headers = { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
      const { digest: d, location } = await pushBlob(tlsProxy.url, 'tls/app', data, headers);
      assert.ok(location.startsWith(tlsProxy.url), location);
      const got = await httpRequest(`${tlsProxy.url}/v2/tls/app/blobs/${d}`, { headers });
      assert.deepEqual(got.body, data);
      tlsProxy.setFaults([{ action: { status: 503 } }]);
      assert.equal((await httpRequest(`${tlsProxy.url}/v2/`, { auth })).status, 503);
    } finally {
      await tlsProxy.stop();
      await tls.stop();
    }
  });
});

/** Names of the entries in an uncompressed tar. */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length;) {
    const header = tar.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    names.push(header.subarray(0, 100).toString().replace(/\0.*$/s, ''));
    const size = parseInt(header.subarray(124, 136).toString().replace(/\0.*$/s, ''), 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('OCI layouts', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry('plain');
  });
  after(() => reg?.stop());

  it('makeImageLayout writes a well-formed layout that skopeo reads', async () => {
    const dir = await tempDir('image');
    const img = await makeImageLayout(dir, { extraBytes: 100_000 });
    assert.equal(img.tag, 'latest');
    assert.equal(img.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    assert.deepEqual(index.manifests, [
      { mediaType: img.mediaType, digest: img.digest, size: img.size, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
    ]);
    // Every blob is stored under its own digest.
    for (const name of await readdir(join(dir, 'blobs', 'sha256'))) {
      assert.equal(sha256(await readFile(join(dir, 'blobs', 'sha256', name))), `sha256:${name}`);
    }
    const manifestBytes = await readFile(blobPath(dir, img.digest));
    assert.equal(manifestBytes.length, img.size);
    const manifest = JSON.parse(manifestBytes.toString());
    assert.deepEqual(manifest.config, img.config);
    assert.deepEqual(manifest.layers, img.layers);
    const config = JSON.parse(await readFile(blobPath(dir, img.config.digest), 'utf8'));
    const tar = gunzipSync(await readFile(blobPath(dir, img.layers[0]!.digest)));
    assert.deepEqual(config.rootfs.diff_ids, [sha256(tar)]);
    assert.equal(config.architecture, 'amd64');
    assert.deepEqual(tarNames(tar), ['etc/', 'etc/hostname', 'hello.txt', 'payload.bin']);
    assert.ok(img.layers[0]!.size > 100_000);

    const inspected = await inspectLayoutWithSkopeo(dir, 'latest');
    assert.equal(inspected.Digest, img.digest);
    assert.equal(inspected.Architecture, 'amd64');
    assert.deepEqual(inspected.Layers, [img.layers[0]!.digest]);
  });

  it('gives every image fresh digests, and retags within one layout', async () => {
    const dir = await tempDir('tags');
    const a = await makeImageLayout(dir, { tag: 'a', arch: 'arm64', variant: 'v8' });
    const b = await makeImageLayout(dir, { tag: 'b' });
    assert.notEqual(a.digest, b.digest);
    assert.notEqual(a.layers[0]!.digest, b.layers[0]!.digest);
    assert.deepEqual(a.platform, { architecture: 'arm64', os: 'linux', variant: 'v8' });
    const a2 = await makeImageLayout(dir, { tag: 'a' });
    const refs = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests.map((m: { digest: string; annotations: Record<string, string> }) => [
      m.annotations['org.opencontainers.image.ref.name'],
      m.digest,
    ]);
    assert.deepEqual(refs, [
      ['b', b.digest],
      ['a', a2.digest],
    ]);
    assert.equal((await inspectLayoutWithSkopeo(dir, 'b')).Digest, b.digest);
  });

  it('skopeo copy pushes an image layout; inspect and pull agree', async () => {
    const dir = await tempDir('push');
    const img = await makeImageLayout(dir, { tag: 'v1' });
    const pushed = await pushWithSkopeo(dir, 'v1', reg, 'harness/image:v1');
    assert.equal(pushed, img.digest);
    const info = await inspectWithSkopeo(reg, 'harness/image:v1');
    assert.equal(info.Digest, img.digest);
    assert.deepEqual(info.Layers, [img.layers[0]!.digest]);
    const raw = await rawManifestWithSkopeo(reg, `harness/image@${img.digest}`);
    assert.equal(raw.digest, img.digest);
    const out = await tempDir('pulled');
    await pullWithSkopeo(reg, 'harness/image:v1', out);
    assert.deepEqual(await readFile(blobPath(out, img.layers[0]!.digest)), await readFile(blobPath(dir, img.layers[0]!.digest)));
  });

  it('makeIndexLayout builds a linux/amd64 + linux/arm64 index that skopeo pushes whole', async () => {
    const dir = await tempDir('index');
    const idx = await makeIndexLayout(dir);
    assert.equal(idx.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      idx.children.map((c) => c.platform),
      [
        { architecture: 'amd64', os: 'linux' },
        { architecture: 'arm64', os: 'linux', variant: 'v8' },
      ],
    );
    const index = JSON.parse(await readFile(blobPath(dir, idx.digest), 'utf8'));
    assert.deepEqual(index.manifests, idx.children);
    assert.equal(idx.size, (await readFile(blobPath(dir, idx.digest))).length);

    assert.equal(await pushWithSkopeo(dir, 'latest', reg, 'harness/multi:v1'), idx.digest);
    const raw = await rawManifestWithSkopeo(reg, 'harness/multi:v1');
    assert.equal(raw.digest, idx.digest);
    assert.equal(raw.manifest.mediaType, idx.mediaType);
    for (const child of idx.children) {
      const info = await inspectWithSkopeo(reg, `harness/multi@${child.digest}`);
      assert.equal(info.Architecture, child.platform.architecture);
    }
  });

  it('pushes to the TLS + basic-auth and the token registries with their credentials', async () => {
    const dir = await tempDir('auth');
    const img = await makeImageLayout(dir);
    for (const kind of ['tls-basic', 'token'] as const) {
      const authReg = await startRegistry(kind);
      try {
        assert.equal(await pushWithSkopeo(dir, 'latest', authReg, 'secure/app:v1'), img.digest);
        assert.equal((await inspectWithSkopeo(authReg, 'secure/app:v1')).Digest, img.digest);
        await assert.rejects(
          inspectWithSkopeo({ host: authReg.host, certsDir: authReg.certsDir }, 'secure/app:v1'),
          /unauthorized|authentication required|401/i,
        );
        if (kind === 'token') assert.ok(authReg.tokenServer!.requests.some((r) => r.subject === authReg.username));
      } finally {
        await authReg.stop();
      }
    }
  });
});
