// Issue 9 item 10: `seal clean` never deletes a manifest another tag still points to. One SBOM
// attached to images A and B used to be one `.sbom` manifest behind two tags; distribution 2.8
// cannot delete a tag, so seal deleted the manifest by digest and B's SBOM was gone. Against
// the real CNCF distribution registry of the harness. The commands run in this process (what a
// process adds, that `clean` exits when done, is cosign-corpus.test.ts's).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLog } from '../../src/log.ts';
import { copyImage } from '../../src/oci/copy.ts';
import { parseReference } from '../../src/oci/reference.ts';
import { openStore } from '../../src/oci/open-store.ts';
import { makeImageLayout, registryInstalled, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess } from '../helpers/in-process.ts';

const skip = registryInstalled() ? false : 'docker-registry not installed: apt-get install -y docker-registry';

let reg: RunningRegistry;
let dir: string;
let sbom: string;
const SBOM = JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'shared', packages: [] });

/** Two images (v1, v2) in one repository: their attachments live side by side in it. */
async function push(repo: string, name: string): Promise<string> {
  const layout = await makeImageLayout(join(dir, `${repo}-${name}`), { tag: name });
  const src = await openStore(parseReference(`oci:${layout.dir}`), { env: {}, log: silentLog });
  const dst = await openStore(parseReference(`${reg.host}/team/${repo}`), { env: { HOME: dir }, log: silentLog, allowHttp: true });
  await copyImage(src, dst, layout.tag);
  return `${reg.host}/team/${repo}@${layout.digest}`;
}

/** The digest behind an image's `.sbom` tag; undefined when the tag is gone. */
async function sbomManifest(ref: string): Promise<string | undefined> {
  const [repo, digest] = ref.split('@') as [string, string];
  const store = await openStore(parseReference(repo), { env: { HOME: dir }, log: silentLog, allowHttp: true });
  const m = await store.getManifest(`${digest.replace(':', '-')}.sbom`);
  return m?.digest;
}

const env = () => ({ HOME: dir, DOCKER_CONFIG: join(dir, 'docker') });
const seal = (args: string[], o: { env: Record<string, string> }) => runCliInProcess(args, o);

describe('seal clean and shared attachment manifests (item 10)', { skip }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'seal-hostile-clean-'));
    sbom = join(dir, 'sbom.spdx.json');
    writeFileSync(sbom, SBOM);
    reg = await startRegistry('plain');
  });
  after(async () => {
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one SBOM manifest behind the .sbom tags of v1 and v2 (as cosign writes it): clean v1 keeps v2', async () => {
    const v1 = await push('app', 'v1');
    const v2 = await push('app', 'v2');
    // Docker media types carry no annotations: the manifest is the same for both images, as cosign's is.
    for (const ref of [v1, v2]) {
      const r = await seal(['attach', 'sbom', '--sbom', sbom, ref], { env: { ...env(), SEAL_DOCKER_MEDIA_TYPES: '1' } });
      assert.equal(r.code, 0, r.stderr);
    }
    const shared = await sbomManifest(v1);
    assert.ok(shared);
    assert.equal(await sbomManifest(v2), shared, 'one manifest behind both tags');
    const c = await seal(['clean', '--type', 'sbom', '--yes', v1], { env: env() });
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await sbomManifest(v1), undefined, "v1's .sbom tag is gone");
    assert.equal(await sbomManifest(v2), shared, "v2's is still there");
    const d = await seal(['download', 'sbom', v2], { env: env() });
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, SBOM);
    // Cleaning v2 too removes the manifest itself: nothing names it any more.
    assert.equal((await seal(['clean', '--type', 'sbom', '--yes', v2], { env: env() })).code, 0);
    assert.equal(await sbomManifest(v2), undefined);
    const store = await openStore(parseReference(`${reg.host}/team/app`), { env: { HOME: dir }, log: silentLog, allowHttp: true });
    assert.equal(await store.getManifest(shared), null, 'the manifest was deleted once unreferenced');
  });

  it('seal attach sbom writes a manifest of its own for each image (an annotation names the subject)', async () => {
    const v1 = await push('own', 'v1');
    const v2 = await push('own', 'v2');
    for (const ref of [v1, v2]) assert.equal((await seal(['attach', 'sbom', '--sbom', sbom, ref], { env: env() })).code, 0);
    const [m1, m2] = [await sbomManifest(v1), await sbomManifest(v2)];
    assert.ok(m1 && m2);
    assert.notEqual(m1, m2);
    assert.equal((await seal(['clean', '--type', 'sbom', '--yes', v1], { env: env() })).code, 0);
    assert.equal(await sbomManifest(v1), undefined);
    assert.equal(await sbomManifest(v2), m2);
    assert.equal((await seal(['download', 'sbom', v2], { env: env() })).stdout, SBOM);
  });
});
