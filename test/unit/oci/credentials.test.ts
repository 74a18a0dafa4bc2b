import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { credentialFiles, normalizeKey, resolveCredential, type HelperRunner } from '../../../src/oci/credentials.ts';
import { recordingLog, silentLog } from './registry/fake.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'seal-creds-'));
});
after(async () => rm(root, { recursive: true, force: true }));

let n = 0;
/** A fresh HOME (and optional other files) with the given docker config. */
async function home(config?: object, extra: Record<string, object> = {}): Promise<Record<string, string>> {
  const dir = join(root, `h${n++}`);
  await mkdir(join(dir, '.docker'), { recursive: true });
  if (config) await writeFile(join(dir, '.docker', 'config.json'), JSON.stringify(config));
  const env: Record<string, string> = { HOME: dir };
  for (const [name, content] of Object.entries(extra)) {
    const f = join(dir, name);
    await mkdir(join(f, '..'), { recursive: true });
    await writeFile(f, JSON.stringify(content));
  }
  return env;
}

const lookup = (env: Record<string, string>, registry: string, more: object = {}) => resolveCredential({ registry, env, log: silentLog, ...more });

describe('normalizeKey', () => {
  it('strips scheme and path, keeps the port, lower-cases the host', () => {
    assert.equal(normalizeKey('https://index.docker.io/v1/'), 'index.docker.io');
    assert.equal(normalizeKey('HTTP://Reg.Test:5000/x'), 'reg.test:5000');
    assert.equal(normalizeKey('quay.io/team/', true), 'quay.io/team');
  });
});

describe('resolveCredential', () => {
  it('prefers the flags over every file', async () => {
    const env = await home({ auths: { 'reg.test': { auth: b64('file:pw') } } });
    assert.deepEqual(await lookup(env, 'reg.test', { username: 'flag', password: 'pw' }), {
      kind: 'basic',
      username: 'flag',
      password: 'pw',
      source: '--registry-username/--registry-password',
    });
  });

  it('reads auths: base64 auth, username/password, identity and registry tokens', async () => {
    const env = await home({
      auths: {
        'a.test': { auth: b64('alice:pa:ss') },
        'b.test': { username: 'bob', password: 'pw' },
        'c.test': { identitytoken: 'refresh' },
        'd.test': { registrytoken: 'bearer' },
        'e.test': {},
      },
    });
    assert.deepEqual(await lookup(env, 'a.test'), {
      kind: 'basic',
      username: 'alice',
      password: 'pa:ss',
      source: `${env.HOME}/.docker/config.json (auths[a.test])`,
    });
    assert.equal((await lookup(env, 'b.test'))?.kind, 'basic');
    assert.deepEqual(await lookup(env, 'c.test'), { kind: 'identity-token', token: 'refresh', source: `${env.HOME}/.docker/config.json (auths[c.test])` });
    assert.equal((await lookup(env, 'd.test'))?.kind, 'registry-token');
    assert.equal(await lookup(env, 'e.test'), undefined);
  });

  it('matches hosts exactly: no substrings, ports count', async () => {
    const env = await home({ auths: { 'https://reg.test/v1/': { auth: b64('u:p') }, 'reg.test:5000': { auth: b64('five:p') } } });
    assert.equal((await lookup(env, 'reg.test'))?.kind, 'basic');
    assert.equal(await lookup(env, 'reg.test.evil.net'), undefined);
    assert.equal(await lookup(env, 'evilreg.test'), undefined);
    assert.equal(await lookup(env, 'eg.test'), undefined);
    assert.equal(await lookup(env, 'reg.test:5001'), undefined);
    assert.equal(((await lookup(env, 'reg.test:5000')) as { username: string }).username, 'five');
  });

  it("treats Docker Hub names as aliases and prefers docker login's key", async () => {
    const env = await home({ auths: { 'docker.io': { auth: b64('alias:p') }, 'https://index.docker.io/v1/': { auth: b64('hub:p') } } });
    assert.equal(((await lookup(env, 'index.docker.io')) as { username: string }).username, 'hub');
    const env2 = await home({ auths: { 'registry-1.docker.io': { auth: b64('r1:p') } } });
    assert.equal(((await lookup(env2, 'index.docker.io')) as { username: string }).username, 'r1');
  });

  it('uses $DOCKER_CONFIG instead of ~/.docker', async () => {
    const env = await home({ auths: { 'reg.test': { auth: b64('home:p') } } }, { 'alt/config.json': { auths: { 'reg.test': { auth: b64('alt:p') } } } });
    env.DOCKER_CONFIG = join(env.HOME!, 'alt');
    assert.equal(((await lookup(env, 'reg.test')) as { username: string }).username, 'alt');
  });

  it("runs credHelpers for their host, then credsStore, with docker's server URL", async () => {
    const asked: string[] = [];
    const runHelper: HelperRunner = async (program, server) => {
      asked.push(`${program} ${server}`);
      if (program === 'docker-credential-ecr') return { code: 0, stdout: JSON.stringify({ ServerURL: server, Username: 'AWS', Secret: 'ecr-pw' }), stderr: '' };
      if (program === 'docker-credential-desktop' && server === 'https://index.docker.io/v1/')
        return { code: 0, stdout: JSON.stringify({ Username: '<token>', Secret: 'idtok' }), stderr: '' };
      return { code: 1, stdout: 'credentials not found in native keychain\n', stderr: '' };
    };
    const env = await home({
      credsStore: 'desktop',
      credHelpers: { '1234.dkr.ecr.test': 'ecr' },
      auths: { 'https://index.docker.io/v1/': {}, 'inline.test': { auth: b64('in:p') } },
    });
    assert.deepEqual(await lookup(env, '1234.dkr.ecr.test', { runHelper }), {
      kind: 'basic',
      username: 'AWS',
      password: 'ecr-pw',
      source: `${env.HOME}/.docker/config.json (credHelpers[1234.dkr.ecr.test]: docker-credential-ecr)`,
    });
    assert.equal((await lookup(env, 'index.docker.io', { runHelper }))?.kind, 'identity-token');
    assert.equal(await lookup(env, 'other.test', { runHelper }), undefined);
    // The store has nothing for it: the inline entry still counts.
    assert.equal(((await lookup(env, 'inline.test', { runHelper })) as { username: string }).username, 'in');
    assert.deepEqual(asked, [
      'docker-credential-ecr 1234.dkr.ecr.test',
      'docker-credential-desktop https://index.docker.io/v1/',
      'docker-credential-desktop other.test',
      'docker-credential-desktop inline.test',
    ]);
  });

  it('warns about a helper that is missing or broken and goes on', async () => {
    const log = recordingLog();
    const env = await home({ credsStore: 'gone', auths: { 'reg.test': { auth: b64('u:p') } } });
    const missing: HelperRunner = async () => ({ code: -1, stdout: '', stderr: '', missing: true });
    assert.equal((await resolveCredential({ registry: 'reg.test', env, log, runHelper: missing }))?.kind, 'basic');
    assert.ok(log.lines.some((l) => /warn: credential helper docker-credential-gone is not installed/.test(l)));
    const broken: HelperRunner = async () => ({ code: 0, stdout: 'not json', stderr: '' });
    assert.equal((await resolveCredential({ registry: 'reg.test', env, log, runHelper: broken }))?.kind, 'basic');
    assert.ok(log.lines.some((l) => /not JSON/.test(l)));
  });

  it('refuses helper names that are not plain program names', async () => {
    const log = recordingLog();
    let ran = false;
    const env = await home({ credsStore: '../../bin/sh' });
    await resolveCredential({ registry: 'reg.test', env, log, runHelper: async () => ((ran = true), { code: 0, stdout: '', stderr: '' }) });
    assert.equal(ran, false);
    assert.ok(log.lines.some((l) => /not a plain program name/.test(l)));
  });

  it('falls back to $REGISTRY_AUTH_FILE, then $XDG_RUNTIME_DIR/containers/auth.json, with podman namespaces', async () => {
    const env = await home(undefined, {
      'podman.json': { auths: { 'quay.io': { auth: b64('host:p') }, 'quay.io/team': { auth: b64('team:p') }, 'quay.io/team/app': { auth: b64('app:p') } } },
      'run/containers/auth.json': { auths: { 'xdg.test': { auth: b64('xdg:p') } } },
    });
    env.REGISTRY_AUTH_FILE = join(env.HOME!, 'podman.json');
    env.XDG_RUNTIME_DIR = join(env.HOME!, 'run');
    const user = async (registry: string, repository?: string) =>
      ((await resolveCredential({ registry, repository, env, log: silentLog })) as { username?: string } | undefined)?.username;
    assert.equal(await user('quay.io', 'team/app'), 'app');
    assert.equal(await user('quay.io', 'team/other'), 'team');
    assert.equal(await user('quay.io', 'teammate/x'), 'host');
    assert.equal(await user('xdg.test'), 'xdg');
    assert.deepEqual(
      credentialFiles(env).map((f) => f.file),
      [join(env.HOME!, '.docker/config.json'), env.REGISTRY_AUTH_FILE, join(env.XDG_RUNTIME_DIR, 'containers/auth.json')],
    );
  });

  it('stops on a config file that is not JSON, naming it', async () => {
    const env = await home();
    await writeFile(join(env.HOME!, '.docker', 'config.json'), '{ nope');
    await assert.rejects(lookup(env, 'reg.test'), (e: unknown) => isSealError(e, 'input') && e.message.includes(join(env.HOME!, '.docker', 'config.json')));
  });

  it('is anonymous when nothing matches', async () => {
    assert.equal(await lookup(await home(), 'reg.test'), undefined);
  });
});
