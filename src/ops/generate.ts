// seal generate: the simple-signing payload `seal sign` would sign for an image, for signing
// elsewhere (an HSM, an air-gapped machine) and attaching with `seal attach signature`.
import { openImage } from '../cosign/image.ts';
import { buildSimpleSigningPayload } from '../cosign/simple-signing.ts';
import { repositoryName } from '../oci/reference.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

export interface GenerateOptions {
  image: string;
  annotations: Record<string, string>;
  store: StoreOptions;
}

export interface GeneratedPayload {
  image: string;
  digest: string;
  /** Byte for byte what `seal sign` (legacy) signs, and what cosign generate prints: no newline. */
  payload: Uint8Array;
}

export async function generatePayload(opts: GenerateOptions, env: OpEnv): Promise<GeneratedPayload> {
  const { log } = env;
  const img = await openImage(opts.image, opts.store, log);
  const payload = buildSimpleSigningPayload(repositoryName(img.ref), img.digest, opts.annotations);
  return { image: opts.image, digest: img.digest, payload };
}
