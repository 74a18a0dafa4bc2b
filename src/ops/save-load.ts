// seal save / seal load: cosign's names for copying an image with everything attached to it into an
// OCI layout directory and back (seal copy does the work, so signatures, attestations, SBOMs and
// referrers travel in both storage generations). `load` also reads a layout written by
// `cosign save`, whose index.json marks the image and its .sig/.att images with a `kind`
// annotation instead of tags.
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { SealError, messageOf } from '../errors.ts';
import { formatReference, parseReference } from '../oci/reference.ts';
import { copyImageWithAttachments, type CopyOptions, type CopyReport } from './copy.ts';
import type { OpEnv } from './op-env.ts';

type Common = Pick<CopyOptions, 'store' | 'progress'>;

export interface SaveOptions extends Common {
  image: string;
  dir: string;
}

export interface LoadOptions extends Common {
  dir: string;
  image: string;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const COSIGN_KIND = {
  image: 'dev.cosignproject.cosign/image',
  index: 'dev.cosignproject.cosign/imageIndex',
  sigs: 'dev.cosignproject.cosign/sigs',
  atts: 'dev.cosignproject.cosign/atts',
} as const;
/** index.json of a layout lists manifests; a larger one is not a layout seal wrote or can trust. */
const MAX_INDEX = 4 * 1024 * 1024;
const ATTACHMENT_TAG = /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/;

export async function saveImage(o: SaveOptions, env: OpEnv): Promise<CopyReport> {
  const ref = parseReference(o.image);
  const tag = ref.tag ?? (ref.digest ? undefined : 'latest');
  return copyImageWithAttachments({ ...o, src: o.image, dst: `oci:${o.dir}${tag ? `:${tag}` : ''}` }, env);
}

interface IndexEntry {
  digest?: unknown;
  annotations?: Record<string, unknown>;
}

export async function loadImage(o: LoadOptions, env: OpEnv): Promise<CopyReport> {
  const entries = await readIndex(o.dir);
  const kindOf = (e: IndexEntry) => e.annotations?.kind;
  const cosignImage = entries.find((e) => kindOf(e) === COSIGN_KIND.image || kindOf(e) === COSIGN_KIND.index);
  if (cosignImage) return loadCosignLayout(o, entries, String(cosignImage.digest), env);

  const tags = [...new Set(entries.map((e) => e.annotations?.[REF_NAME]).filter((t): t is string => typeof t === 'string' && !ATTACHMENT_TAG.test(t)))];
  if (tags.length > 1) {
    throw new SealError('usage', `${o.dir} holds several images (tags ${tags.join(', ')})`, {
      hint: `load one with seal copy oci:${o.dir}:TAG ${o.image}`,
    });
  }
  if (tags.length === 0) throw new SealError('input', `${o.dir} holds no tagged image to load`, { hint: 'was it written by seal save or cosign save?' });
  return copyImageWithAttachments({ ...o, src: `oci:${o.dir}:${tags[0]}`, dst: o.image }, env);
}

/** A `cosign save` layout: the image by its kind, then its .sig/.att images to their tags. */
async function loadCosignLayout(o: LoadOptions, entries: IndexEntry[], digest: string, env: OpEnv): Promise<CopyReport> {
  const report = await copyImageWithAttachments({ ...o, src: `oci:${o.dir}@${digest}`, dst: o.image }, env);
  const dst = parseReference(o.image);
  const repo = formatReference(dst, {});
  for (const [kind, suffix] of [
    [COSIGN_KIND.sigs, 'sig'],
    [COSIGN_KIND.atts, 'att'],
  ] as const) {
    const entry = entries.find((e) => e.annotations?.kind === kind);
    if (!entry) continue;
    const tag = `${report.digest.replace(':', '-')}.${suffix}`;
    await copyImageWithAttachments({ ...o, src: `oci:${o.dir}@${String(entry.digest)}`, dst: `${repo}:${tag}`, only: [] }, env);
  }
  return report;
}

async function readIndex(dir: string): Promise<IndexEntry[]> {
  const file = path.join(dir, 'index.json');
  let text: string;
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > MAX_INDEX) throw new Error(st.isFile() ? `over ${MAX_INDEX} bytes` : 'not a regular file');
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no index.json' : code === 'ENOTDIR' ? 'not a directory' : `cannot read index.json (${messageOf(err)})`;
    throw new SealError('input', `${dir} is not an OCI layout: ${why}`, {
      hint: 'give the directory seal save or cosign save wrote',
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SealError('input', `${file} is not JSON`);
  }
  const manifests = (doc as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) throw new SealError('input', `${file} has no manifests list`);
  return manifests.filter((m): m is IndexEntry => m !== null && typeof m === 'object' && typeof (m as IndexEntry).digest === 'string');
}
