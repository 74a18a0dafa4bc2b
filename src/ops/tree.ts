// seal tree: everything attached to an image, in both storage generations.
import { createHash } from 'node:crypto';
import { openImage } from '../cosign/image.ts';
import { readLegacyLayers } from '../cosign/legacy.ts';
import { ANNOTATION, attachmentTag } from '../cosign/layout.ts';
import { listReferrers } from '../oci/referrers.ts';
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from './op-env.ts';

export interface TreeEntry {
  kind: 'signatures' | 'attestations' | 'sboms' | 'referrer';
  /** Tag (legacy) or manifest digest (referrer). */
  location: string;
  artifactType?: string;
  predicateType?: string;
  /** `signature`: sha256 of a legacy signature, which tells apart signatures by one key over one payload. */
  layers: { digest: string; mediaType: string; predicateType?: string; signature?: string }[];
}

export interface Tree {
  image: string;
  digest: string;
  entries: TreeEntry[];
}

const KINDS = [
  ['sig', 'signatures'],
  ['att', 'attestations'],
  ['sbom', 'sboms'],
] as const;

export async function imageTree({ image, store }: { image: string; store: StoreOptions }, env: OpEnv): Promise<Tree> {
  const { log } = env;
  const img = await openImage(image, store, log);
  const s = img.attachStore;
  const entries: TreeEntry[] = [];
  for (const [kind, name] of KINDS) {
    const legacy = await readLegacyLayers(s, img.digest, kind);
    if (!legacy.manifestDigest) continue;
    entries.push({
      kind: name,
      location: `${s.name}:${attachmentTag(s, img.digest, kind)}`,
      layers: legacy.layers.map((l) => ({
        digest: l.digest,
        mediaType: l.mediaType,
        ...(l.annotations?.[ANNOTATION.predicateType] ? { predicateType: l.annotations[ANNOTATION.predicateType] } : {}),
        ...(l.annotations?.[ANNOTATION.signature]
          ? { signature: `sha256:${createHash('sha256').update(Buffer.from(l.annotations[ANNOTATION.signature], 'base64')).digest('hex')}` }
          : {}),
      })),
    });
  }
  for (const ref of await listReferrers(s, img.digest)) {
    const doc = await s.getManifest(ref.digest);
    const m = doc ? (JSON.parse(Buffer.from(doc.bytes).toString('utf8')) as { layers?: { digest: string; mediaType: string }[] }) : {};
    entries.push({
      kind: 'referrer',
      location: `${s.name}@${ref.digest}`,
      artifactType: ref.artifactType,
      predicateType: ref.annotations?.[ANNOTATION.bundlePredicateType],
      layers: (m.layers ?? []).map((l) => ({ digest: l.digest, mediaType: l.mediaType })),
    });
  }
  return { image, digest: img.digest, entries };
}

export function renderTree(t: Tree): string {
  if (t.entries.length === 0) {
    return `No supply chain artifacts found for ${t.image} (${t.digest}); create one with: seal sign --key cosign.key ${t.image}\n`;
  }
  const lines = [`Supply chain artifacts for ${t.image} (${t.digest})`];
  t.entries.forEach((e, i) => {
    const last = i === t.entries.length - 1;
    const label = e.kind === 'referrer' ? `referrer ${e.predicateType ?? e.artifactType ?? 'artifact'}: ${e.location}` : `${e.kind}: ${e.location}`;
    lines.push(`${last ? '└──' : '├──'} ${label}`);
    e.layers.forEach((l, j) => {
      const pre = last ? '    ' : '│   ';
      const extra = l.predicateType ? ` (${l.predicateType})` : l.signature ? ` (signature ${l.signature.slice(0, 19)}…)` : '';
      lines.push(`${pre}${j === e.layers.length - 1 ? '└──' : '├──'} ${l.digest}${extra}`);
    });
  });
  return lines.join('\n') + '\n';
}
