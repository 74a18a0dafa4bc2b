// Test images on a real registry: a fresh one-layer image (test/harness/oci-layout.ts) pushed by
// skopeo, so what seal reads was written by another client.
import path from 'node:path';
import { makeImageLayout, pushWithSkopeo, type RunningRegistry } from '../harness/index.ts';

export interface PushedImage {
  /** HOST/REPO:TAG */
  ref: string;
  /** REPO:TAG, for reaching the image through another host (a proxy in front of the registry). */
  name: string;
  digest: string;
}

/** Pushes a new image (its layout made under `workDir`) to `reg` as REPO:TAG. */
export async function pushImage(reg: RunningRegistry, workDir: string, repo: string, tag = 'v1'): Promise<PushedImage> {
  const img = await makeImageLayout(path.join(workDir, `${repo.replace(/\//g, '-')}-${Math.random().toString(36).slice(2)}`));
  const digest = await pushWithSkopeo(img.dir, 'latest', reg, `${repo}:${tag}`);
  return { ref: `${reg.host}/${repo}:${tag}`, name: `${repo}:${tag}`, digest };
}
