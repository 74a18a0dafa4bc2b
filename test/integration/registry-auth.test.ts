// The registry client against real distribution registries: each auth variant, TLS verified /
// rejected / skipped, credentials from flags, docker config and a credential helper, and the CLI's
// exit codes for those failures.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitCodeFor } from '../../src/cli/exit-codes.ts';
import { SealError, isSealError } from '../../src/errors.ts';
import type { Log } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore, type RegistryStoreOptions } from '../../src/oci/registry/store.ts';
import { openStore } from '../../src/oci/open-store.ts';
import { makeImageLayout, registryInstalled, startRegistry, type ImageLayout, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';

const lines: string[] = [];
const log: Log = { info: () => {}, warn: (m) => void lines.push(`warn: ${m}`), debug: (m) => void lines.push(m) };
const scratch: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `seal-reg-auth-${prefix}-`));
  scratch.push(dir);
  return dir;
}
/** An environment with nothing from the developer's machine: no docker config, no CAs. */
async function cleanEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return { HOME: await tempDir('home'), PATH: process.env.PATH ?? '/usr/bin:/bin', ...extra };
}
async function open(host: string, opts: Partial<RegistryStoreOptions> = {}, repo = 'team/app'): Promise<RegistryStore> {
  return RegistryStore.open(parseReference(`${host}/${repo}`) as RegistryReference, { env: await cleanEnv(), log, retries: 1, ...opts });
}

let layout: ImageLayout;
before(async () => {
  if (skip) return;
  layout = await makeImageLayout(await tempDir('layout'));
});
after(async () => {
  for (const d of scratch) await rm(d, { recursive: true, force: true });
});

/** Pushes the test layout to `dst` with seal's own client, then reads it back. */
async function pushAndPull(dst: RegistryStore): Promise<void> {
  const src = await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log });
  const copied = await copyImage(src, dst, layout.tag);
  assert.equal(copied.descriptor.digest, layout.digest);
  const m = await dst.getManifest(layout.tag);
  assert.equal(m?.digest, layout.digest);
  assert.deepEqual(await dst.listTags(), [layout.tag]);
  const config = await dst.getBlob(layout.config.digest);
  assert.equal(config.length, layout.config.size);
}

describe('plain registry (http, no auth)', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => (reg = await startRegistry('plain')));
  after(() => reg?.stop());

  it('pushes and pulls over http, found by the loopback fallback', async () => {
    await pushAndPull(await open(reg.host));
  });

  it('sends no credentials to a registry that asks for none, even when it has some', async () => {
    lines.length = 0;
    const s = await open(reg.host, { username: 'u', password: 'never-sent' }, 'team/creds');
    assert.deepEqual(await s.listTags(), []);
    assert.ok(!lines.some((l) => /authorization/.test(l)), lines.join('\n'));
  });

  it('speaks only http with allowHttp (no https attempt)', async () => {
    lines.length = 0;
    await (await open(reg.host, { allowHttp: true })).listTags();
    assert.ok(!lines.some((l) => l.includes('https://')));
  });
});

describe('TLS + basic auth registry', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => (reg = await startRegistry('tls-basic')));
  after(() => reg?.stop());

  it('verifies the certificate with the CA from SSL_CERT_FILE and authenticates with the flags', async () => {
    await pushAndPull(await open(reg.host, { env: await cleanEnv({ SSL_CERT_FILE: reg.caFile! }), username: reg.username, password: reg.password }));
  });

  it('also takes the CA from NODE_EXTRA_CA_CERTS', async () => {
    const s = await open(reg.host, { env: await cleanEnv({ NODE_EXTRA_CA_CERTS: reg.caFile! }), username: reg.username, password: reg.password });
    assert.deepEqual(await s.listTags(), [layout.tag]);
  });

  it('refuses an untrusted certificate with a network error naming the host and the way out', async () => {
    const s = await open(reg.host, { username: reg.username, password: reg.password });
    const err = await s.listTags().catch((e: unknown) => e);
    assert.ok(isSealError(err, 'network'), String(err));
    assert.equal(err.code, 'TLS_UNTRUSTED');
    assert.match(err.message, new RegExp(`^TLS certificate for ${reg.host.replace(/\./g, '\\.')} is not trusted`));
    assert.equal(err.hint, 'pass --allow-insecure-registry or add the CA with SSL_CERT_FILE');
    assert.equal(exitCodeFor(err), 4);
  });

  it('skips the check with allowInsecure', async () => {
    const s = await open(reg.host, { allowInsecure: true, username: reg.username, password: reg.password });
    assert.deepEqual(await s.listTags(), [layout.tag]);
  });

  it('refuses a wrong password with a registry error and a hint, never printing the password', async () => {
    const s = await open(reg.host, { env: await cleanEnv({ SSL_CERT_FILE: reg.caFile! }), username: reg.username, password: 'wrong-pass-123' });
    const err = (await s.getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'registry'), String(err));
    assert.match(err.message, /401/);
    assert.match(err.hint ?? '', /check the registry credentials/);
    assert.ok(!(err.message + err.hint).includes('wrong-pass-123'));
    assert.equal(exitCodeFor(err), 5);
  });

  it('asks for credentials when none are given', async () => {
    const s = await open(reg.host, { env: await cleanEnv({ SSL_CERT_FILE: reg.caFile! }) });
    const err = (await s.getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'registry'));
    assert.match(err.hint ?? '', /docker login/);
  });

  it('reads credentials from a docker config.json (auths) in $DOCKER_CONFIG', async () => {
    const dir = await tempDir('dockercfg');
    const auth = Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [`https://${reg.host}`]: { auth } } }));
    const s = await open(reg.host, { env: await cleanEnv({ SSL_CERT_FILE: reg.caFile!, DOCKER_CONFIG: dir }) });
    assert.deepEqual(await s.listTags(), [layout.tag]);
  });

  it('gets credentials from a docker-credential-<name> helper on PATH', async () => {
    const bin = await tempDir('bin');
    const record = join(bin, 'asked');
    // The helper protocol: `get`, the server URL on stdin, JSON on stdout.
    const script = [
      '#!/bin/sh',
      `read -r server; echo "$1 $server" >> '${record}'`,
      `printf '{"ServerURL":"%s","Username":"${reg.username}","Secret":"${reg.password}"}' "$server"`,
    ].join('\n');
    await writeFile(join(bin, 'docker-credential-test'), script + '\n');
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    const cfg = await tempDir('helpercfg');
    await writeFile(join(cfg, 'config.json'), JSON.stringify({ credHelpers: { [reg.host]: 'test' } }));
    const env = await cleanEnv({ SSL_CERT_FILE: reg.caFile!, DOCKER_CONFIG: cfg, PATH: `${bin}${delimiter}${process.env.PATH}` });
    const s = await open(reg.host, { env });
    assert.deepEqual(await s.listTags(), [layout.tag]);
    assert.equal((await readFile(record, 'utf8')).trim(), `get ${reg.host}`);

    // The same through the CLI, end to end.
    const res = await runCli(['tree', '-o', 'json', `${reg.host}/team/app:${layout.tag}`], { env: { ...env, SEAL_REGISTRY_PASSWORD: '' } });
    assert.equal(res.code, 0, res.stderr);
  });

  it('CLI: exit 4 and the TLS message without the CA; exit 0 with it; exit 0 with --allow-insecure-registry', async () => {
    const image = `${reg.host}/team/app:${layout.tag}`;
    const creds = ['--registry-username', reg.username!];
    const env = { ...(await cleanEnv()), SEAL_REGISTRY_PASSWORD: reg.password!, SSL_CERT_FILE: '', NODE_EXTRA_CA_CERTS: '' };
    const bad = await runCli(['tree', image, ...creds], { env });
    assert.equal(bad.code, 4, bad.stderr);
    assert.match(
      bad.stderr,
      new RegExp(`TLS certificate for ${reg.host.replace(/\./g, '\\.')} is not trusted.*; pass --allow-insecure-registry or add the CA with SSL_CERT_FILE`),
    );
    const good = await runCli(['tree', image, ...creds], { env: { ...env, SSL_CERT_FILE: reg.caFile! } });
    assert.equal(good.code, 0, good.stderr);
    const insecure = await runCli(['tree', image, ...creds, '--allow-insecure-registry'], { env });
    assert.equal(insecure.code, 0, insecure.stderr);
    for (const r of [bad, good, insecure]) assert.ok(!(r.stdout + r.stderr).includes(reg.password!));
  });

  it('CLI: exit 5 for a wrong password, and --verbose shows requests with Authorization redacted', async () => {
    const res = await runCli(
      ['tree', `${reg.host}/team/app:${layout.tag}`, '--verbose', '--registry-username', reg.username!, '--registry-password', 'Wr0ng-Secret'],
      {
        env: { ...(await cleanEnv()), SSL_CERT_FILE: reg.caFile! },
      },
    );
    assert.equal(res.code, 5, res.stderr);
    assert.match(res.stderr, /--> GET https:\/\/127\.0\.0\.1:\d+\/v2\/team\/app\/manifests\/latest \[authorization: Basic <redacted>\]/);
    assert.match(res.stderr, /<-- 401 GET/);
    assert.ok(!res.stderr.includes('Wr0ng-Secret'));
    assert.ok(!res.stderr.includes(Buffer.from(`${reg.username}:Wr0ng-Secret`).toString('base64')));
  });
});

describe('token registry (Bearer)', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => (reg = await startRegistry('token')));
  after(() => reg?.stop());

  it('fetches credentialed tokens per scope: pull, then pull,push', async () => {
    reg.tokenServer!.requests.length = 0;
    await pushAndPull(await open(reg.host, { username: reg.username, password: reg.password }));
    const scopes = reg.tokenServer!.requests.map((r) => `${r.subject}:${r.scopes.join(' ')}`);
    assert.ok(scopes.includes(`${reg.username}:repository:team/app:pull`), scopes.join('\n'));
    assert.ok(scopes.includes(`${reg.username}:repository:team/app:pull,push`), scopes.join('\n'));
    // Cached per scope: far fewer token requests than registry requests.
    assert.ok(reg.tokenServer!.requests.length <= 4, scopes.join('\n'));
  });

  it('asks anonymously without credentials, and reports the refusal as a registry error with a login hint', async () => {
    reg.tokenServer!.requests.length = 0;
    const s = await open(reg.host);
    const err = (await s.getManifest(layout.tag).catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'registry'), String(err));
    assert.match(err.message, /401/);
    assert.match(err.hint ?? '', /docker login/);
    assert.ok(reg.tokenServer!.requests.length >= 1);
    assert.ok(
      reg.tokenServer!.requests.every((r) => r.subject === ''),
      'anonymous token requests',
    );
  });

  it('re-authenticates for a wider scope: a pull token does not stop a later push', async () => {
    const s = await open(reg.host, { username: reg.username, password: reg.password }, 'team/wider');
    assert.deepEqual(await s.listTags(), []);
    const { digest } = await s.putBlob(new TextEncoder().encode('wider scope'));
    assert.ok(await s.hasBlob(digest));
  });

  it('refuses wrong credentials at the token service', async () => {
    const s = await open(reg.host, { username: reg.username, password: 'nope-nope' });
    const err = (await s.listTags().catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'registry'), String(err));
    assert.match(err.message, /token service for 127\.0\.0\.1:\d+ refused the credentials/);
    assert.ok(!(err.message + err.hint).includes('nope-nope'));
  });

  it('mounts blobs across repositories with one token for both scopes', async () => {
    const src = await open(reg.host, { username: reg.username, password: reg.password });
    const dst = await open(reg.host, { username: reg.username, password: reg.password }, 'team/mounted');
    const r = await copyImage(src, dst, layout.tag);
    assert.equal(r.blobsMounted, 1 + layout.layers.length);
    assert.equal(r.blobsCopied, 0);
    assert.equal((await dst.getManifest(layout.tag))?.digest, layout.digest);
  });
});

describe('addresses', () => {
  it('reaches an IPv6 literal registry ([::1]:PORT), falling back to http on loopback', async (t) => {
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/v2/') return void res.end('{}');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'team/app', tags: ['v6'] }));
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(0, '::1', () => resolve(true));
    });
    if (!listening) return t.skip('no IPv6 loopback on this machine');
    try {
      const port = (server.address() as { port: number }).port;
      const s = await open(`[::1]:${port}`);
      assert.equal(s.name, `[::1]:${port}/team/app`);
      assert.deepEqual(await s.listTags(), ['v6']);
    } finally {
      server.close();
    }
  });

  it('names the host when nothing listens', async () => {
    const { freePort } = await import('../harness/index.ts');
    const port = await freePort();
    const s = await open(`127.0.0.1:${port}`, { retries: 0 });
    const err = (await s.listTags().catch((e: unknown) => e)) as SealError;
    assert.ok(isSealError(err, 'network'), String(err));
    assert.match(err.message, new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: connection refused`));
  });
});
