// SEAL_DOCKER_MEDIA_TYPES / COSIGN_DOCKER_MEDIA_TYPES: new `.sig`/`.sbom` images get Docker v2
// media types for registries that refuse OCI manifests; existing images keep theirs.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { runCommand } from '../helpers/run-cli.ts';
import { wantsDockerMediaTypes } from '../../src/oci/store.ts';
import { pushImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let reg: RunningRegistry;

const { dir: work, key, pub } = await workspace('seal-dockertypes-');
before(async () => {
  reg = await startRegistry('plain');
});
after(() => reg?.stop());

/** The raw manifest under `tag` as skopeo reads it (an independent reader). */
async function rawManifest(repo: string, tag: string): Promise<{ mediaType: string; config: { mediaType: string } }> {
  const r = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/${repo}:${tag}`]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function sigTag(ref: string, type = 'signature'): Promise<string> {
  const t = await runCli(['triangulate', '--type', type, ref]);
  assert.equal(t.code, 0, t.stderr);
  return t.stdout.trim().split(':').pop()!;
}

describe('Docker media types for signature images', () => {
  test('the switch reads as cosign reads it; SEAL_ wins over COSIGN_', () => {
    for (const v of ['1', 'true', 'TRUE', 'yes']) assert.equal(wantsDockerMediaTypes({ COSIGN_DOCKER_MEDIA_TYPES: v }), true, v);
    for (const v of ['', '0', 'false', 'no']) assert.equal(wantsDockerMediaTypes({ COSIGN_DOCKER_MEDIA_TYPES: v }), false, v);
    assert.equal(wantsDockerMediaTypes({ SEAL_DOCKER_MEDIA_TYPES: '0', COSIGN_DOCKER_MEDIA_TYPES: '1' }), false);
    assert.equal(wantsDockerMediaTypes({}), false);
  });

  test('a new .sig image is Docker v2 with the switch; a later signature keeps its types; both verify', async () => {
    const ref = (await pushImage(reg, work, 'dockersig')).ref;
    const s1 = await runCli(['sign', '--key', key, '-a', 'n=1', ref], { env: { COSIGN_DOCKER_MEDIA_TYPES: '1' } });
    assert.equal(s1.code, 0, s1.stderr);
    const tag = await sigTag(ref);
    let m = await rawManifest('dockersig', tag);
    assert.equal(m.mediaType, DOCKER_MANIFEST);
    assert.equal(m.config.mediaType, DOCKER_CONFIG);
    // Without the switch the existing image's types are kept, as cosign appends.
    const s2 = await runCli(['sign', '--key', key, '-a', 'n=2', ref]);
    assert.equal(s2.code, 0, s2.stderr);
    m = await rawManifest('dockersig', tag);
    assert.equal(m.mediaType, DOCKER_MANIFEST);
    const v = await runCli(['verify', '--key', pub, '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures.filter((x: { verified: boolean }) => x.verified).length, 2);
  });

  test('without the switch a new .sig image is OCI', async () => {
    const ref = (await pushImage(reg, work, 'ocisig')).ref;
    assert.equal((await runCli(['sign', '--key', key, ref], { env: { SEAL_DOCKER_MEDIA_TYPES: 'false', COSIGN_DOCKER_MEDIA_TYPES: '1' } })).code, 0);
    assert.equal((await rawManifest('ocisig', await sigTag(ref))).mediaType, OCI_MANIFEST);
  });

  test('attach sbom uses the switch too, and download sbom returns the same bytes', async () => {
    const ref = (await pushImage(reg, work, 'dockersbom')).ref;
    const sbom = path.join(work, 'sbom.spdx.json');
    const bytes = JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', packages: [] });
    await writeFile(sbom, bytes);
    const a = await runCli(['attach', 'sbom', '--sbom', sbom, ref], { env: { SEAL_DOCKER_MEDIA_TYPES: '1' } });
    assert.equal(a.code, 0, a.stderr);
    assert.equal((await rawManifest('dockersbom', await sigTag(ref, 'sbom'))).mediaType, DOCKER_MANIFEST);
    const d = await runCli(['download', 'sbom', ref]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, bytes);
  });
});
