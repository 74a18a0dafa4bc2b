// The registry flag group every image command shares, and its mapping to StoreOptions. Flag
// names stay here; src/oci only sees StoreOptions. Passwords are never given a yargs default
// (yargs prints defaults in --help) and never logged. docs/registries.md describes them.
import path from 'node:path';
import type { Argv, Options } from 'yargs';
import { usageError } from '../../errors.ts';
import { RegistrySession } from '../../oci/registry/session.ts';
import type { StoreOptions } from '../../oci/store.ts';
import type { GroupFlags } from '../command.ts';
import type { CliContext } from '../context.ts';

const GROUP = 'Registry:';
const FLAGS = [
  'registry-username',
  'registry-password',
  'allow-insecure-registry',
  'allow-http-registry',
  'registry-token',
  'registry-cacert',
  'registry-client-cert',
  'registry-client-key',
  'registry-retries',
  'registry-timeout',
];

export const registryOptions = <T>(y: Argv<T>) =>
  y
    .option('registry-username', {
      type: 'string',
      describe: 'Registry user name (or SEAL_REGISTRY_USERNAME); overrides docker/podman credentials',
    })
    .option('registry-password', {
      type: 'string',
      describe: 'Registry password or token; prefer SEAL_REGISTRY_PASSWORD (a flag shows in ps)',
    })
    .option('registry-token', {
      type: 'string',
      describe: 'Bearer token sent as is (or SEAL_REGISTRY_TOKEN); wins over every other credential',
    })
    .option('registry-cacert', {
      type: 'string',
      describe: 'PEM file of a CA to trust for the registry, besides the system roots (repeatable)',
    })
    .option('registry-client-cert', {
      type: 'string',
      describe: 'PEM client certificate for registries that require mutual TLS (with --registry-client-key)',
    })
    .option('registry-client-key', {
      type: 'string',
      describe: 'PEM private key (unencrypted) of --registry-client-cert',
    })
    .option('allow-insecure-registry', {
      type: 'boolean',
      describe: 'Do not verify the registry TLS certificate',
    })
    .option('allow-http-registry', {
      type: 'boolean',
      describe: 'Speak plain HTTP to the registry (localhost and 127.0.0.1 fall back to it by themselves)',
    })
    .option('registry-retries', {
      type: 'number',
      describe: 'Retries for connection errors, 408, 429 and 5xx (default 5)',
    })
    .option('registry-timeout', {
      type: 'string',
      describe: 'Timeout per registry request (idle, and whole request plus 1 s per 16 KiB): 30s, 2m, 500ms, or seconds (default 60s)',
    })
    .group(FLAGS, GROUP)
    .option('registry-referrers-mode', {
      type: 'string',
      hidden: true,
      describe: 'cosign: legacy or oci-1-1; seal reads both (sign: oci-1-1 means --format bundle)',
    })
    .option('attachment-tag-prefix', {
      type: 'string',
      describe: 'Prefix for the legacy attachment tags: PREFIXsha256-<digest>.sig/.att/.sbom (as cosign)',
    })
    .option('k8s-keychain', {
      type: 'boolean',
      hidden: true,
      refuse: 'seal does not read Kubernetes pull secrets; use docker/podman credentials, seal login, or --registry-username/--registry-password',
    } as RefusedOptions)
    .option('registry-server-name', {
      type: 'string',
      hidden: true,
      refuse: 'seal checks the registry certificate against the host name it connects to; use --registry-cacert for a private CA',
    } as RefusedOptions);

/** A refused flag's declaration (options/cosign.ts): never read by a command, so typed as nothing. */
type RefusedOptions = Options & { refuse: string; type: 'boolean' | 'string' };

export type RegistryFlags = GroupFlags<typeof registryOptions>;

/** `30s`, `2m`, `500ms`, `1h`, or a plain number of seconds → milliseconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const unit = m ? { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : 0;
  const ms = m ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw usageError(`invalid ${flag} "${value}": use a duration such as 30s, 2m or 500ms`);
  }
  return ms;
}

export function toStoreOptions(argv: RegistryFlags, ctx: CliContext): StoreOptions {
  const flagUser = argv.registryUsername;
  const flagPassword = argv.registryPassword;
  const envUser = ctx.env.SEAL_REGISTRY_USERNAME || undefined;
  const envPassword = ctx.env.SEAL_REGISTRY_PASSWORD || undefined;
  const username = flagUser ?? envUser;
  const password = flagPassword ?? envPassword;
  if (flagPassword !== undefined && username === undefined) {
    throw usageError('--registry-password needs --registry-username (or SEAL_REGISTRY_USERNAME)');
  }
  if (flagUser !== undefined && password === undefined) {
    throw usageError('--registry-username needs a password: pass --registry-password or set SEAL_REGISTRY_PASSWORD');
  }
  const session = new RegistrySession();
  // Its keep-alive pools would not keep the process alive (main exits), but an in-process run
  // (tests, a program embedding seal) would keep their sockets open until the server drops them.
  ctx.closeAtEnd?.(session);
  const opts: StoreOptions = { env: ctx.env, log: ctx.log, signal: ctx.signal, session, cwd: ctx.cwd };
  const prefix = argv.attachmentTagPrefix;
  // A tag is at most 128 of [A-Za-z0-9_.-], and the prefix comes before `sha256-<64 hex>.sig`.
  if (prefix !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,52}$/.test(prefix)) {
    throw usageError(`invalid --attachment-tag-prefix "${prefix}": use up to 53 letters, digits, _ . or -, not starting with . or -`);
  }
  if (prefix !== undefined) opts.attachmentTagPrefix = prefix;
  if (username !== undefined && password !== undefined) {
    opts.username = username;
    opts.password = password;
  } else if (username !== undefined || password !== undefined) {
    ctx.log.debug('SEAL_REGISTRY_USERNAME and SEAL_REGISTRY_PASSWORD work only together; using other credential sources');
  }
  const token = argv.registryToken ?? (ctx.env.SEAL_REGISTRY_TOKEN || undefined);
  if (token !== undefined) {
    if (!token.trim() || /\s/.test(token.trim())) throw usageError('--registry-token must be one token without spaces');
    if (username !== undefined && password !== undefined) ctx.log.debug('--registry-token wins over the registry user name and password');
    opts.registryToken = token.trim();
  }
  const cacerts: unknown = argv.registryCacert;
  if (cacerts !== undefined) opts.caFiles = (Array.isArray(cacerts) ? cacerts : [cacerts]).map((f) => path.resolve(ctx.cwd, String(f)));
  const cert = argv.registryClientCert;
  const key = argv.registryClientKey;
  if ((cert === undefined) !== (key === undefined)) throw usageError('--registry-client-cert and --registry-client-key go together');
  if (cert !== undefined && key !== undefined) {
    opts.clientCertFile = path.resolve(ctx.cwd, cert);
    opts.clientKeyFile = path.resolve(ctx.cwd, key);
  }
  if (argv.allowInsecureRegistry) opts.allowInsecure = true;
  if (argv.allowHttpRegistry) opts.allowHttp = true;
  const retries = argv.registryRetries;
  if (retries !== undefined) {
    if (!Number.isInteger(retries) || retries < 0 || retries > 20) {
      throw usageError(`invalid --registry-retries "${String(retries)}": use a whole number from 0 to 20`);
    }
    opts.retries = retries;
  }
  const timeout = argv.registryTimeout;
  if (timeout !== undefined) opts.timeoutMs = parseDuration(timeout, '--registry-timeout');
  return opts;
}
