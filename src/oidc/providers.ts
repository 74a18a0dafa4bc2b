// Ambient identity-token providers: where a CI system or a workload hands out an OIDC token
// without a login. Names and environment variables are cosign's (pkg/providers/*), so
// `--oidc-provider NAME` means the same in both. Order when none is named: SIGSTORE_ID_TOKEN
// first (an explicit token wins; GitLab CI's `id_tokens:` puts its token there), then the rest
// in the order cosign registers them, GitHub first (cosign's comment: a self-hosted GitHub runner
// may sit in another environment, and GitHub's credentials are preferred).
// Every provider gets its environment, fetch and file access passed in; none reads process state.
import { stat, readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';

import { SealError, flattenControls, messageOf } from '../errors.ts';
import { describeAnswer, requestJson, type Fetch } from './http.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ProviderContext {
  env: Env;
  fetch: Fetch;
  signal?: AbortSignal;
  /** Whether a file or socket exists (default: fs.stat). */
  exists?: (path: string) => Promise<boolean>;
  readFile?: (path: string) => Promise<string>;
  /** Whether a host name resolves (default: DNS lookup, 1 s at most). */
  resolves?: (host: string) => Promise<boolean>;
}

export interface AmbientProvider {
  /** cosign's --oidc-provider name. */
  name: string;
  /** What it is, for messages: "GitHub Actions", ... */
  title: string;
  /** Whether this environment offers it (cheap; the Google probe asks DNS). */
  enabled(ctx: ProviderContext): Promise<boolean>;
  /** A token for `audience`, or a SealError saying why not. */
  provide(ctx: ProviderContext, audience: string): Promise<string>;
}

/** cosign's default token file; SEAL_OIDC_TOKEN_FILE moves it (tests, unusual mounts). */
export const FILESYSTEM_TOKEN_PATH = '/var/run/sigstore/cosign/oidc-token';
export const SPIFFE_DEFAULT_SOCKET = '/tmp/spire-agent/public/api.sock';
export const BUILDKITE_DEFAULT_ENDPOINT = 'https://agent.buildkite.com/v3';

const set = (v: string | undefined): v is string => v !== undefined && v !== '';
const fail = (title: string, why: string, hint?: string) =>
  new SealError('input', `${title} did not give an identity token: ${why}`, { code: 'OIDC_PROVIDER_FAILED', ...(hint ? { hint } : {}) });

const defaultExists = async (p: string) => (await stat(p).catch(() => undefined)) !== undefined;
const defaultReadFile = (p: string) => readFile(p, 'utf8');
const defaultResolves = async (host: string) => {
  const timeout = new Promise<boolean>((done) => setTimeout(() => done(false), 1000).unref());
  return Promise.race([
    lookup(host).then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
};

/** The token in a provider's answer, checked to be a non-empty string. */
function tokenIn(value: unknown, title: string, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw fail(title, `the answer has no "${field}"`);
  return value.trim();
}

export const envvarProvider: AmbientProvider = {
  name: 'envvar',
  title: 'SIGSTORE_ID_TOKEN',
  enabled: async (ctx) => set(ctx.env.SIGSTORE_ID_TOKEN?.trim()),
  provide: async (ctx) => {
    const token = ctx.env.SIGSTORE_ID_TOKEN?.trim();
    if (!set(token)) throw fail('SIGSTORE_ID_TOKEN', 'the variable is empty');
    return token;
  },
};

// GitHub Actions: a job with `permissions: id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL and
// _TOKEN; GET URL&audience=A with "Authorization: bearer TOKEN" answers {"value": JWT}.
export const githubProvider: AmbientProvider = {
  name: 'github-actions',
  title: 'GitHub Actions',
  enabled: async (ctx) => set(ctx.env.ACTIONS_ID_TOKEN_REQUEST_URL) && set(ctx.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
  provide: async (ctx, audience) => {
    const title = 'GitHub Actions';
    const base = ctx.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = ctx.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!set(base) || !set(bearer)) {
      throw fail(title, 'ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not both set', 'give the job `permissions: id-token: write`');
    }
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw fail(title, 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
    }
    url.searchParams.set('audience', audience);
    // cosign tries three times: the token service has transient failures.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const a = await requestJson(ctx.fetch, url.toString(), 'the GitHub Actions token service', {
          headers: { authorization: `bearer ${bearer}` },
          timeoutMs: 15_000,
          signal: ctx.signal,
        });
        if (a.status !== 200) throw fail(title, `the token service answered ${describeAnswer(a)}`, 'check `permissions: id-token: write` for the job');
        return tokenIn((a.body as { value?: unknown } | undefined)?.value, title, 'value');
      } catch (err) {
        lastError = err;
        if (!(err instanceof SealError) || err.kind !== 'network') break;
      }
    }
    throw lastError instanceof SealError && lastError.kind !== 'network' ? lastError : fail(title, messageOf(lastError));
  },
};

// Buildkite: the agent's API, POST {endpoint}/jobs/{job}/oidc/tokens {"audience"} with
// "Authorization: Token AGENT_TOKEN" answers {"token": JWT}.
export const buildkiteProvider: AmbientProvider = {
  name: 'buildkite-agent',
  title: 'Buildkite',
  enabled: async (ctx) => set(ctx.env.BUILDKITE_AGENT_ACCESS_TOKEN),
  provide: async (ctx, audience) => {
    const title = 'Buildkite';
    const token = ctx.env.BUILDKITE_AGENT_ACCESS_TOKEN;
    const job = ctx.env.BUILDKITE_JOB_ID;
    if (!set(token)) throw fail(title, 'BUILDKITE_AGENT_ACCESS_TOKEN is not set');
    if (!set(job)) throw fail(title, 'BUILDKITE_JOB_ID is not set');
    const endpoint = (set(ctx.env.BUILDKITE_AGENT_ENDPOINT) ? ctx.env.BUILDKITE_AGENT_ENDPOINT : BUILDKITE_DEFAULT_ENDPOINT).replace(/\/+$/, '');
    const a = await requestJson(ctx.fetch, `${endpoint}/jobs/${encodeURIComponent(job)}/oidc/tokens`, 'the Buildkite agent API', {
      method: 'POST',
      headers: { authorization: `Token ${token}` },
      json: { audience },
      timeoutMs: 15_000,
      signal: ctx.signal,
    });
    if (a.status !== 200 && a.status !== 201) throw fail(title, `the agent API answered ${describeAnswer(a)}`);
    return tokenIn((a.body as { token?: unknown } | undefined)?.token, title, 'token');
  },
};

export const filesystemProvider: AmbientProvider = {
  name: 'filesystem',
  title: 'the token file',
  enabled: async (ctx) => (ctx.exists ?? defaultExists)(tokenFilePath(ctx.env)),
  provide: async (ctx) => {
    const file = tokenFilePath(ctx.env);
    let text: string;
    try {
      text = await (ctx.readFile ?? defaultReadFile)(file);
    } catch (err) {
      throw fail(`the token file ${file}`, flattenControls(messageOf(err)));
    }
    if (text.trim() === '') throw fail(`the token file ${file}`, 'it is empty');
    return text.trim();
  },
};

export const tokenFilePath = (env: Env): string => (set(env.SEAL_OIDC_TOKEN_FILE) ? env.SEAL_OIDC_TOKEN_FILE : FILESYSTEM_TOKEN_PATH);

// Google: the metadata server of GCE/GKE/Cloud Run mints an ID token for the attached service
// account. cosign asks "on GCE?" (GCE_METADATA_HOST, or metadata.google.internal resolving) and
// then whether a token comes back.
export const googleProvider: AmbientProvider = {
  name: 'google-workload-identity',
  title: 'Google workload identity',
  enabled: async (ctx) => set(ctx.env.GCE_METADATA_HOST) || (ctx.resolves ?? defaultResolves)('metadata.google.internal'),
  provide: async (ctx, audience) => {
    const title = 'Google workload identity';
    const host = set(ctx.env.GCE_METADATA_HOST) ? ctx.env.GCE_METADATA_HOST : 'metadata.google.internal';
    const url = `http://${host}/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(audience)}&format=full`;
    const a = await requestJson(ctx.fetch, url, 'the Google metadata server', {
      headers: { 'metadata-flavor': 'Google' },
      timeoutMs: 10_000,
      signal: ctx.signal,
    });
    if (a.status !== 200)
      throw fail(title, `the metadata server answered ${describeAnswer(a)}`, 'check that the workload has a service account with workload identity');
    return tokenIn(a.text, title, 'token');
  },
};

export const googleImpersonateProvider: AmbientProvider = {
  name: 'google-impersonate',
  title: 'Google service account impersonation',
  enabled: async (ctx) => set(ctx.env.GOOGLE_SERVICE_ACCOUNT_NAME),
  provide: async (ctx) => {
    throw fail(
      'Google service account impersonation',
      'seal does not call the Google IAM credentials API',
      `run \`gcloud auth print-identity-token --impersonate-service-account=${ctx.env.GOOGLE_SERVICE_ACCOUNT_NAME ?? 'NAME'} --audiences=sigstore --include-email\` and pass the token with --identity-token`,
    );
  },
};

// SPIFFE: a JWT-SVID from the SPIRE agent's workload API, which speaks gRPC on a Unix socket.
// seal carries no gRPC client, so a configured socket is reported, not used.
export const spiffeProvider: AmbientProvider = {
  name: 'spiffe',
  title: 'SPIFFE',
  enabled: async (ctx) => (ctx.exists ?? defaultExists)(spiffeSocket(ctx.env)),
  provide: async (ctx) => {
    throw fail(
      `SPIFFE (workload API at ${spiffeSocket(ctx.env)})`,
      'seal has no gRPC client for the SPIFFE workload API',
      'fetch a JWT-SVID with `spire-agent api fetch jwt -audience sigstore -socketPath SOCKET` and pass it with --identity-token or SIGSTORE_ID_TOKEN',
    );
  },
};

export const spiffeSocket = (env: Env): string => {
  const configured = env.SPIFFE_ENDPOINT_SOCKET;
  return set(configured) ? configured.replace(/^unix:\/\//, '') : SPIFFE_DEFAULT_SOCKET;
};

/** The default order (see the top of this file). */
export const AMBIENT_PROVIDERS: readonly AmbientProvider[] = [
  envvarProvider,
  githubProvider,
  buildkiteProvider,
  filesystemProvider,
  googleProvider,
  googleImpersonateProvider,
  spiffeProvider,
];

/** cosign's help lists `google` for the workload identity provider; seal takes both spellings. */
const ALIASES: Record<string, string> = { google: 'google-workload-identity' };

export function providerNamed(name: string): AmbientProvider | undefined {
  const wanted = ALIASES[name] ?? name;
  return AMBIENT_PROVIDERS.find((p) => p.name === wanted);
}

export const PROVIDER_NAMES: readonly string[] = [...AMBIENT_PROVIDERS.map((p) => p.name), 'google'];

export interface AmbientToken {
  token: string;
  provider: AmbientProvider;
}

/**
 * A token from the named provider, or from the first enabled one that gives one; undefined when
 * none is enabled. A named provider that fails, or every enabled one failing, throws a SealError
 * naming each provider and why.
 */
export async function ambientToken(ctx: ProviderContext, opts: { provider?: string; audience?: string } = {}): Promise<AmbientToken | undefined> {
  const audience = opts.audience ?? 'sigstore';
  if (opts.provider !== undefined) {
    const provider = providerNamed(opts.provider);
    if (!provider) {
      throw new SealError('usage', `--oidc-provider ${JSON.stringify(opts.provider)} is not a provider`, {
        hint: `use one of ${PROVIDER_NAMES.join(', ')}`,
        code: 'OIDC_UNKNOWN_PROVIDER',
      });
    }
    return { token: await provider.provide(ctx, audience), provider };
  }
  const failures: SealError[] = [];
  for (const provider of AMBIENT_PROVIDERS) {
    // The Google probe asks DNS; skip it when an earlier provider already gave a token.
    if (!(await provider.enabled(ctx))) continue;
    try {
      return { token: await provider.provide(ctx, audience), provider };
    } catch (err) {
      if (!(err instanceof SealError)) throw err;
      failures.push(err);
    }
  }
  if (failures.length === 0) return undefined;
  const first = failures[0]!;
  const message = failures.length === 1 ? first.message : `no ambient provider gave an identity token: ${failures.map((f) => f.message).join('; ')}`;
  return Promise.reject(new SealError(first.kind, message, { code: first.code, ...(first.hint ? { hint: first.hint } : {}) }));
}
