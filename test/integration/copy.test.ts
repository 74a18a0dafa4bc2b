// seal copy against the real CNCF distribution registry (2.8: no referrers API, so bundle
// referrers travel through the tag-schema fallback index) and OCI layouts: after a copy every
// signature, attestation and SBOM still verifies at the destination.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blobPath, makeIndexLayout, pushWithSkopeo, startRegistry, type RunningRegistry } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import type { CliResult } from '../helpers/run-cli.ts';
import { pushImage } from '../helpers/images.ts';
import { workspace } from '../helpers/workspace.ts';

const scan = new URL('../fixtures/grype/alpine-one-high.json', import.meta.url).pathname;
const SBOM = JSON.stringify({
  spdxVersion: 'SPDX-2.3',
  dataLicense: 'CC0-1.0',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'app',
  documentNamespace: 'https://example.com/app',
  creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: test'] },
  packages: [],
});

let reg: RunningRegistry;

const { dir: work, key, pub, keys } = await workspace('seal-copy-', ['key', 'other']);
const { key: otherKey, pub: otherPub } = keys.other!;
const sbomFile = path.join(work, 'sbom.spdx.json');
before(async () => {
  await writeFile(sbomFile, SBOM);
  reg = await startRegistry('plain');
});
after(() => reg?.stop());

const ok = (r: CliResult, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);

/** An image with a legacy signature, a bundle signature, a vuln attestation and an SBOM. */
async function decorated(repo: string): Promise<{ ref: string; digest: string }> {
  const img = await pushImage(reg, work, repo);
  ok(await runCli(['sign', '--key', key, img.ref]), 'sign legacy');
  ok(await runCli(['sign', '--key', key, '--format', 'bundle', img.ref]), 'sign bundle');
  ok(await runCli(['attest', '--key', key, '--type', 'vuln', '--predicate', scan, img.ref]), 'attest');
  ok(await runCli(['attach', 'sbom', '--sbom', sbomFile, img.ref]), 'attach sbom');
  return img;
}

async function signatures(ref: string, pubKey: string): Promise<{ format: string; verified: boolean }[]> {
  const v = await runCli(['verify', '--key', pubKey, '-o', 'json', ref]);
  if (v.code !== 0) return [];
  return JSON.parse(v.stdout)[0].signatures;
}

/** The destination serves everything: both signatures, the attestation and the SBOM bytes. */
async function assertAllVerify(ref: string): Promise<void> {
  const sigs = await signatures(ref, pub);
  assert.deepEqual(
    sigs
      .filter((s) => s.verified)
      .map((s) => s.format)
      .sort(),
    ['bundle', 'legacy'],
    ref,
  );
  ok(await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'high', ref]), `verify-attestation ${ref}`);
  const d = await runCli(['download', 'sbom', ref]);
  ok(d, `download sbom ${ref}`);
  assert.equal(d.stdout, SBOM);
}

interface Report {
  digest: string;
  destination: string;
  counts: Record<string, { entries: number; added: number }>;
  attachments: { kind: string; subject: string }[];
}

async function copy(args: string[]): Promise<Report> {
  const r = await runCli(['copy', '-o', 'json', ...args], { timeoutMs: 300_000 });
  ok(r, `copy ${args.join(' ')}`);
  return JSON.parse(r.stdout) as Report;
}

describe('seal copy', () => {
  test('registry to registry: legacy and bundle signatures, attestation and SBOM verify at the destination; a second copy adds nothing', async () => {
    const src = await decorated('promote/src');
    const report = await copy([src.ref, `${reg.host}/promote/dst`]);
    assert.equal(report.digest, src.digest);
    assert.equal(report.destination, `${reg.host}/promote/dst@${src.digest}`);
    assert.deepEqual(report.counts, {
      sig: { entries: 1, added: 1 },
      att: { entries: 1, added: 1 },
      sbom: { entries: 1, added: 1 },
      referrers: { entries: 1, added: 1 },
    });
    const dst = `${reg.host}/promote/dst:v1`;
    await assertAllVerify(dst);

    const again = await runCli(['copy', '-o', 'json', src.ref, `${reg.host}/promote/dst`]);
    ok(again, 'second copy');
    assert.match(again.stderr, /1 signature layer \(0 new\)/);
    for (const c of Object.values((JSON.parse(again.stdout) as Report).counts)) assert.equal(c.added, 0);
    const tree = JSON.parse((await runCli(['tree', '-o', 'json', dst])).stdout) as { entries: { kind: string; layers: unknown[] }[] };
    assert.deepEqual(tree.entries.map((e) => [e.kind, e.layers.length]).sort(), [
      ['attestations', 1],
      ['referrer', 1],
      ['sboms', 1],
      ['signatures', 1],
    ]);
  });

  test('registry to layout to registry (save and load) keeps everything verifiable', async () => {
    const src = await decorated('roundtrip/src');
    const dir = path.join(work, 'saved');
    await copy([src.ref, `oci:${dir}`]);
    await assertAllVerify(`oci:${dir}:v1`);
    const loaded = await copy([`oci:${dir}:v1`, `${reg.host}/roundtrip/loaded:v2`]);
    assert.equal(loaded.digest, src.digest);
    await assertAllVerify(`${reg.host}/roundtrip/loaded:v2`);
  });

  test("a destination's own signature is kept next to the copied ones; --force replaces the legacy one", async () => {
    const src = await pushImage(reg, work, 'merge/src');
    ok(await runCli(['sign', '--key', key, src.ref]), 'sign source');
    ok(await runCli(['sign', '--key', key, '--format', 'bundle', src.ref]), 'sign source bundle');
    const dst = `${reg.host}/merge/dst:v1`;
    const bare = await copy(['--no-attachments', src.ref, dst]);
    assert.equal(bare.attachments.length, 0);
    assert.equal((await runCli(['verify', '--key', pub, dst])).code, 10);
    ok(await runCli(['sign', '--key', otherKey, dst]), 'sign destination');

    const merged = await copy([src.ref, dst]);
    assert.equal(merged.counts.sig!.added, 1);
    assert.equal((await signatures(dst, pub)).filter((s) => s.verified).length, 2);
    assert.equal((await signatures(dst, otherPub)).filter((s) => s.verified).length, 1);
    const sigTag = JSON.parse((await runCli(['tree', '-o', 'json', dst])).stdout).entries.find((e: { kind: string }) => e.kind === 'signatures');
    assert.equal(sigTag.layers.length, 2);

    await copy(['--force', '--only', 'sig', src.ref, dst]);
    assert.equal((await runCli(['verify', '--key', otherPub, dst])).code, 12);
    assert.equal((await signatures(dst, pub)).filter((s) => s.verified).length, 2);
  });

  test("a tampered signature payload in a saved layout stops the load (exit 3); the destination's signature survives", async () => {
    const src = await pushImage(reg, work, 'tamper/src');
    ok(await runCli(['sign', '--key', key, src.ref]), 'sign');
    const dir = path.join(work, 'tampered');
    await copy([src.ref, `oci:${dir}`]);
    const tree = JSON.parse((await runCli(['tree', '-o', 'json', `oci:${dir}:v1`])).stdout);
    const layer = tree.entries.find((e: { kind: string }) => e.kind === 'signatures').layers[0].digest as string;
    await writeFile(blobPath(dir, layer), '{"critical":{"image":{"docker-manifest-digest":"sha256:0"}}}');

    const dst = `${reg.host}/tamper/dst:v1`;
    await copy(['--no-attachments', `oci:${dir}:v1`, dst]);
    ok(await runCli(['sign', '--key', otherKey, dst]), 'sign destination');
    const r = await runCli(['copy', `oci:${dir}:v1`, dst]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /does not match its digest/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.deepEqual(
      (await signatures(dst, otherPub)).map((s) => s.verified),
      [true],
    );
  });

  test('--only copies the kinds named and no others', async () => {
    const src = await decorated('only/src');
    const dst = `${reg.host}/only/dst:v1`;
    const r = await copy(['--only', 'referrers,sbom', src.ref, dst]);
    assert.deepEqual([...new Set(r.attachments.map((a) => a.kind))].sort(), ['referrers', 'sbom']);
    assert.deepEqual(
      (await signatures(dst, pub)).filter((s) => s.verified).map((s) => s.format),
      ['bundle'],
    );
    assert.equal((await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', dst])).code, 10);
  });

  test("an index: the children's signatures come along (recursive by default), not with --no-recursive", async () => {
    const layout = await makeIndexLayout(path.join(work, 'index'));
    const digest = await pushWithSkopeo(layout.dir, layout.tag, reg, 'multi/src:v1');
    const src = `${reg.host}/multi/src:v1`;
    const child = layout.children[0]!.digest;
    ok(await runCli(['sign', '--key', key, src]), 'sign index');
    ok(await runCli(['sign', '--key', key, '--format', 'bundle', `${reg.host}/multi/src@${child}`]), 'sign child');

    const r = await copy([src, `${reg.host}/multi/dst`]);
    assert.equal(r.digest, digest);
    assert.deepEqual(r.attachments.map((a) => [a.kind, a.subject]).sort(), [
      ['referrers', child],
      ['sig', digest],
    ]);
    ok(await runCli(['verify', '--key', pub, `${reg.host}/multi/dst:v1`]), 'verify index');
    ok(await runCli(['verify', '--key', pub, `${reg.host}/multi/dst@${child}`]), 'verify child');

    const flat = await copy(['--no-recursive', src, `${reg.host}/multi/flat`]);
    assert.deepEqual(
      flat.attachments.map((a) => a.kind),
      ['sig'],
    );
    assert.equal((await runCli(['verify', '--key', pub, `${reg.host}/multi/flat@${child}`])).code, 10);
  });

  test('errors: a missing source (11), a digest in the destination or a bad --only (2); nothing is written', async () => {
    const missing = await runCli(['copy', `${reg.host}/nothing/here:v1`, `${reg.host}/nothing/dst`]);
    assert.equal(missing.code, 11, missing.stderr);
    assert.match(missing.stderr, /not found/);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);

    const src = await pushImage(reg, work, 'errors/src');
    const withDigest = await runCli(['copy', src.ref, `${reg.host}/errors/dst@${src.digest}`]);
    assert.equal(withDigest.code, 2, withDigest.stderr);
    assert.match(withDigest.stderr, /digest/);
    const badOnly = await runCli(['copy', '--only', 'sig,signatures', src.ref, `${reg.host}/errors/dst`]);
    assert.equal(badOnly.code, 2, badOnly.stderr);
    assert.match(badOnly.stderr, /unknown kind "signatures"/);
    const both = await runCli(['copy', '--only', 'sig', '--no-attachments', src.ref, `${reg.host}/errors/dst`]);
    assert.equal(both.code, 2, both.stderr);
    // None of the refused copies wrote the image.
    assert.equal((await runCli(['verify', '--key', pub, `${reg.host}/errors/dst:v1`])).code, 11);
  });
});
