// RegistrySession: what the stores of one command share (connections, the /v2/ ping answer, the
// scheme, referrers-API support) and what two sessions never share. Against a small node:http
// server on 127.0.0.1 that counts what it is asked.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { attachmentTag } from '../../../../src/cosign/layout.ts';
import { silentLog } from '../../../../src/log.ts';
import { openStore } from '../../../../src/oci/open-store.ts';
import { parseReference, type RegistryReference } from '../../../../src/oci/reference.ts';
import { listReferrers } from '../../../../src/oci/referrers.ts';
import { RegistrySession } from '../../../../src/oci/registry/session.ts';
import { RegistryStore } from '../../../../src/oci/registry/store.ts';
import type { StoreOptions } from '../../../../src/oci/store.ts';

const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

let server: http.Server;
let host: string;
const seen: string[] = [];
const open_ = new Set<import('node:net').Socket>();
let allClosed: (() => void) | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    seen.push(`${req.method} ${path}`);
    if (path === '/v2/') res.writeHead(200, { 'content-length': '0' }).end();
    // distribution 2.x: no referrers API, no such manifest
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND"}]}');
  });
  server.on('connection', (socket) => {
    open_.add(socket);
    socket.on('close', () => {
      open_.delete(socket);
      if (open_.size === 0) allClosed?.();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const opts = (extra: Partial<StoreOptions> = {}): StoreOptions => ({ env: {}, log: silentLog, allowHttp: true, retries: 0, ...extra });
const open = (repo: string, o: StoreOptions) => RegistryStore.open(parseReference(`${host}/${repo}`) as RegistryReference, o);
const reset = () => {
  seen.length = 0;
};
const count = (what: string) => seen.filter((s) => s === what).length;

describe('RegistrySession', () => {
  it('lets the stores of one session share one ping and one connection pool', async () => {
    reset();
    const session = new RegistrySession();
    const a = await open('team/a', opts({ session }));
    const b = await open('team/b', opts({ session }));
    assert.equal(await a.getManifest('latest'), null);
    assert.equal(await b.getManifest('latest'), null);
    assert.equal(count('GET /v2/'), 1);
    assert.equal(session.knownScheme(host), 'http');
    a.close();
    b.close();
  });

  it('shares nothing between two sessions: each pings on its own', async () => {
    reset();
    const one = new RegistrySession();
    const two = new RegistrySession();
    const a = await open('team/a', opts({ session: one }));
    await a.getManifest('latest');
    assert.equal(two.knownScheme(host), undefined);
    const b = await open('team/b', opts({ session: two }));
    await b.getManifest('latest');
    assert.equal(count('GET /v2/'), 2);
    a.close();
    b.close();
  });

  it('gives a store opened without a session a session of its own', async () => {
    reset();
    const a = await open('team/a', opts());
    const b = await open('team/b', opts());
    assert.notEqual(a.session, b.session);
    await a.getManifest('latest');
    await b.getManifest('latest');
    assert.equal(count('GET /v2/'), 2);
    a.close();
    b.close();
  });

  it('asks a registry for its referrers API once per session', async () => {
    reset();
    const session = new RegistrySession();
    const store = await open('team/a', opts({ session }));
    assert.deepEqual(await listReferrers(store, DIGEST(1)), []);
    assert.deepEqual(await listReferrers(store, DIGEST(2)), []);
    assert.equal(seen.filter((s) => s.includes('/referrers/')).length, 1);
    assert.equal(await session.referrersApi(host), false);
    // Another session asks again.
    const other = await open('team/a', opts({ session: new RegistrySession() }));
    await listReferrers(other, DIGEST(3));
    assert.equal(seen.filter((s) => s.includes('/referrers/')).length, 2);
    store.close();
    other.close();
  });

  it('asks for a capability once per registry, again after a failure, and not for another session', async () => {
    const one = new RegistrySession();
    let asked = 0;
    const ask = (answer: boolean | Error) => () => {
      asked++;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    };
    await assert.rejects(one.capability('if-match', host, ask(new Error('503'))));
    assert.equal(await one.capability('if-match', host, ask(true)), true);
    assert.equal(
      await Promise.all([one.capability('if-match', host, ask(false)), one.capability('if-match', host, ask(false))]).then((a) => a.join()),
      'true,true',
    );
    assert.equal(await one.capability('if-match', 'other:5000', ask(false)), false);
    assert.equal(await new RegistrySession().capability('if-match', host, ask(false)), false);
    assert.equal(asked, 4);
  });

  it('closes its connection pools on close()', async () => {
    const session = new RegistrySession();
    const a = await open('team/a', opts({ session }));
    await a.getManifest('latest');
    assert.ok(open_.size > 0);
    const closed = new Promise<void>((resolve) => (allClosed = resolve));
    session.close();
    await closed; // the server sees every connection closed
    allClosed = undefined;
    assert.equal(await a.getManifest('latest'), null); // and the store still works, on a new pool
    a.close();
  });
});

describe('attachment tag prefix', () => {
  it('comes from the options the store was opened with, never from an earlier command', async () => {
    const ref = parseReference(`${host}/team/a`);
    const prefixed = await openStore(ref, opts({ attachmentTagPrefix: 'pre-' }));
    assert.equal(attachmentTag(prefixed, DIGEST(1), 'sig'), `pre-${DIGEST(1).replace(':', '-')}.sig`);
    const plain = await openStore(ref, opts());
    assert.equal(attachmentTag(plain, DIGEST(1), 'sig'), `${DIGEST(1).replace(':', '-')}.sig`);
  });
});

describe('no process-wide registry state', () => {
  // Module-level caches allowed in these files, each a memo of a pure function of its key.
  const ALLOWED = new Set([
    'src/oci/registry/client.ts: const connectionEnv = new WeakMap', // the CA/proxy variables of an env object
    'src/oci/registry/transport.ts: const secureContexts = new Map', // a TLS context per CA set
  ]);
  const root = new URL('../../../../', import.meta.url);
  const files = [
    ...readdirSync(new URL('src/oci/registry/', root)).map((f) => `src/oci/registry/${f}`),
    'src/oci/referrers.ts',
    'src/oci/safe-update.ts',
    'src/oci/open-store.ts',
    'src/oci/store.ts',
    'src/cosign/layout.ts',
  ].filter((f) => f.endsWith('.ts'));

  it('keeps no module-level Map, Set or mutable binding in the registry client, referrers and cosign layout', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const line of readFileSync(new URL(file, root), 'utf8').split('\n')) {
        // A `let`, or a Map/Set created empty (a cache); constant sets of literals are fine.
        const m = /^(?:export )?(let \w+|(?:const|var) \w+ = new (?:Weak)?(?:Map|Set))(?:<[^(]*>)?\(\)/.exec(line) ?? /^(?:export )?(let \w+)/.exec(line);
        if (m && !ALLOWED.has(`${file}: ${m[1]}`)) found.push(`${file}: ${line.trim()}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
