// attest / verify-attestation / SBOMs / report end to end on OCI layouts, through the CLI run in this process.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { runCliInProcess as runCli } from '../helpers/in-process.ts';
import { workspace } from '../helpers/workspace.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const testDir = new URL('../fixtures/cosign/', import.meta.url).pathname;

const { dir: work, key, pub, keys } = await workspace('seal-att-', ['key', 'other']);
const otherKey = keys.other!.key;

async function image(name: string): Promise<string> {
  const img = await makeImageLayout(path.join(work, name));
  return `oci:${img.dir}:latest`;
}

for (const format of ['legacy', 'bundle'] as const) {
  describe(`vuln attestations and the gate (${format})`, () => {
    let ref: string;
    before(async () => {
      ref = await image(`vuln-${format}`);
      const a = await runCli(['attest', '--key', key, '--format', format, '--type', 'vuln', '--predicate', `${fixtures}grype/python-debian.json`, ref]);
      assert.equal(a.code, 0, a.stderr);
      assert.match(a.stderr, /scan times from the scan report itself/);
    });

    test('verify-attestation prints the verified DSSE envelope as cosign does; -o statements the statement', async () => {
      const r = await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', ref]);
      assert.equal(r.code, 0, r.stderr);
      // cosign's stdout: one envelope JSON per line, so `jq -r .payload | base64 -d` gives the statement.
      const env = JSON.parse(r.stdout.trim().split('\n')[0]!);
      assert.equal(env.payloadType, 'application/vnd.in-toto+json');
      assert.equal(env.signatures.length, 1);
      assert.deepEqual(Object.keys(env).sort(), ['payload', 'payloadType', 'signatures']);
      const decoded = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
      const s = await runCli(['verify-attestation', '--key', pub, '--type', 'vuln', '-o', 'statements', ref]);
      assert.equal(s.code, 0, s.stderr);
      const st = JSON.parse(s.stdout.trim().split('\n')[0]!);
      assert.deepEqual(st, decoded);
      assert.equal(st.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
      assert.equal(st.predicate.scanner.uri, 'https://github.com/anchore/grype');
    });

    test('the gate fails on severity (exit 14) and names the CVEs', async () => {
      const r = await runCli(['verify-attestation', '--key', pub, '--max-severity', 'high', ref]);
      assert.equal(r.code, 14, r.stderr);
      assert.match(r.stderr, /CVE-\d{4}-\d+ \(critical/);
    });

    test('the gate fails on age, and passes with a fresh scan time', async () => {
      const old = await runCli(['verify-attestation', '--key', pub, '--max-age', '14d', ref]);
      assert.equal(old.code, 14, old.stderr);
      assert.match(old.stderr, /older than|days old/);
      const fresh = await image(`fresh-${format}`);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      assert.equal(
        (
          await runCli([
            'attest',
            '--key',
            key,
            '--format',
            format,
            '--type',
            'vuln',
            '--scan-finished',
            now,
            '--predicate',
            `${fixtures}grype/alpine-one-high.json`,
            fresh,
          ])
        ).code,
        0,
      );
      const ok = await runCli(['verify-attestation', '--key', pub, '--max-age', '14d', '--max-severity', 'high', fresh]);
      assert.equal(ok.code, 0, ok.stderr);
    });

    test('attestations by another key are ignored with a message', async () => {
      const other = await image(`other-${format}`);
      assert.equal(
        (await runCli(['attest', '--key', otherKey, '--format', format, '--type', 'vuln', '--predicate', `${fixtures}grype/alpine-one-high.json`, other])).code,
        0,
      );
      const r = await runCli(['verify-attestation', '--key', pub, other]);
      assert.equal(r.code, 12, r.stderr);
      assert.match(r.stderr, /ignored 1 attestation/);
    });

    test('--replace keeps one attestation per predicate type', async () => {
      const img = await image(`replace-${format}`);
      for (let i = 0; i < 2; i++) {
        assert.equal(
          (await runCli(['attest', '--key', key, '--format', format, '--type', 'vuln', '--predicate', `${fixtures}grype/alpine-one-high.json`, img])).code,
          0,
        );
      }
      assert.equal(
        (
          await runCli([
            'attest',
            '--key',
            key,
            '--format',
            format,
            '--predicate',
            `${fixtures}grype/alpine-one-high.json`,
            '--type',
            'https://example.com/custom/v1',
            img,
          ])
        ).code,
        0,
      );
      const r1 = await runCli(['verify-attestation', '--key', pub, '-o', 'json', img]);
      assert.equal(JSON.parse(r1.stdout)[0].statements.length, 3);
      assert.equal(
        (await runCli(['attest', '--key', key, '--format', format, '--replace', '--type', 'vuln', '--predicate', `${fixtures}grype/alpine-one-high.json`, img]))
          .code,
        0,
      );
      const r2 = await runCli(['verify-attestation', '--key', pub, '-o', 'json', img]);
      const types = JSON.parse(r2.stdout)[0]
        .statements.map((s: { predicateType: string }) => s.predicateType)
        .sort();
      assert.deepEqual(types, ['https://cosign.sigstore.dev/attestation/vuln/v1', 'https://example.com/custom/v1']);
    });

    test('download attestation lists the stored envelope or bundle, filtered by predicate type', async () => {
      const all = await runCli(['download', 'attestation', '--predicate-type', 'vuln', ref]);
      assert.equal(all.code, 0, all.stderr);
      assert.equal(all.stdout.trim().split('\n').length, 1);
      assert.ok(JSON.parse(all.stdout)[format === 'bundle' ? 'dsseEnvelope' : 'payloadType']);
      assert.equal((await runCli(['download', 'attestation', '--predicate-type', 'spdxjson', ref])).code, 10);
    });

    test('report shows findings by severity from the verified scan', async () => {
      const r = await runCli(['report', '--key', pub, '--format', 'json', ref]);
      assert.equal(r.code, 0, r.stderr);
      const model = JSON.parse(r.stdout);
      assert.ok(model.images[0].counts.critical >= 1);
    });
  });
}

test('a changed envelope fails verification', async () => {
  const ref = await image('tamper');
  assert.equal((await runCli(['attest', '--key', key, '--type', 'vuln', '--predicate', `${fixtures}grype/alpine-one-high.json`, ref])).code, 0);
  // Rewrite the payload of the stored envelope (and its blob name, so the layout stays consistent).
  const dir = ref.slice(4, -':latest'.length);
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8'));
  const att = index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.['org.opencontainers.image.ref.name']?.endsWith('.att'));
  const manifest = JSON.parse(await readFile(path.join(dir, 'blobs', 'sha256', att.digest.slice(7)), 'utf8'));
  const layer = manifest.layers[0];
  const env = JSON.parse(await readFile(path.join(dir, 'blobs', 'sha256', layer.digest.slice(7)), 'utf8'));
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString());
  st.predicate.scanner.result.matches = [];
  env.payload = Buffer.from(JSON.stringify(st)).toString('base64');
  const bytes = Buffer.from(JSON.stringify(env));
  const { createHash } = await import('node:crypto');
  const hex = createHash('sha256').update(bytes).digest('hex');
  await writeFile(path.join(dir, 'blobs', 'sha256', hex), bytes);
  layer.digest = `sha256:${hex}`;
  layer.size = bytes.length;
  const mbytes = Buffer.from(JSON.stringify(manifest));
  const mhex = createHash('sha256').update(mbytes).digest('hex');
  await writeFile(path.join(dir, 'blobs', 'sha256', mhex), mbytes);
  att.digest = `sha256:${mhex}`;
  att.size = mbytes.length;
  await writeFile(path.join(dir, 'index.json'), JSON.stringify(index));
  const r = await runCli(['verify-attestation', '--key', pub, ref]);
  assert.equal(r.code, 12, r.stderr);
});

describe('SBOMs', () => {
  const cases = [
    ['spdx', 'bom-go-mod.spdx', 'text/spdx'],
    ['spdxjson', 'bom-go-mod.spdx.json', 'text/spdx+json'],
    ['cyclonedx', 'bom-go-mod.cyclonedx.json', 'application/vnd.cyclonedx+json'],
  ] as const;
  for (const [name, file, mediaType] of cases) {
    test(`${name}: attach then download gives the identical bytes`, async () => {
      const ref = await image(`sbom-${name}`);
      const a = await runCli(['attach', 'sbom', '--sbom', `${testDir}sbom/${file}`, ref]);
      assert.equal(a.code, 0, a.stderr);
      const out = path.join(work, `${name}.out`);
      const d = await runCli(['download', 'sbom', '--output-file', out, ref]);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stderr, new RegExp(mediaType.replace(/[+.]/g, '\\$&')));
      assert.deepEqual(await readFile(out), await readFile(`${testDir}sbom/${file}`));
    });
  }

  const samples = new URL('../unit/sbom/samples/', import.meta.url).pathname;
  for (const [file, mediaType] of [
    ['app.syft.json', 'application/vnd.syft+json'],
    ['app.cdx.xml', 'application/vnd.cyclonedx+xml'],
  ] as const) {
    test(`${file}: attach then download gives the identical bytes (${mediaType})`, async () => {
      const ref = await image(`sbom-${file}`);
      assert.equal((await runCli(['attach', 'sbom', '--sbom', `${samples}${file}`, ref])).code, 0);
      const d = await runCli(['download', 'sbom', ref]);
      assert.equal(d.code, 0, d.stderr);
      assert.ok(d.stderr.includes(mediaType), d.stderr);
      assert.equal(d.stdout, await readFile(`${samples}${file}`, 'utf8'));
    });
  }

  test('an attested SBOM is found by download sbom, which says where it came from', async () => {
    const ref = await image('sbom-attested');
    assert.equal((await runCli(['attest', '--key', key, '--type', 'cyclonedx', '--predicate', `${testDir}sbom/bom-go-mod.cyclonedx.json`, ref])).code, 0);
    const d = await runCli(['download', 'sbom', ref]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stderr, /attestation/);
    assert.deepEqual(JSON.parse(d.stdout), JSON.parse(await readFile(`${testDir}sbom/bom-go-mod.cyclonedx.json`, 'utf8')));
  });

  test('no SBOM: exit 10', async () => {
    assert.equal((await runCli(['download', 'sbom', await image('sbom-none')])).code, 10);
  });
});
