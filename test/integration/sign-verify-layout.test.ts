// seal sign / verify / download / tree / clean end to end on OCI layouts (the embedded default),
// with the CLI run in this process (test/helpers/in-process.ts); a few real processes sign at once.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { makeImageLayout, makeIndexLayout } from '../harness/index.ts';
import { runCliInProcess as seal } from '../helpers/in-process.ts';
import { runCli } from '../helpers/run-cli.ts';
import { workspace } from '../helpers/workspace.ts';

const { dir: work, key, pub, keys } = await workspace('seal-e2e-', ['key', 'other']);
const otherPub = keys.other!.pub;

for (const format of ['legacy', 'bundle'] as const) {
  describe(`${format} format on an OCI layout`, () => {
    let ref: string;
    let digest: string;
    before(async () => {
      const img = await makeImageLayout(path.join(work, `img-${format}`));
      ref = `oci:${img.dir}:latest`;
      digest = img.digest;
    });

    test('an unsigned image exits 10', async () => {
      const r = await seal(['verify', '--key', pub, ref]);
      assert.equal(r.code, 10, r.stderr);
      assert.match(r.stderr, /no signatures found/);
    });

    test('sign then verify succeeds and reports the digest', async () => {
      const s = await seal(['sign', '--key', key, '--format', format, '-a', 'env=prod', ref]);
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, new RegExp(`Resolved .* to .*${digest}`));
      const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
      assert.equal(v.code, 0, v.stderr);
      const [report] = JSON.parse(v.stdout);
      assert.equal(report.digest, digest);
      assert.equal(report.verified, true);
      assert.equal(report.signatures.filter((s: { format: string; verified: boolean }) => s.format === format && s.verified).length, 1);
    });

    test('a required annotation must be signed', async () => {
      assert.equal((await seal(['verify', '--key', pub, '-a', 'env=prod', ref])).code, 0);
      const r = await seal(['verify', '--key', pub, '-a', 'env=dev', ref]);
      assert.equal(r.code, 12, r.stderr);
      assert.match(r.stderr, /annotation env=dev/);
    });

    test('another key finds no matching signature (exit 12)', async () => {
      const r = await seal(['verify', '--key', otherPub, ref]);
      assert.equal(r.code, 12, r.stderr);
    });

    test('a signature copied from another image does not verify', async () => {
      const other = await makeImageLayout(path.join(work, `other-${format}`));
      const otherRef = `oci:${other.dir}:latest`;
      assert.equal((await seal(['sign', '--key', key, '--format', format, otherRef])).code, 0);
      // Put the other image's signature manifest under a third image's signature tag.
      const src = format === 'legacy' ? `sha256-${other.digest.slice(7)}.sig` : `sha256-${other.digest.slice(7)}`;
      const img2 = await makeImageLayout(path.join(work, `victim-${format}`));
      const victimIndex = JSON.parse(await readFile(path.join(img2.dir, 'index.json'), 'utf8'));
      const otherIndex = JSON.parse(await readFile(path.join(other.dir, 'index.json'), 'utf8'));
      const entry = otherIndex.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name'] === src);
      assert.ok(entry, 'signature entry present in the other layout');
      victimIndex.manifests.push({
        ...entry,
        annotations: { 'org.opencontainers.image.ref.name': `sha256-${img2.digest.slice(7)}${format === 'legacy' ? '.sig' : ''}` },
      });
      await writeFile(path.join(img2.dir, 'index.json'), JSON.stringify(victimIndex));
      execFileSync('cp', ['-rn', path.join(other.dir, 'blobs', 'sha256') + '/.', path.join(img2.dir, 'blobs', 'sha256')]);
      const r = await seal(['verify', '--key', pub, `oci:${img2.dir}:latest`]);
      assert.notEqual(r.code, 0, 'a copied signature must not verify');
      assert.ok(r.code === 12 || r.code === 10, `exit ${r.code}: ${r.stderr}`);
    });
  });
}

describe('both formats together', () => {
  test('verify counts signatures of both generations; download, tree and clean see them', async () => {
    const img = await makeImageLayout(path.join(work, 'both'));
    const ref = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, '--format', 'legacy', ref])).code, 0);
    assert.equal((await seal(['sign', '--key', key, '--format', 'bundle', ref])).code, 0);
    const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].signatures.length, 2);
    const d = await seal(['download', 'signature', ref]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout.trim().split('\n').length, 2);
    const t = await seal(['tree', '-o', 'json', ref]);
    assert.deepEqual(
      JSON.parse(t.stdout)
        .entries.map((e: { kind: string }) => e.kind)
        .sort(),
      ['referrer', 'signatures'],
    );
    const tri = await seal(['triangulate', ref]);
    assert.equal(tri.stdout.trim(), `oci:${img.dir}:sha256-${img.digest.slice(7)}.sig`);
    const c = await seal(['clean', '--type', 'signature', '--yes', ref]);
    assert.equal(c.code, 0, c.stderr);
    const after = await seal(['verify', '--key', pub, ref]);
    assert.equal(after.code, 10, after.stderr);
    // The image itself is still there and still resolves.
    assert.equal((await seal(['triangulate', '--type', 'digest', ref])).stdout.trim(), `oci:${img.dir}@${img.digest}`);
  });

  test('clean without --yes and without a terminal refuses (exit 2) and removes nothing', async () => {
    const img = await makeImageLayout(path.join(work, 'noclean'));
    const ref = `oci:${img.dir}:latest`;
    assert.equal((await seal(['sign', '--key', key, ref])).code, 0);
    const c = await seal(['clean', ref]);
    assert.equal(c.code, 2);
    assert.equal((await seal(['verify', '--key', pub, ref])).code, 0);
  });

  test('--recursive signs the index and every platform manifest', async () => {
    const idx = await makeIndexLayout(path.join(work, 'index'));
    const ref = `oci:${idx.dir}:latest`;
    const s = await seal(['sign', '--key', key, '-r', '-o', 'json', ref]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).length, 3);
    for (const child of idx.children) {
      const v = await seal(['verify', '--key', pub, `oci:${idx.dir}@${child.digest}`]);
      assert.equal(v.code, 0, v.stderr);
    }
  });

  // Concurrent signers meet at the layout's index.json lock (a file, so threads of one process and
  // separate processes contend alike): 16 in this process, and 4 real processes as a smoke test.
  for (const [how, n] of [
    ['in-process', 16],
    ['processes', 4],
  ] as const) {
    test(`${n} concurrent seal sign runs (${how}) leave ${n} verifiable signatures, in both formats`, async () => {
      const run = how === 'processes' ? runCli : seal;
      for (const format of ['legacy', 'bundle']) {
        const img = await makeImageLayout(path.join(work, `conc-${how}-${format}`));
        const ref = `oci:${img.dir}:latest`;
        const runs = await Promise.all(Array.from({ length: n }, (_, i) => run(['sign', '--key', key, '--format', format, '-a', `n=${i}`, ref])));
        for (const r of runs) assert.equal(r.code, 0, r.stderr);
        const v = await seal(['verify', '--key', pub, '-o', 'json', ref]);
        const sigs = JSON.parse(v.stdout)[0].signatures.filter((s: { verified: boolean }) => s.verified);
        assert.equal(sigs.length, n, `${format}: ${sigs.length} of ${n} signatures survived`);
      }
    });
  }
});

test('a missing image exits 11 and a bad reference exits 2', async () => {
  assert.equal((await seal(['verify', '--key', pub, `oci:${work}/does-not-exist:latest`])).code, 11);
  assert.equal((await seal(['verify', '--key', pub, 'Bad//Ref'])).code, 2);
});
