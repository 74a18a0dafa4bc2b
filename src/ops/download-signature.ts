// seal download signature: every signature attached to an image, one JSON document per line:
// legacy layers in cosign's shape, bundles as stored.
import { openImage } from '../cosign/image.ts';
import { readLegacyLayers } from '../cosign/legacy.ts';
import { eachBundle } from '../cosign/referrer-bundles.ts';
import { ANNOTATION, COSIGN_SIGN_PREDICATE, SIMPLESIGNING_MEDIA_TYPE } from '../cosign/layout.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

export async function downloadSignatures({ image, store }: { image: string; store: StoreOptions }, env: OpEnv): Promise<string[]> {
  const { log } = env;
  const img = await openImage(image, store, log);
  const lines: string[] = [];
  for await (const b of eachBundle(img.attachStore, img.digest, log)) {
    if (b.predicateType && b.predicateType !== COSIGN_SIGN_PREDICATE) continue;
    lines.push(Buffer.from(b.bytes).toString('utf8').trim());
  }
  const legacy = await readLegacyLayers(img.attachStore, img.digest, 'sig');
  for (const layer of legacy.layers) {
    if (layer.mediaType !== SIMPLESIGNING_MEDIA_TYPE) continue;
    const payload = await img.attachStore.getBlob(layer.digest, { maxBytes: 1024 * 1024 });
    const a = layer.annotations ?? {};
    const bundle = a[ANNOTATION.bundle];
    const ts = a[ANNOTATION.rfc3161];
    lines.push(
      JSON.stringify({
        Base64Signature: a[ANNOTATION.signature] ?? '',
        Payload: Buffer.from(payload).toString('base64'),
        Cert: a[ANNOTATION.certificate] ?? null,
        Chain: a[ANNOTATION.chain] ? [a[ANNOTATION.chain]] : null,
        Bundle: bundle ? JSON.parse(bundle) : null,
        RFC3161Timestamp: ts ? JSON.parse(ts) : null,
      }),
    );
  }
  return lines;
}
