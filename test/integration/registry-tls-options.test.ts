// Registry flags for private setups, against the real distribution registry: --registry-cacert
// (a private CA without touching the environment), --registry-client-cert/-key (mutual TLS) and
// --registry-token (a bearer token sent as is).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Log } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore } from '../../src/oci/registry/store.ts';
import { openStore } from '../../src/oci/open-store.ts';
import { httpRequest, basicAuth, makeImageLayout, registryInstalled, startRegistry, type ImageLayout, type RunningRegistry } from '../harness/index.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';
const log: Log = { info() {}, warn() {}, debug() {} };

let work: string;
let layout: ImageLayout;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'seal-tlsopts-'));
  if (!skip) layout = await makeImageLayout(join(work, 'layout'));
});
after(() => rm(work, { recursive: true, force: true }));

/** Nothing from the developer's machine: no CA variables, no docker config. */
const env = () => ({ HOME: work, PATH: process.env.PATH ?? '/usr/bin:/bin' });

describe('mutual TLS registry with a private CA', { skip }, () => {
  let reg: RunningRegistry;
  let ref: string;
  let flags: string[];
  before(async () => {
    reg = await startRegistry('tls-basic', { clientAuth: true });
    const dst = await RegistryStore.open(parseReference(`${reg.host}/team/app`) as RegistryReference, {
      env: env(),
      log,
      username: reg.username,
      password: reg.password,
      caFiles: [reg.caFile!],
      clientCertFile: reg.clientCertFile,
      clientKeyFile: reg.clientKeyFile,
    });
    await copyImage(await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log }), dst, layout.tag);
    ref = `${reg.host}/team/app:${layout.tag}`;
    flags = ['--registry-username', reg.username!, '--registry-password', reg.password!, '--registry-retries', '0'];
  });
  after(() => reg?.stop());

  it('signs and verifies with the CA and the client certificate given as flags', async () => {
    const { key, pub } = makeOpensslKeyPair(work, 'k');
    const tls = ['--registry-cacert', reg.caFile!, '--registry-client-cert', reg.clientCertFile!, '--registry-client-key', reg.clientKeyFile!];
    const s = await runCli(['sign', '--key', key, ...flags, ...tls, ref], { env: env() });
    assert.equal(s.code, 0, s.stderr);
    const v = await runCli(['verify', '--key', pub, ...flags, ...tls, ref], { env: env() });
    assert.equal(v.code, 0, v.stderr);
  });

  it('without a client certificate: one line asking for one, exit 4', async () => {
    const r = await runCli(['tree', ...flags, '--registry-cacert', reg.caFile!, ref], { env: env() });
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /^Error: 127\.0\.0\.1:\d+ refused the TLS connection: it wants a client certificate it trusts .*pass --registry-client-cert and --registry-client-key/m,
    );
  });

  it('without the CA the certificate is untrusted, exit 4', async () => {
    const tls = ['--registry-client-cert', reg.clientCertFile!, '--registry-client-key', reg.clientKeyFile!];
    const r = await runCli(['tree', ...flags, ...tls, ref], { env: env() });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /TLS certificate for .* is not trusted/);
  });

  it('bad flag values: each one clear line', async () => {
    const missing = await runCli(['tree', ...flags, '--registry-cacert', join(work, 'nope.pem'), ref], { env: env() });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /^Error: cannot read --registry-cacert .*nope\.pem \(no such file\)$/m);
    const notPem = join(work, 'not.pem');
    await writeFile(notPem, 'hello');
    const bad = await runCli(['tree', ...flags, '--registry-cacert', notPem, ref], { env: env() });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /holds no PEM certificate/);
    const half = await runCli(['tree', ...flags, '--registry-client-cert', reg.clientCertFile!, ref], { env: env() });
    assert.equal(half.code, 2, half.stderr);
    assert.match(half.stderr, /--registry-client-cert and --registry-client-key go together/);
    const other = makeOpensslKeyPair(work, 'other');
    const wrong = await runCli(
      ['tree', ...flags, '--registry-cacert', reg.caFile!, '--registry-client-cert', reg.clientCertFile!, '--registry-client-key', other.key, ref],
      { env: env() },
    );
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stderr, /is not the key of --registry-client-cert/);
    for (const r of [missing, bad, half, wrong]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('--registry-token on a bearer-token registry', { skip }, () => {
  let reg: RunningRegistry;
  let token: string;
  before(async () => {
    reg = await startRegistry('token');
    const dst = await RegistryStore.open(parseReference(`${reg.host}/team/app`) as RegistryReference, {
      env: env(),
      log,
      username: reg.username,
      password: reg.password,
    });
    await copyImage(await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log }), dst, layout.tag);
    // A token as a CI system would hand one out: fetched beforehand for exactly this repository.
    const ts = reg.tokenServer!;
    const res = await httpRequest(`${ts.url}?service=${encodeURIComponent(ts.service)}&scope=repository:team/app:pull`, {
      headers: { authorization: basicAuth(reg.username!, reg.password!) },
    });
    assert.equal(res.status, 200);
    token = JSON.parse(res.body.toString()).token;
  });
  after(() => reg?.stop());

  it('reads with the token alone, asks the token server nothing, and never prints it', async () => {
    const before = reg.tokenServer!.requests.length;
    const r = await runCli(['tree', '--verbose', '--registry-token', token, `${reg.host}/team/app:${layout.tag}`], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(reg.tokenServer!.requests.length, before, 'the token server was asked');
    assert.ok(!r.stderr.includes(token), 'the token was printed');
  });

  it('SEAL_REGISTRY_TOKEN works the same; a token without push rights cannot sign (exit 5)', async () => {
    const { key } = makeOpensslKeyPair(work, 'k2');
    const t = await runCli(['tree', `${reg.host}/team/app:${layout.tag}`], { env: { ...env(), SEAL_REGISTRY_TOKEN: token } });
    assert.equal(t.code, 0, t.stderr);
    const s = await runCli(['sign', '--key', key, '--registry-retries', '0', `${reg.host}/team/app:${layout.tag}`], {
      env: { ...env(), SEAL_REGISTRY_TOKEN: token },
    });
    assert.equal(s.code, 5, s.stderr);
    assert.ok(!s.stderr.includes(token));
  });

  it('a token that is not one token is a usage error', async () => {
    const r = await runCli(['tree', '--registry-token', 'two words', `${reg.host}/team/app:${layout.tag}`], { env: env() });
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /two words/);
  });
});
