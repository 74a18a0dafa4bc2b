// seal save / seal load (cosign's names) through the real registry: an image signed in both
// formats and attested goes to a layout directory and back, and still verifies; a layout in
// cosign save's shape (kind annotations, no tags) loads with its signatures.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImageLayout, pushWithSkopeo, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { workspace } from '../helpers/workspace.ts';
import { runInProcess } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';

const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
const { dir: work, key, pub } = await workspace('seal-saveload-');
let reg: RunningRegistry;
let src: string;

const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
const verifyJson = async (ref: string) => {
  const v = await runInProcess(['verify', '--key', pub, '-o', 'json', ref]);
  assert.equal(v.code, 0, v.stderr);
  return JSON.parse(v.stdout)[0] as { digest: string; signatures: { format: string; verified: boolean }[] };
};

before(async () => {
  reg = await startRegistry('plain');
  const img = await makeImageLayout(path.join(work, 'src'));
  await pushWithSkopeo(img.dir, 'latest', reg, 'app:1.0');
  src = `${reg.host}/app:1.0`;
  ok(await runInProcess(['sign', '--key', key, src]), 'sign legacy');
  ok(await runInProcess(['sign', '--key', key, '--format', 'bundle', src]), 'sign bundle');
  ok(await runInProcess(['attest', '--key', key, '--type', 'vuln', '--predicate', scan, src]), 'attest');
});
after(async () => {
  await reg?.stop();
});

describe('seal save / seal load', () => {
  test('save writes the image under its tag with both signatures and the attestation; it verifies from the layout', async () => {
    const dir = path.join(work, 'saved');
    ok(await runInProcess(['save', '--dir', dir, src]), 'save');
    const report = await verifyJson(`oci:${dir}:1.0`);
    assert.deepEqual(report.signatures.map((s) => [s.format, s.verified]).sort(), [
      ['bundle', true],
      ['legacy', true],
    ]);
    ok(await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', `oci:${dir}:1.0`]), 'verify-attestation from the layout');
  });

  test('load puts it into another repository, where everything verifies under the same digest', async () => {
    const dir = path.join(work, 'saved');
    ok(await runInProcess(['load', '--dir', dir, `${reg.host}/mirror/app:1.0`]), 'load');
    const there = await verifyJson(`${reg.host}/mirror/app:1.0`);
    const here = await verifyJson(src);
    assert.equal(there.digest, here.digest);
    assert.equal(there.signatures.filter((s) => s.verified).length, 2);
    ok(await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', `${reg.host}/mirror/app:1.0`]), 'verify-attestation');
  });

  test("a layout in cosign save's shape (kind annotations, no tags) loads with its .sig image", async () => {
    const dir = path.join(work, 'cosign-shaped');
    ok(await runInProcess(['save', '--dir', dir, src]), 'save');
    const indexPath = path.join(dir, 'index.json');
    const index = JSON.parse(await readFile(indexPath, 'utf8'));
    const digest = (await verifyJson(src)).digest;
    const sigTag = `${digest.replace(':', '-')}.sig`;
    index.manifests = index.manifests
      .filter((m: { annotations?: Record<string, string> }) => ['1.0', sigTag].includes(m.annotations?.['org.opencontainers.image.ref.name'] ?? ''))
      .map((m: { annotations: Record<string, string> }) => ({
        ...m,
        annotations: {
          kind: m.annotations['org.opencontainers.image.ref.name'] === '1.0' ? 'dev.cosignproject.cosign/image' : 'dev.cosignproject.cosign/sigs',
        },
      }));
    assert.equal(index.manifests.length, 2);
    await writeFile(indexPath, JSON.stringify(index));
    ok(await runInProcess(['load', '--dir', dir, `${reg.host}/from-cosign/app:1.0`]), 'load');
    const there = await verifyJson(`${reg.host}/from-cosign/app:1.0`);
    assert.equal(there.digest, digest);
    assert.deepEqual(
      there.signatures.map((s) => [s.format, s.verified]),
      [['legacy', true]],
    );
  });

  test('load of a layout with several images, or of a directory that is no layout: one line, no stack', async () => {
    const dir = path.join(work, 'two');
    ok(await runInProcess(['save', '--dir', dir, src]), 'save 1');
    ok(await runInProcess(['copy', src, `oci:${dir}:other`]), 'second tag');
    const many = await runInProcess(['load', '--dir', dir, `${reg.host}/x:1`]);
    assert.equal(many.code, 2);
    assert.match(many.stderr, /holds several images \(tags 1\.0, other\).*seal copy oci:/s);
    const none = await runInProcess(['load', '--dir', work, `${reg.host}/x:1`]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /is not an OCI layout: no index\.json; give the directory/);
    assert.doesNotMatch(none.stderr, /ENOENT/);
    // A file where the directory belongs (qa).
    const file = path.join(work, 'not-a-dir');
    await writeFile(file, 'x');
    const notDir = await runInProcess(['load', '--dir', file, `${reg.host}/x:1`]);
    assert.equal(notDir.code, 1);
    assert.equal(notDir.stderr, `Error: ${file} is not an OCI layout: not a directory; give the directory seal save or cosign save wrote\n`);
    assert.doesNotMatch(none.stderr + many.stderr, /\n\s+at /);
  });

  test('save and load require --dir (usage error, exit 2)', async () => {
    assert.equal((await runInProcess(['save', src])).code, 2);
    assert.equal((await runInProcess(['load', `${reg.host}/x:1`])).code, 2);
  });
});
