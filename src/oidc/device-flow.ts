// The OAuth 2.0 device authorization grant (RFC 8628): for a terminal with no browser at hand.
// seal asks for a user code, prints where to enter it, and polls the token endpoint until the
// user has approved, the code expires, or the wait is interrupted.
import { SealError } from '../errors.ts';
import { clientAuth, type ClientOptions, type FlowDeps } from './browser-flow.ts';
import { checkIdToken, discover, endpoint } from './discovery.ts';
import { describeAnswer, requestJson } from './http.ts';

export interface DeviceFlowDeps extends FlowDeps {
  /** Waits `ms` (injected so tests do not sleep; default setTimeout, cut short by the signal). */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultWait = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new SealError('interrupted', 'the login was interrupted'));
    }
    signal?.addEventListener('abort', abort, { once: true });
  });

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export async function deviceFlow(opts: ClientOptions, deps: DeviceFlowDeps): Promise<string> {
  const meta = await discover(deps.fetch, opts.issuer, deps.signal);
  const deviceUrl = endpoint(meta, 'device_authorization_endpoint');
  const tokenUrl = endpoint(meta, 'token_endpoint');
  const auth = clientAuth(opts);
  const start = await requestJson(deps.fetch, deviceUrl, 'the OIDC device authorization endpoint', {
    form: { client_id: opts.clientId, scope: 'openid email' },
    headers: auth,
    signal: deps.signal,
  });
  const d = start.body as
    | { device_code?: unknown; user_code?: unknown; verification_uri?: unknown; verification_uri_complete?: unknown; expires_in?: unknown; interval?: unknown }
    | undefined;
  if (start.status !== 200 || typeof d?.device_code !== 'string' || typeof d.verification_uri !== 'string') {
    throw new SealError('input', `the OIDC issuer ${opts.issuer} refused a device login: ${describeAnswer(start)}`, { code: 'OIDC_DEVICE' });
  }
  if (typeof d.verification_uri_complete === 'string') {
    deps.tell('Open this URL in a browser on any device to log in:');
    deps.tell(d.verification_uri_complete);
  } else {
    deps.tell(`Open ${d.verification_uri} in a browser on any device and enter the code ${String(d.user_code)}`);
  }
  const wait = deps.wait ?? defaultWait;
  // RFC 8628 §3.2: 5 s when the server does not say.
  let interval = (typeof d.interval === 'number' && d.interval > 0 ? d.interval : 5) * 1000;
  const expiresAt = Date.now() + (typeof d.expires_in === 'number' ? d.expires_in : 600) * 1000;
  for (;;) {
    await wait(interval, deps.signal);
    if (Date.now() > expiresAt) throw new SealError('input', 'the device code expired before the login was approved', { code: 'OIDC_DEVICE_EXPIRED' });
    const a = await requestJson(deps.fetch, tokenUrl, 'the OIDC token endpoint', {
      form: { grant_type: GRANT, device_code: d.device_code, client_id: opts.clientId },
      headers: auth,
      signal: deps.signal,
    });
    const body = a.body as { id_token?: unknown; error?: unknown } | undefined;
    if (a.status === 200 && typeof body?.id_token === 'string') {
      await checkIdToken(deps.fetch, meta, body.id_token, { clientId: opts.clientId, signal: deps.signal });
      return body.id_token;
    }
    if (body?.error === 'authorization_pending') continue;
    if (body?.error === 'slow_down') {
      interval += 5000;
      continue;
    }
    const why = body?.error === 'access_denied' ? 'the login was denied' : body?.error === 'expired_token' ? 'the device code expired' : describeAnswer(a);
    throw new SealError('input', `the device login at ${opts.issuer} failed: ${why}`, { code: 'OIDC_DEVICE' });
  }
}
