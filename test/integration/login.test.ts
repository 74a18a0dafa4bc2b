// seal login / logout against the real registry: credentials are checked before anything is
// stored, land where docker login puts them (config.json auths, or the credential helper), keep
// the rest of the file, stay private, and are then used by every command. Never printed.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Log } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference, type RegistryReference } from '../../src/oci/reference.ts';
import { RegistryStore } from '../../src/oci/registry/store.ts';
import { openStore } from '../../src/oci/open-store.ts';
import { registryHost } from '../../src/ops/login.ts';
import { makeImageLayout, registryInstalled, startRegistry, type ImageLayout, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';
const log: Log = { info() {}, warn() {}, debug() {} };

let work: string;
let layout: ImageLayout;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'seal-login-'));
  if (!skip) layout = await makeImageLayout(join(work, 'layout'));
});
after(() => rm(work, { recursive: true, force: true }));

let n = 0;
/** A fresh DOCKER_CONFIG directory (not created: login must create it) and an environment using it. */
function freshEnv(extra: Record<string, string> = {}) {
  const dir = join(work, `docker-${++n}`);
  return { dir, file: join(dir, 'config.json'), env: { HOME: work, PATH: process.env.PATH ?? '/usr/bin:/bin', DOCKER_CONFIG: dir, ...extra } };
}

describe('registry names', () => {
  it('accepts hosts, ports and docker login keys; refuses what is not a registry', () => {
    assert.equal(registryHost('ghcr.io'), 'ghcr.io');
    assert.equal(registryHost('localhost:5000'), 'localhost:5000');
    assert.equal(registryHost('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(registryHost('docker.io'), 'index.docker.io');
    for (const bad of ['', 'ubuntu', 'UPPER CASE', '://']) assert.throws(() => registryHost(bad), /not a registry name/, bad);
  });
});

describe('TLS + basic auth registry', { skip }, () => {
  let reg: RunningRegistry;
  let image: string;
  before(async () => {
    reg = await startRegistry('tls-basic');
    const dst = await RegistryStore.open(parseReference(`${reg.host}/team/app`) as RegistryReference, {
      env: { SSL_CERT_FILE: reg.caFile! },
      log,
      username: reg.username,
      password: reg.password,
    });
    await copyImage(await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log }), dst, layout.tag);
    image = `${reg.host}/team/app:${layout.tag}`;
  });
  after(() => reg?.stop());

  it('stores checked credentials in a new private config.json that every command then uses; never prints the password', async () => {
    const { dir, file, env } = freshEnv({ SSL_CERT_FILE: reg.caFile! });
    const before = await runCli(['tree', '--registry-retries', '0', image], { env });
    assert.equal(before.code, 5, 'anonymous access is refused before login');
    const r = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env, input: `${reg.password}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Logged in to ${reg.host.replace(/\./g, '\\.')} as ${reg.username}; credentials stored in ${file}`));
    assert.ok(!r.stderr.includes(reg.password!) && !r.stdout.includes(reg.password!));
    const config = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(config, { auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString('base64') } } });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const after = await runCli(['tree', image], { env });
    assert.equal(after.code, 0, after.stderr);

    const out = await runCli(['logout', reg.host], { env });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { auths: {} });
    assert.match((await runCli(['logout', reg.host], { env })).stderr, /No credentials for/);
  });

  it('a wrong password is refused by the registry (exit 5) and nothing is written', async () => {
    const { file, env } = freshEnv({ SSL_CERT_FILE: reg.caFile! });
    const r = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env, input: 'not-the-password\n' });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /refused the user name and password for seal; nothing was stored/);
    assert.ok(!r.stderr.includes('not-the-password'));
    await assert.rejects(stat(file), /ENOENT/);
  });

  it('keeps everything else in an existing config.json, replaces other spellings of the registry, keeps the file mode', async () => {
    const { dir, file, env } = freshEnv({ SSL_CERT_FILE: reg.caFile! });
    await mkdir(dir, { recursive: true });
    const existing = {
      auths: { 'ghcr.io': { auth: 'b3RoZXI6c2VjcmV0' }, [`https://${reg.host}/v2/`]: { auth: 'c3RhbGU6c3RhbGU=' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      psFormat: 'table {{.ID}}',
    };
    await writeFile(file, JSON.stringify(existing), { mode: 0o640 });
    await chmod(file, 0o640);
    const r = await runCli(['login', reg.host, '-u', reg.username!, '-p', reg.password!], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING: a password given with --password is visible/);
    const config = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(Object.keys(config.auths).sort(), ['ghcr.io', reg.host].sort());
    assert.equal(config.auths['ghcr.io'].auth, 'b3RoZXI6c2VjcmV0');
    assert.deepEqual(config.credHelpers, { 'gcr.io': 'gcloud' });
    assert.equal(config.psFormat, 'table {{.ID}}');
    assert.equal((await stat(file)).mode & 0o777, 0o640);
  });

  it('a config.json that is not JSON is left alone (exit 1)', async () => {
    const { dir, file, env } = freshEnv({ SSL_CERT_FILE: reg.caFile! });
    await mkdir(dir, { recursive: true });
    await writeFile(file, '{ not json');
    const r = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env, input: reg.password! });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /is not valid JSON .*; not changing it/);
    assert.equal(await readFile(file, 'utf8'), '{ not json');
  });

  it('stores through the credential helper the config names, and erases through it', async () => {
    const { dir, file, env } = freshEnv();
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify({ credsStore: 'test' }));
    const bin = join(work, 'bin');
    const record = join(work, 'helper.log');
    await mkdir(bin, { recursive: true });
    // A fake helper that records each action and its input (tests only; a real one keeps it secret).
    await writeFile(join(bin, 'docker-credential-test'), `#!/bin/sh\ninput=$(cat)\necho "$1 $input" >> '${record}'\n`);
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    const envWithHelper = { ...env, SSL_CERT_FILE: reg.caFile!, PATH: `${bin}${delimiter}${process.env.PATH}` };
    const r = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env: envWithHelper, input: reg.password! });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /credentials stored in docker-credential-test/);
    const out = await runCli(['logout', reg.host], { env: envWithHelper });
    assert.equal(out.code, 0, out.stderr);
    const lines = (await readFile(record, 'utf8')).trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]!.replace(/^store /, '')), { ServerURL: reg.host, Username: reg.username, Secret: reg.password });
    assert.equal(lines[1], `erase ${reg.host}`);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { credsStore: 'test' }, 'the file itself is untouched');
  });

  it('usage errors: no user, no password source, both password sources, not a registry', async () => {
    const { env } = freshEnv({ SSL_CERT_FILE: reg.caFile! });
    const noUser = await runCli(['login', reg.host, '--password-stdin'], { env, input: 'x' });
    assert.equal(noUser.code, 2);
    assert.match(noUser.stderr, /needs a user name/);
    const noPassword = await runCli(['login', reg.host, '-u', 'u'], { env });
    assert.equal(noPassword.code, 2);
    assert.match(noPassword.stderr, /no password for .*--password-stdin/);
    const both = await runCli(['login', reg.host, '-u', 'u', '-p', 'x', '--password-stdin'], { env });
    assert.equal(both.code, 2);
    const notRegistry = await runCli(['login', 'ubuntu', '-u', 'u', '--password-stdin'], { env, input: 'x' });
    assert.equal(notRegistry.code, 2);
    assert.match(notRegistry.stderr, /"ubuntu" is not a registry name/);
  });
});

describe('bearer-token registry', { skip }, () => {
  let reg: RunningRegistry;
  before(async () => (reg = await startRegistry('token')));
  after(() => reg?.stop());

  it('checks the credentials at the token service: right ones are stored, wrong ones refused', async () => {
    const { file, env } = freshEnv();
    const bad = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env, input: 'wrong' });
    assert.equal(bad.code, 5, bad.stderr);
    await assert.rejects(stat(file), /ENOENT/);
    const good = await runCli(['login', reg.host, '-u', reg.username!, '--password-stdin'], { env, input: reg.password! });
    assert.equal(good.code, 0, good.stderr);
    assert.ok(JSON.parse(await readFile(file, 'utf8')).auths[reg.host].auth);
  });
});
