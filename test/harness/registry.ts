// Real registries for tests: CNCF distribution 2.8 (`docker-registry serve`, Debian package
// docker-registry) on a free 127.0.0.1 port, filesystem storage in a temp dir, deletes enabled.
//   plain      http, no auth                        GET /v2/ -> 200
//   tls-basic  https (self-signed P-256) + htpasswd GET /v2/ -> 401 Basic, 200 with credentials
//   token      http + Bearer tokens from our token server (token-server.ts)
// Callers stop it in an after() hook; children left running when the process exits are killed.
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeSelfSignedCert } from './certs.ts';
import { cleanupOnExit, spawnDetached, stopChild, type SpawnedChild } from './children.ts';
import { freePort, isAddressInUse } from './ports.ts';
import { httpRequest } from './request.ts';
import { startTokenServer, type TokenServer } from './token-server.ts';
import { requireTool, run } from './tools.ts';

export type RegistryKind = 'plain' | 'tls-basic' | 'token';

export interface StartRegistryOptions {
  username?: string;
  password?: string;
  /** A fixed port (no retry when it is taken); default: a free one. */
  port?: number;
  /** Keep the directory (storage, logs, config) after stop(). Also: SEAL_HARNESS_KEEP=1. */
  keep?: boolean;
  /** How long to wait for /v2/ to answer (default 20 s). */
  startTimeoutMs?: number;
  /** tls-basic: also require a client certificate (mutual TLS); see clientCertFile. */
  clientAuth?: boolean;
}

export interface RunningRegistry {
  kind: RegistryKind;
  /** `127.0.0.1:PORT`, for image references. */
  host: string;
  /** `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`. */
  url: string;
  /** The registry process (leader of its own process group). */
  pid: number;
  username?: string;
  password?: string;
  /** tls-basic: PEM file of the self-signed certificate (trust it as the CA). */
  caFile?: string;
  /** tls-basic: a directory holding ca.crt, for `skopeo --cert-dir`. */
  certsDir?: string;
  /** tls-basic with clientAuth: the client certificate the registry accepts, and its key. */
  clientCertFile?: string;
  clientKeyFile?: string;
  /** token: the token server (realm URL, request log). */
  tokenServer?: TokenServer;
  /** Temp dir with config.yml, storage/, registry.log (and tls/, htpasswd, token/). */
  dir: string;
  logFile: string;
  /** Stops the registry (and token server) and removes `dir` unless kept. Safe to call twice. */
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 5;

function configYaml(o: {
  port: number;
  storage: string;
  tls?: { cert: string; key: string; clientCA?: string };
  htpasswd?: string;
  token?: TokenServer;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${o.storage}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${o.port}`,
    `  secret: seal-test-${randomBytes(8).toString('hex')}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${o.tls.cert}`, `    key: ${o.tls.key}`);
  if (o.tls?.clientCA) lines.push('    clientcas:', `      - ${o.tls.clientCA}`);
  lines.push('health:', '  storagedriver:', '    enabled: false');
  if (o.htpasswd) lines.push('auth:', '  htpasswd:', '    realm: seal-test-registry', `    path: ${o.htpasswd}`);
  if (o.token) {
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${o.token.url}`,
      `    service: ${o.token.service}`,
      `    issuer: ${o.token.issuer}`,
      `    rootcertbundle: ${o.token.certFile}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startRegistry(kind: RegistryKind, opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const bin = process.env.SEAL_REGISTRY_BIN || (await requireTool('docker-registry', 'docker-registry'));
  const dir = await mkdtemp(join(tmpdir(), `seal-registry-${kind}-`));
  const storage = join(dir, 'storage');
  const logFile = join(dir, 'registry.log');
  await mkdir(storage);
  const keep = opts.keep ?? process.env.SEAL_HARNESS_KEEP === '1';
  const username = kind === 'plain' ? undefined : (opts.username ?? 'seal');
  const password = kind === 'plain' ? undefined : (opts.password ?? `pw-${randomBytes(6).toString('hex')}`);

  let tokenServer: TokenServer | undefined;
  let tls: { cert: string; key: string; clientCA?: string } | undefined;
  let client: { certFile: string; keyFile: string } | undefined;
  let htpasswd: string | undefined;
  let caFile: string | undefined;
  let certsDir: string | undefined;
  try {
    if (kind === 'tls-basic') {
      await mkdir(join(dir, 'tls'));
      const cert = await makeSelfSignedCert(join(dir, 'tls'), {
        name: 'registry',
        commonName: '127.0.0.1',
        subjectAltName: 'IP:127.0.0.1,DNS:localhost',
      });
      tls = { cert: cert.certFile, key: cert.keyFile };
      if (opts.clientAuth) {
        // A self-signed client certificate that is its own CA.
        client = await makeSelfSignedCert(join(dir, 'tls'), { name: 'client', commonName: 'seal-test-client' });
        tls.clientCA = client.certFile;
      }
      caFile = cert.certFile;
      certsDir = join(dir, 'certs.d');
      await mkdir(certsDir);
      await copyFile(cert.certFile, join(certsDir, 'ca.crt'));
      // distribution only accepts bcrypt entries.
      const htpasswdBin = await requireTool('htpasswd', 'apache2-utils');
      const { stdout } = await run(htpasswdBin, ['-Bbn', username!, password!]);
      htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, stdout.trim() + '\n', { mode: 0o600 });
    } else if (kind === 'token') {
      await mkdir(join(dir, 'token'));
      tokenServer = await startTokenServer({ dir: join(dir, 'token'), username: username!, password: password! });
    }

    const scheme = tls ? 'https' : 'http';
    const ca = caFile ? await readFile(caFile) : undefined;
    const clientPem = client ? { cert: await readFile(client.certFile), key: await readFile(client.keyFile) } : undefined;
    for (let attempt = 1; ; attempt++) {
      const port = opts.port ?? (await freePort());
      const config = join(dir, 'config.yml');
      await writeFile(config, configYaml({ port, storage, tls, htpasswd, token: tokenServer }));
      await writeFile(logFile, '');
      const child = spawnDetached(bin, ['serve', config], { logFile, cwd: dir });
      const outcome = await waitReady(child, `${scheme}://127.0.0.1:${port}`, port, logFile, ca, opts.startTimeoutMs, clientPem);
      if (outcome === 'ready') {
        const host = `127.0.0.1:${port}`;
        // If the process ends without stop(), the exit hook kills the registry; drop its files too.
        const forget = keep ? () => {} : cleanupOnExit(() => rmSync(dir, { recursive: true, force: true }));
        let stopped: Promise<void> | undefined;
        const stop = (): Promise<void> =>
          (stopped ??= (async () => {
            await stopChild(child);
            await tokenServer?.stop();
            forget();
            if (!keep) await rm(dir, { recursive: true, force: true });
          })());
        const pid = child.child.pid!;
        return {
          kind,
          host,
          url: `${scheme}://${host}`,
          pid,
          username,
          password,
          caFile,
          certsDir,
          clientCertFile: client?.certFile,
          clientKeyFile: client?.keyFile,
          tokenServer,
          dir,
          logFile,
          stop,
        };
      }
      await stopChild(child);
      const log = await tail(logFile);
      if (outcome === 'port-taken' && opts.port === undefined && attempt < PORT_ATTEMPTS) continue;
      throw new Error(
        `${kind} registry did not start (${outcome === 'port-taken' ? `port ${port} in use` : outcome}); ` +
          `dir kept: ${dir}\n--- tail of ${logFile} ---\n${log}`,
      );
    }
  } catch (err) {
    await tokenServer?.stop();
    throw err;
  }
}

/**
 * Polls /v2/ until it answers 200 or 401 and the log shows our process listening on `port`
 * (so an answer from some other server that took the port does not count).
 */
async function waitReady(
  child: SpawnedChild,
  url: string,
  port: number,
  logFile: string,
  ca: Buffer | undefined,
  timeoutMs = 20_000,
  client?: { cert: Buffer; key: Buffer },
): Promise<'ready' | 'port-taken' | string> {
  const deadline = Date.now() + timeoutMs;
  const listening = `listening on 127.0.0.1:${port}`;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!child.isRunning()) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      return isAddressInUse(log) ? 'port-taken' : `exited with ${await child.exited}`;
    }
    try {
      const res = await httpRequest(`${url}/v2/`, { ca, timeoutMs: 2000, ...client });
      last = `GET /v2/ answered ${res.status}`;
      if ((res.status === 200 || res.status === 401) && (await readFile(logFile, 'utf8')).includes(listening)) {
        return 'ready';
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(50);
  }
  return `no answer within ${timeoutMs} ms: ${last}`;
}

/** True when the Debian registry binary is installed (tests may skip without it, as non-root). */
export const registryInstalled = (): boolean => Boolean(process.env.SEAL_REGISTRY_BIN) || existsSync('/usr/bin/docker-registry');
