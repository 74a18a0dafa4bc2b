// The services of one keyless signing run: from --signing-config FILE, else (cosign v3's
// --use-signing-config, on by default) the signing config `seal trusted-root update` stored in
// the TUF cache, else seal's defaults (the public-good Fulcio and Rekor v1, no TSA). Explicit
// --fulcio-url/--rekor-url/--timestamp-server-url replace the chosen service of their kind; given
// without --signing-config, they mean the run is configured by hand and the cached config is
// not consulted (cosign v3 refuses that mix; cosign v2 had only the flags).
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { SealError } from '../errors.ts';
import { chooseServices, parseSigningConfig, type SigningServices } from './signing-config.ts';
import { readTufCache } from './tuf-cache.ts';

export interface ServiceChoiceOptions {
  /** --signing-config FILE */
  signingConfig?: string;
  /** --use-signing-config; undefined: use the cached one when there is one and no URL flag is given. */
  useSigningConfig?: boolean;
  fulcioUrl?: string;
  rekorUrl?: string;
  tsaUrl?: string;
  /** The legacy image format: Rekor v1 logs only. */
  rekorV1Only?: boolean;
  tufCacheDir: string;
  cwd?: string;
  now?: Date;
}

// The same as @sigstore/sign's defaults (keyless.ts), without loading it.
const PUBLIC_FULCIO_URL = 'https://fulcio.sigstore.dev';
const PUBLIC_REKOR_URL = 'https://rekor.sigstore.dev';

export const DEFAULTS_SOURCE = "seal's defaults (no signing config)";

/**
 * A cached trust that fails its check, met while signing: --trusted-root (the verification hint)
 * does not help here, fetching the trust again or naming the services does.
 */
function forSigning(err: unknown): unknown {
  if (!(err instanceof SealError) || err.code !== 'TUF_CACHE_INVALID') return err;
  return new SealError(err.kind, err.message, {
    cause: err,
    code: err.code,
    hint: 'run `seal trusted-root update` (or `seal initialize`) to fetch it again, or sign without it: --signing-config FILE, or --fulcio-url and --rekor-url (or --use-signing-config=false for the public-good services)',
  });
}

export async function chooseSigningServices(opts: ServiceChoiceOptions): Promise<SigningServices> {
  const explicit = {
    ...(opts.fulcioUrl ? { fulcioUrl: opts.fulcioUrl } : {}),
    ...(opts.rekorUrl ? { rekorUrl: opts.rekorUrl } : {}),
    ...(opts.tsaUrl ? { tsaUrl: opts.tsaUrl } : {}),
  };
  const choose = { ...explicit, ...(opts.rekorV1Only ? { rekorV1Only: true } : {}), ...(opts.now ? { now: opts.now } : {}) };
  if (opts.signingConfig !== undefined && opts.signingConfig !== '') {
    if (opts.useSigningConfig === false) {
      throw new SealError('usage', '--signing-config and --use-signing-config=false contradict each other');
    }
    const file = path.resolve(opts.cwd ?? '.', opts.signingConfig);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new SealError('input', `cannot read the signing config ${opts.signingConfig}: ${code ?? 'not JSON'}`, { code: 'BAD_SIGNING_CONFIG' });
    }
    return chooseServices(parseSigningConfig(json, opts.signingConfig), opts.signingConfig, choose);
  }
  const handConfigured = Object.keys(explicit).length > 0;
  if (opts.useSigningConfig === true || (opts.useSigningConfig === undefined && !handConfigured)) {
    const cached = await readTufCache(opts.tufCacheDir, opts.now).catch((err: unknown) => {
      throw forSigning(err);
    });
    if (cached?.signingConfig !== undefined) {
      const source = `the TUF cache of ${cached.mirror}`;
      let json: unknown;
      try {
        json = JSON.parse(cached.signingConfig);
      } catch {
        throw new SealError('input', `${source} holds a signing config that is not JSON`, { code: 'BAD_SIGNING_CONFIG' });
      }
      return chooseServices(parseSigningConfig(json, source), source, choose);
    }
    if (opts.useSigningConfig === true) {
      throw new SealError('input', `--use-signing-config: the TUF cache (${opts.tufCacheDir}) holds no signing config`, {
        hint: 'run `seal trusted-root update` first, pass --signing-config FILE, or --use-signing-config=false with --fulcio-url/--rekor-url',
        code: 'NO_SIGNING_CONFIG',
      });
    }
  }
  return {
    fulcio: { url: opts.fulcioUrl ?? PUBLIC_FULCIO_URL, apiVersion: 1, from: opts.fulcioUrl ? '--fulcio-url' : 'default' },
    rekor: [{ url: opts.rekorUrl ?? PUBLIC_REKOR_URL, apiVersion: 1, from: opts.rekorUrl ? '--rekor-url' : 'default' }],
    tsa: opts.tsaUrl ? [{ url: opts.tsaUrl, apiVersion: 1, from: '--timestamp-server-url' }] : [],
    source: DEFAULTS_SOURCE,
  };
}
