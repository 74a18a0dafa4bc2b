// Registries behind a corporate forward proxy: HTTPS_PROXY tunnels https through CONNECT (the
// registry's TLS is still verified end to end), HTTP_PROXY forwards http, NO_PROXY bypasses it,
// proxy credentials go to the proxy only and are never printed.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSealError } from '../../src/errors.ts';
import type { Log } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore } from '../../src/oci/registry/store.ts';
import { proxyEnvOf, withoutUserinfo } from '../../src/oci/registry/transport.ts';
import { openStore } from '../../src/oci/open-store.ts';
import { startForwardProxy, type ForwardProxy } from '../harness/forward-proxy.ts';
import { makeImageLayout, registryInstalled, startRegistry, type ImageLayout, type RunningRegistry } from '../harness/index.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';
const lines: string[] = [];
const log: Log = { info: () => {}, warn: (m) => void lines.push(`warn: ${m}`), debug: (m) => void lines.push(m) };

let work: string;
let layout: ImageLayout;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'seal-proxy-'));
  if (!skip) layout = await makeImageLayout(join(work, 'layout'));
});
after(() => rm(work, { recursive: true, force: true }));

/** Only what the test names: nothing from the developer's machine leaks in (their own proxy least of all). */
const envWith = (extra: Record<string, string>) => ({ HOME: work, PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra });

async function push(host: string, env: Record<string, string>, creds: { username?: string; password?: string } = {}, repo = 'team/app') {
  const dst = await RegistryStore.open(parseReference(`${host}/${repo}`) as RegistryReference, { env, log, retries: 0, ...creds });
  const src = await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log });
  const copied = await copyImage(src, dst, layout.tag);
  assert.equal(copied.descriptor.digest, layout.digest);
  assert.equal((await dst.getManifest(layout.tag))?.digest, layout.digest);
  return dst;
}

describe('proxy variables', () => {
  it('are taken in either case and only when a proxy is named', () => {
    assert.equal(proxyEnvOf({}), undefined);
    assert.equal(proxyEnvOf({ NO_PROXY: 'x' }), undefined);
    assert.deepEqual(proxyEnvOf({ https_proxy: 'http://p:1', no_proxy: 'a', HOME: '/h' }), { https_proxy: 'http://p:1', no_proxy: 'a' });
    assert.deepEqual(proxyEnvOf({ HTTP_PROXY: 'http://p:1' }), { HTTP_PROXY: 'http://p:1' });
  });

  it('are logged with --verbose without the proxy password', () => {
    const seen: string[] = [];
    proxyEnvOf({ HTTPS_PROXY: 'http://me:hunter2@proxy.corp:3128', NO_PROXY: '.corp' }, { info() {}, warn() {}, debug: (m) => void seen.push(m) });
    assert.deepEqual(seen, ['HTTPS_PROXY=http://***@proxy.corp:3128/', 'NO_PROXY=.corp']);
    assert.equal(withoutUserinfo('not a url'), '(unparseable proxy URL)');
  });
});

describe('TLS + basic auth registry behind an authenticating proxy', { skip }, () => {
  let reg: RunningRegistry;
  let proxy: ForwardProxy;
  const proxyUser = 'corp';
  const proxyPass = 'proxy-secret-42';
  before(async () => {
    reg = await startRegistry('tls-basic');
    proxy = await startForwardProxy({ username: proxyUser, password: proxyPass });
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });
  const viaProxy = (extra: Record<string, string> = {}) =>
    envWith({ SSL_CERT_FILE: reg.caFile!, HTTPS_PROXY: `http://${proxyUser}:${proxyPass}@127.0.0.1:${proxy.port}`, ...extra });

  it('tunnels every request through CONNECT, verifies the registry certificate, and sends the registry password only inside the tunnel', async () => {
    proxy.records.length = 0;
    lines.length = 0;
    await push(reg.host, viaProxy(), { username: reg.username, password: reg.password });
    assert.ok(proxy.records.length > 0, 'the proxy saw nothing');
    for (const r of proxy.records) {
      assert.equal(r.method, 'CONNECT');
      assert.equal(r.target, reg.host);
      assert.equal(r.status, 200);
      assert.ok(r.proxyAuthorization?.startsWith('Basic '), 'proxy credentials sent');
      assert.equal(r.authorization, undefined, 'no registry Authorization outside the tunnel');
    }
    assert.ok(!lines.join('\n').includes(proxyPass), 'the proxy password was logged');
  });

  it('still refuses an untrusted registry certificate through the tunnel', async () => {
    const s = await RegistryStore.open(parseReference(`${reg.host}/team/app`) as RegistryReference, {
      env: viaProxy({ SSL_CERT_FILE: '' }),
      log,
      retries: 0,
      username: reg.username,
      password: reg.password,
    });
    const err = await s.listTags().catch((e: unknown) => e);
    assert.ok(isSealError(err, 'network'), String(err));
    assert.equal(err.code, 'TLS_UNTRUSTED');
  });

  it('NO_PROXY sends the registry around the proxy', async () => {
    proxy.records.length = 0;
    await push(reg.host, viaProxy({ NO_PROXY: '127.0.0.1' }), { username: reg.username, password: reg.password }, 'team/direct');
    assert.equal(proxy.records.length, 0);
  });

  it('a proxy that refuses the credentials is one line naming the proxy, exit 4, with no password in it', async () => {
    const env = envWith({ SSL_CERT_FILE: reg.caFile!, HTTPS_PROXY: `http://${proxyUser}:wrong-proxy-pass@127.0.0.1:${proxy.port}` });
    const r = await runCli(
      ['tree', '--registry-username', reg.username!, '--registry-password', reg.password!, '--registry-retries', '0', `${reg.host}/team/app:${layout.tag}`],
      { env },
    );
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /proxy/i);
    assert.ok(!r.stderr.includes('wrong-proxy-pass'), r.stderr);
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('Error')).length,
      1,
      r.stderr,
    );
  });

  it('seal sign and verify work end to end through the proxy', async () => {
    const { key, pub } = makeOpensslKeyPair(work, 'k');
    const env = viaProxy();
    const creds = ['--registry-username', reg.username!, '--registry-password', reg.password!];
    const ref = `${reg.host}/team/app:${layout.tag}`;
    proxy.records.length = 0;
    const s = await runCli(['sign', '--key', key, ...creds, ref], { env });
    assert.equal(s.code, 0, s.stderr);
    const v = await runCli(['verify', '--key', pub, ...creds, ref], { env });
    assert.equal(v.code, 0, v.stderr);
    assert.ok(proxy.records.every((r) => r.method === 'CONNECT' && r.status === 200));
    assert.ok(proxy.records.length >= 2);
  });
});

describe('plain http registry behind HTTP_PROXY', { skip }, () => {
  let reg: RunningRegistry;
  let proxy: ForwardProxy;
  before(async () => {
    reg = await startRegistry('plain');
    proxy = await startForwardProxy();
  });
  after(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('sends absolute-URI requests to the proxy', async () => {
    await push(reg.host, envWith({ HTTP_PROXY: proxy.url }));
    assert.ok(proxy.records.length > 0);
    assert.ok(
      proxy.records.some((r) => r.method === 'PUT' && r.target.startsWith(`http://${reg.host}/v2/team/app/manifests/`)),
      JSON.stringify(proxy.records.map((r) => `${r.method} ${r.target}`)),
    );
  });
});
