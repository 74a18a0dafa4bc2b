// seal signing-config show: the services a keyless signing run would use with the same flags and
// environment (src/sigstore/signing-services.ts), without signing or contacting any of them.
import type { SigningServices } from '../sigstore/signing-config.ts';

export interface SigningConfigShowOptions {
  signingConfig?: string;
  useSigningConfig?: boolean;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  oidcIssuer?: string;
  /** The legacy image format (Rekor v1 logs only). */
  legacyFormat?: boolean;
  tufCacheDir: string;
  cwd: string;
  now?: Date;
}

export interface SigningConfigShowResult extends SigningServices {
  /** The OIDC issuer an interactive login would use, and where that came from. */
  login: { issuer: string; from: string };
}

export async function showSigningServices(opts: SigningConfigShowOptions): Promise<SigningConfigShowResult> {
  const [{ chooseSigningServices }, { DEFAULT_OIDC_ISSUER }] = await Promise.all([import('../sigstore/signing-services.ts'), import('../oidc/index.ts')]);
  const services = await chooseSigningServices({
    ...(opts.signingConfig ? { signingConfig: opts.signingConfig } : {}),
    ...(opts.useSigningConfig !== undefined ? { useSigningConfig: opts.useSigningConfig } : {}),
    ...(opts.fulcioUrl ? { fulcioUrl: opts.fulcioUrl } : {}),
    ...(opts.rekorUrl ? { rekorUrl: opts.rekorUrl } : {}),
    ...(opts.tsaUrl ? { tsaUrl: opts.tsaUrl } : {}),
    ...(opts.legacyFormat ? { rekorV1Only: true } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    tufCacheDir: opts.tufCacheDir,
    cwd: opts.cwd,
  });
  const login = opts.oidcIssuer
    ? { issuer: opts.oidcIssuer, from: '--oidc-issuer' }
    : services.oidcIssuer
      ? { issuer: services.oidcIssuer.url, from: services.oidcIssuer.from }
      : { issuer: DEFAULT_OIDC_ISSUER, from: 'default' };
  return { ...services, login };
}
