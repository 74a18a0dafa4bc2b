// The container images a Kubernetes manifest runs, for `seal manifest verify`: every document of a
// YAML (or JSON) stream, its pod spec wherever a workload keeps it (Pod, Deployment/DaemonSet/
// StatefulSet/ReplicaSet/Job template, CronJob job template), init containers first as cosign
// lists them. Also `kind: List` items and ephemeral containers, which cosign skips.
import { parseAllDocuments } from 'yaml';

import { SealError, flattenControls } from '../errors.ts';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

function podSpecs(doc: Json): Json[] {
  const spec = obj(doc.spec);
  const found = [spec, obj(obj(spec?.template)?.spec), obj(obj(obj(obj(spec?.jobTemplate)?.spec)?.template)?.spec)];
  return found.filter((s): s is Json => s !== undefined);
}

function imagesOfPodSpec(spec: Json): string[] {
  const out: string[] = [];
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      const image = obj(c)?.image;
      if (typeof image === 'string' && image.trim() !== '') out.push(image.trim());
    }
  }
  return out;
}

function imagesOfDocument(doc: unknown, depth = 0): string[] {
  const o = obj(doc);
  if (!o || depth > 4) return [];
  const items = o.kind === 'List' && Array.isArray(o.items) ? o.items.flatMap((i) => imagesOfDocument(i, depth + 1)) : [];
  return [...podSpecs(o).flatMap(imagesOfPodSpec), ...items];
}

/** Images in order of appearance; an image named twice is listed once. */
export function imagesInKubernetesManifest(text: string, what = 'the manifest'): string[] {
  const images: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) {
      throw new SealError('input', `${what} is not valid YAML: ${flattenControls(doc.errors[0]!.message.split('\n')[0]!)}`, {
        hint: 'check the file with kubectl apply --dry-run=client -f FILE',
      });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new SealError('input', `${what} cannot be read: ${flattenControls((err as Error).message)}`);
    }
    images.push(...imagesOfDocument(value));
  }
  return [...new Set(images)];
}
