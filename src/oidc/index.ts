// Where a keyless signature's identity token comes from, in cosign's order
// (internal/auth/auth.go RetrieveIDToken): --identity-token (the JWT or a file holding it); an
// ambient provider (SIGSTORE_ID_TOKEN, GitHub Actions, Buildkite, the token file, Google, SPIFFE:
// providers.ts), unless disabled; else an interactive login at the OIDC issuer, in a browser
// (authorization code + PKCE) or with a device code. seal starts a login only on a terminal (or
// when the device flow is asked for by name); elsewhere it fails and says what to set.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { SealError } from '../errors.ts';
import { browserFlow } from './browser-flow.ts';
import { deviceFlow, type DeviceFlowDeps } from './device-flow.ts';
import type { Fetch } from './http.ts';
import { looksLikeJwt } from './jwt.ts';
import { ambientToken, type Env, type ProviderContext } from './providers.ts';

export { looksLikeJwt, tokenIdentity, decodeJwt } from './jwt.ts';
export { AMBIENT_PROVIDERS, PROVIDER_NAMES, FILESYSTEM_TOKEN_PATH, ambientToken } from './providers.ts';

/** cosign's defaults (cmd/cosign/cli/options/oidc.go). */
export const DEFAULT_OIDC_ISSUER = 'https://oauth2.sigstore.dev/auth';
export const DEFAULT_OIDC_CLIENT_ID = 'sigstore';

export const AUTH_FLOWS = ['normal', 'device', 'token', 'client_credentials'] as const;
export type AuthFlow = (typeof AUTH_FLOWS)[number];

export interface IdentityTokenOptions {
  /** --identity-token: the JWT, or a path to a file holding it. */
  identityToken?: string;
  /** --oidc-provider: use only this ambient provider. */
  provider?: string;
  /** --oidc-disable-ambient-providers */
  disableAmbient?: boolean;
  /** --fulcio-auth-flow; default: normal on a terminal. */
  flow?: string;
  /** For the interactive flows. */
  issuer?: string;
  clientId?: string;
  clientSecret?: string;
  redirectUrl?: string;
  /** Whether the user is at a terminal (stdin and stderr are TTYs). */
  terminal: boolean;
}

export interface IdentityTokenDeps {
  env: Env;
  fetch: Fetch;
  cwd?: string;
  /** A line for the user (stderr). */
  tell: (line: string) => void;
  openBrowser?: (url: string) => void;
  wait?: DeviceFlowDeps['wait'];
  signal?: AbortSignal;
  /** Overrides for the ambient providers' file and DNS access (tests). */
  provider?: Partial<Pick<ProviderContext, 'exists' | 'readFile' | 'resolves'>>;
}

export interface IdentityToken {
  token: string;
  /** Where it came from, for messages: "--identity-token", "GitHub Actions", "browser login", ... */
  source: string;
}

const NOT_INTERACTIVE_HINT =
  'pass --identity-token TOKEN|FILE or set SIGSTORE_ID_TOKEN; in GitHub Actions give the job `permissions: id-token: write`; in GitLab CI declare `id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore`; or sign with --key';

export async function resolveIdentityToken(opts: IdentityTokenOptions, deps: IdentityTokenDeps): Promise<IdentityToken> {
  const flow = parseFlow(opts.flow);
  const fromFlag = await tokenFromFlag(opts.identityToken, deps.cwd ?? '.');
  if (fromFlag !== undefined) return { token: fromFlag, source: '--identity-token' };

  if (!opts.disableAmbient) {
    const ctx: ProviderContext = { env: deps.env, fetch: deps.fetch, ...(deps.signal ? { signal: deps.signal } : {}), ...deps.provider };
    const ambient = await ambientToken(ctx, opts.provider === undefined || opts.provider === '' ? {} : { provider: opts.provider });
    if (ambient) return { token: ambient.token, source: ambient.provider.title };
  } else if (opts.provider) {
    throw new SealError('usage', '--oidc-provider and --oidc-disable-ambient-providers contradict each other');
  }

  if (flow === 'token') {
    throw new SealError('usage', '--fulcio-auth-flow token needs an identity token, and none was given', {
      hint: NOT_INTERACTIVE_HINT,
      code: 'NO_IDENTITY_TOKEN',
    });
  }
  if (flow === 'client_credentials') {
    throw new SealError('usage', 'seal does not implement --fulcio-auth-flow client_credentials', {
      hint: 'get the token from your issuer yourself and pass it with --identity-token',
      code: 'OIDC_FLOW',
    });
  }
  const chosen = flow ?? 'normal';
  if (!opts.terminal && flow !== 'device') {
    throw new SealError('usage', 'no identity token for keyless signing, and seal starts a browser login only on a terminal', {
      hint: NOT_INTERACTIVE_HINT,
      code: 'NO_IDENTITY_TOKEN',
    });
  }
  const client = {
    issuer: opts.issuer ?? DEFAULT_OIDC_ISSUER,
    clientId: opts.clientId ?? DEFAULT_OIDC_CLIENT_ID,
    ...(opts.clientSecret ? { clientSecret: opts.clientSecret } : {}),
  };
  const flowDeps: DeviceFlowDeps = {
    fetch: deps.fetch,
    tell: deps.tell,
    ...(deps.openBrowser ? { openBrowser: deps.openBrowser } : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.wait ? { wait: deps.wait } : {}),
  };
  if (chosen === 'device') return { token: await deviceFlow(client, flowDeps), source: 'device login' };
  return {
    token: await browserFlow({ ...client, ...(opts.redirectUrl ? { redirectUrl: opts.redirectUrl } : {}) }, flowDeps),
    source: 'browser login',
  };
}

function parseFlow(flow: string | undefined): AuthFlow | undefined {
  if (flow === undefined || flow === '') return undefined;
  if ((AUTH_FLOWS as readonly string[]).includes(flow)) return flow as AuthFlow;
  throw new SealError('usage', `--fulcio-auth-flow ${JSON.stringify(flow)} is not a flow`, { hint: `use one of ${AUTH_FLOWS.join(', ')}` });
}

/**
 * The token in --identity-token: the value when it looks like a JWT, else the contents of the file
 * it names. The value is never echoed (it may be a token with a typo in it).
 */
export async function tokenFromFlag(flag: string | undefined, cwd: string): Promise<string | undefined> {
  if (flag === undefined || flag === '') return undefined;
  if (looksLikeJwt(flag)) return flag.trim();
  const file = path.resolve(cwd, flag);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new SealError('input', '--identity-token is neither a JWT nor a readable file', {
      hint: 'pass the raw token, a path to a file containing it, or set SIGSTORE_ID_TOKEN',
      code: 'BAD_IDENTITY_TOKEN',
    });
  }
  const token = (await readFile(file, 'utf8')).trim();
  if (token === '') throw new SealError('input', `the identity token file ${flag} is empty`, { code: 'BAD_IDENTITY_TOKEN' });
  return token;
}

/** The client secret of --oidc-client-secret-file (trimmed, UTF-8), as cosign reads it. */
export async function readClientSecret(file: string, cwd: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path.resolve(cwd, file));
  } catch (err) {
    throw new SealError('input', `cannot read the OIDC client secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
      code: 'OIDC_CLIENT_SECRET',
    });
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes).trim();
  if (text === '') throw new SealError('input', `the OIDC client secret file ${file} is empty`, { code: 'OIDC_CLIENT_SECRET' });
  return text;
}
