// First contact with a loopback registry: the bare TLS hello (tls-probe.ts) tells a plain-http
// registry from a TLS one, and the client then skips the https attempt only for a positive
// "not TLS". Real sockets on 127.0.0.1: a plain node:http server, a node:https one with a
// self-signed certificate, one that wants a client certificate, one that hangs up.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSealError } from '../../../../src/errors.ts';
import { parseReference, type RegistryReference } from '../../../../src/oci/reference.ts';
import { RegistrySession } from '../../../../src/oci/registry/session.ts';
import { RegistryStore } from '../../../../src/oci/registry/store.ts';
import { probeTls } from '../../../../src/oci/registry/tls-probe.ts';
import { makeSelfSignedCert } from '../../../harness/certs.ts';
import { recordingLog, silentLog } from './fake.ts';

interface Counted {
  host: string;
  /** Connections whose first byte was a TLS record (0x16), and the others. */
  hellos: number;
  plain: number;
  requests: string[];
  server: net.Server;
}

/** Counts what arrives before handing the connection to `server`. */
function counting(server: http.Server | https.Server | null): Promise<Counted> {
  const c: Counted = { host: '', hellos: 0, plain: 0, requests: [], server: null as unknown as net.Server };
  server?.on('request', (req: http.IncomingMessage) => c.requests.push(`${req.method} ${req.url}`));
  c.server = net.createServer({ pauseOnConnect: true }, (socket) => {
    if (!server) {
      socket.destroy(); // hangs up on everything
      return;
    }
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first) {
        if (first[0] === 0x16) c.hellos++;
        else c.plain++;
        socket.unshift(first);
      }
      server.emit('connection', socket);
    });
    socket.resume();
    socket.pause();
  });
  return new Promise((resolve) =>
    c.server.listen(0, '127.0.0.1', () => {
      c.host = `127.0.0.1:${(c.server.address() as net.AddressInfo).port}`;
      resolve(c);
    }),
  );
}

const registryAnswer = (_req: http.IncomingMessage, res: http.ServerResponse) => {
  if (_req.url === '/v2/') res.writeHead(200, { 'content-length': '0' }).end();
  else res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["v1"]}');
};

let dir: string;
let plain: Counted;
let tls: Counted;
let mtls: Counted;
let hangup: Counted;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'seal-tls-probe-'));
  const cert = await makeSelfSignedCert(dir, { name: 'reg', commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' });
  plain = await counting(http.createServer(registryAnswer));
  tls = await counting(https.createServer({ cert: cert.certPem, key: cert.keyPem }, registryAnswer));
  mtls = await counting(
    https.createServer({ cert: cert.certPem, key: cert.keyPem, requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, registryAnswer),
  );
  hangup = await counting(null);
});
after(async () => {
  for (const c of [plain, tls, mtls, hangup]) c.server.close();
  await rm(dir, { recursive: true, force: true });
});

const reset = () => {
  for (const c of [plain, tls, mtls, hangup]) Object.assign(c, { hellos: 0, plain: 0, requests: [] });
};

describe('probeTls', () => {
  it('says "plain" for an http server, which answers the hello with an HTTP error', async () => {
    assert.equal(await probeTls(plain.host, { timeoutMs: 5000 }), 'plain');
  });
  it('says "tls" for a TLS server, whatever its certificate', async () => {
    assert.equal(await probeTls(tls.host, { timeoutMs: 5000 }), 'tls');
  });
  it('says "tls" for a TLS server that refuses the handshake without a client certificate', async () => {
    assert.equal(await probeTls(mtls.host, { timeoutMs: 5000 }), 'tls');
  });
  it('says "unknown" when nothing listens or the server hangs up', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.equal(await probeTls(`127.0.0.1:${port}`, { timeoutMs: 5000 }), 'unknown');
    assert.equal(await probeTls(hangup.host, { timeoutMs: 5000 }), 'unknown');
  });
  it('says "unknown" when the server says nothing within the time allowed', async () => {
    const silent = net.createServer(() => {}); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      assert.equal(await probeTls(`127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { timeoutMs: 50 }), 'unknown');
    } finally {
      silent.close();
    }
  });
  it('says "unknown" when interrupted', async () => {
    const ac = new AbortController();
    ac.abort();
    assert.equal(await probeTls(plain.host, { timeoutMs: 5000, signal: ac.signal }), 'unknown');
  });
});

const open = (host: string, session = new RegistrySession(), log = silentLog) =>
  RegistryStore.open(parseReference(`${host}/team/app`) as RegistryReference, { env: {}, log, session, retries: 0 });

describe('first contact with a loopback registry', () => {
  it('speaks http to a plain-http registry without an https request, and probes once per session', async () => {
    reset();
    const session = new RegistrySession();
    const log = recordingLog();
    assert.deepEqual(await (await open(plain.host, session, log)).listTags(), ['v1']);
    assert.equal(plain.hellos, 1); // the probe; no https request followed it
    assert.deepEqual(plain.requests, ['GET /v2/', 'GET /v2/team/app/tags/list']);
    assert.ok(log.lines.some((l) => /TLS probe: plain/.test(l)));
    await (await open(plain.host, session)).listTags();
    assert.equal(plain.hellos, 1);
  });

  it('still refuses an untrusted certificate on a TLS registry, without trying http', async () => {
    reset();
    await assert.rejects((await open(tls.host)).listTags(), (e: unknown) => isSealError(e, 'network') && e.code === 'TLS_UNTRUSTED');
    assert.equal(tls.plain, 0); // nothing was sent in plain http
    assert.deepEqual(tls.requests, []);
  });

  it('speaks https to a TLS registry it trusts', async () => {
    reset();
    const store = await RegistryStore.open(parseReference(`${tls.host}/team/app`) as RegistryReference, {
      env: {},
      log: silentLog,
      allowInsecure: true,
      retries: 0,
    });
    assert.deepEqual(await store.listTags(), ['v1']);
    assert.equal(tls.plain, 0);
    assert.deepEqual(tls.requests, ['GET /v2/', 'GET /v2/team/app/tags/list']);
    store.close();
  });

  it('reports a registry that hangs up as a network error (the order stays https, then http)', async () => {
    reset();
    await assert.rejects((await open(hangup.host)).listTags(), (e: unknown) => isSealError(e, 'network'));
  });
});
