// skopeo as an independent client, to push test images and to cross-check what seal wrote.
// A target is anything with a host (a RunningRegistry, a FaultProxy); credentials and the
// certificate directory are used when present. TLS verification is off (self-signed registries).
import { createHash, randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, run } from './tools.ts';

export interface SkopeoTarget {
  host: string;
  username?: string;
  password?: string;
  certsDir?: string;
}

/** The parts of `skopeo inspect` output tests use. */
export interface SkopeoInspect {
  Name: string;
  Digest: string;
  Tags?: string[];
  Architecture: string;
  Os: string;
  Layers: string[];
  [key: string]: unknown;
}

const skopeo = (): Promise<string> => requireTool('skopeo', 'skopeo');

/** `repo:tag` or `repo@digest` on the target; a reference already naming the host is kept. */
const dockerRef = (target: SkopeoTarget, ref: string): string => `docker://${ref.startsWith(`${target.host}/`) ? ref : `${target.host}/${ref}`}`;

function destArgs(target: SkopeoTarget): string[] {
  const args = ['--dest-tls-verify=false'];
  if (target.username !== undefined) args.push('--dest-creds', `${target.username}:${target.password ?? ''}`);
  if (target.certsDir) args.push('--dest-cert-dir', target.certsDir);
  return args;
}

function srcArgs(target: SkopeoTarget, prefix: '' | 'src-'): string[] {
  const args = [`--${prefix}tls-verify=false`];
  if (target.username !== undefined) args.push(`--${prefix}creds`, `${target.username}:${target.password ?? ''}`);
  if (target.certsDir) args.push(`--${prefix}cert-dir`, target.certsDir);
  return args;
}

/**
 * `skopeo copy --all --preserve-digests oci:DIR:TAG docker://HOST/REPO:TAG`; returns the pushed
 * manifest digest (which equals the layout's, since digests are preserved).
 */
export async function pushWithSkopeo(layoutDir: string, tag: string, registry: SkopeoTarget, repoAndTag: string): Promise<string> {
  const digestFile = join(tmpdir(), `seal-skopeo-${randomUUID()}.digest`);
  try {
    await run(await skopeo(), [
      '--insecure-policy',
      'copy',
      '-q',
      '--all',
      '--preserve-digests',
      '--digestfile',
      digestFile,
      ...destArgs(registry),
      `oci:${layoutDir}:${tag}`,
      dockerRef(registry, repoAndTag),
    ]);
    return (await readFile(digestFile, 'utf8')).trim();
  } finally {
    await rm(digestFile, { force: true });
  }
}

/** `skopeo copy --all docker://HOST/REF oci:DIR:TAG` (pull into a layout). */
export async function pullWithSkopeo(registry: SkopeoTarget, ref: string, layoutDir: string, tag = 'latest'): Promise<void> {
  await run(await skopeo(), [
    '--insecure-policy',
    'copy',
    '-q',
    '--all',
    '--preserve-digests',
    ...srcArgs(registry, 'src-'),
    dockerRef(registry, ref),
    `oci:${layoutDir}:${tag}`,
  ]);
}

/** `skopeo inspect` of a registry image (for an index: the linux/amd64 image). */
export async function inspectWithSkopeo(registry: SkopeoTarget, ref: string): Promise<SkopeoInspect> {
  const { stdout } = await run(await skopeo(), ['inspect', ...srcArgs(registry, ''), dockerRef(registry, ref)]);
  return JSON.parse(stdout) as SkopeoInspect;
}

/** The manifest or index exactly as the registry serves it (`skopeo inspect --raw`). */
export async function rawManifestWithSkopeo(
  registry: SkopeoTarget,
  ref: string,
): Promise<{ bytes: Buffer; digest: string; manifest: Record<string, unknown> }> {
  const { stdout } = await run(await skopeo(), ['inspect', '--raw', ...srcArgs(registry, ''), dockerRef(registry, ref)]);
  const bytes = Buffer.from(stdout);
  return { bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, manifest: JSON.parse(stdout) };
}

/** `skopeo inspect oci:DIR:TAG`: proves a layout is well formed. */
export async function inspectLayoutWithSkopeo(layoutDir: string, tag: string): Promise<SkopeoInspect> {
  const { stdout } = await run(await skopeo(), ['inspect', `oci:${layoutDir}:${tag}`]);
  return JSON.parse(stdout) as SkopeoInspect;
}
