// What scripts parse: seal verify prints cosign's JSON array of verified payloads (README of
// sigstore/cosign, "cosign verify --key cosign.pub localhost:5000/tcpconnect:test"), and
// verify-attestation one DSSE envelope per line; the human lines go to stderr. Several signatures
// by one key over one payload are told apart. In process, on OCI layouts: no network.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { runInProcess } from '../helpers/in-process.ts';
import { makeOpensslKeyPair } from '../helpers/keys.ts';
import { workspace } from '../helpers/workspace.ts';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;

const { dir: work, key, pub } = await workspace('seal-cosign-out-');

async function image(name: string): Promise<{ ref: string; dir: string; digest: string }> {
  const img = await makeImageLayout(path.join(work, name));
  return { ref: `oci:${img.dir}:latest`, dir: img.dir, digest: img.digest };
}

// cosign's README shows this line for `cosign verify --key cosign.pub localhost:5000/tcpconnect:test`.
const COSIGN_README =
  '[{"critical":{"identity":{"docker-reference":"localhost:5000/tcpconnect"},"image":{"docker-manifest-digest":"sha256:7a91c50d922925f152fec96ed1d84b7bc6b2079c169d68826f6cf307f22d40e6"},"type":"cosign container image signature"},"optional":null}]';

describe('seal verify stdout', () => {
  test("is cosign's JSON array, on one line, key order as cosign; the checks go to stderr", async () => {
    const img = await image('plain');
    assert.equal((await runInProcess(['sign', '--key', key, img.ref])).code, 0);
    const v = await runInProcess(['verify', '--key', pub, img.ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.split('\n').length, 2, 'one line and a newline');
    const expected = COSIGN_README.replace('localhost:5000/tcpconnect', `oci:${img.dir}`).replace(/sha256:7a91[0-9a-f]+/, img.digest);
    assert.equal(v.stdout, expected + '\n');
    assert.match(v.stderr, /\nVerification for .* --\nThe following checks were performed on each of these signatures:\n/);
    // jq-style access works as with cosign.
    assert.equal(JSON.parse(v.stdout)[0].critical.image['docker-manifest-digest'], img.digest);
    // seal's own outputs stay available.
    const j = await runInProcess(['verify', '--key', pub, '-o', 'json', img.ref]);
    assert.equal(JSON.parse(j.stdout)[0].signatures[0].verified, true);
    const t = await runInProcess(['verify', '--key', pub, '-o', 'text', img.ref]);
    assert.match(t.stdout, /: 1 of 1 signature\(s\) verified\n$/);
  });

  test('annotations land in optional with sorted keys; nothing on stdout when verification fails', async () => {
    const img = await image('annotated');
    assert.equal((await runInProcess(['sign', '--key', key, '-a', 'zeta=1', '-a', 'alpha=<&>', img.ref])).code, 0);
    const v = await runInProcess(['verify', '--key', pub, '-a', 'zeta=1', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /"optional":\{"alpha":"\\u003c\\u0026\\u003e","zeta":"1"\}\}\]\n$/);
    const other = makeOpensslKeyPair(work, 'other');
    const bad = await runInProcess(['verify', '--key', other.pub, img.ref]);
    assert.equal(bad.code, 12);
    assert.equal(bad.stdout, '');
  });

  test('two signatures by one key over one payload are told apart in verify and tree', async () => {
    const img = await image('twice');
    for (let i = 0; i < 2; i++) assert.equal((await runInProcess(['sign', '--key', key, img.ref])).code, 0);
    const v = await runInProcess(['verify', '--key', pub, '-o', 'json', img.ref]);
    const sigs = JSON.parse(v.stdout)[0].signatures as { id: string; layer: number; signatureDigest: string }[];
    assert.equal(sigs.length, 2);
    assert.equal(sigs[0]!.id, sigs[1]!.id, 'the same payload layer');
    assert.notEqual(sigs[0]!.signatureDigest, sigs[1]!.signatureDigest);
    assert.deepEqual(
      sigs.map((s) => s.layer),
      [0, 1],
    );
    const t = await runInProcess(['tree', img.ref]);
    const lines = t.stdout.split('\n').filter((l) => l.includes('signature sha256:'));
    assert.equal(lines.length, 2);
    assert.equal(new Set(lines.map((l) => l.slice(4))).size, 2, 'no two identical lines');
    const bad = await runInProcess(['verify', '--key', makeOpensslKeyPair(work, 'third').pub, img.ref]);
    const errs = bad.stderr.split('\n').filter((l) => l.includes('layer '));
    assert.equal(errs.length, 2, bad.stderr);
    assert.equal(new Set(errs).size, 2, 'failures name the layer and the signature');
  });
});

describe('seal verify-attestation stdout', () => {
  test('one DSSE envelope per line, as cosign; `jq -r .payload | base64 -d` gives the statement', async () => {
    const img = await image('att');
    const a = await runInProcess(['attest', '--key', key, '--predicate', `${fixtures}grype/alpine-one-high.json`, '--type', 'vuln', img.ref]);
    assert.equal(a.code, 0, a.stderr);
    const v = await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'critical', img.ref]);
    assert.equal(v.code, 0, v.stderr);
    const lines = v.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1);
    const env = JSON.parse(lines[0]!) as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
    assert.equal(env.payloadType, 'application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    assert.equal(statement.predicateType, 'https://cosign.sigstore.dev/attestation/vuln/v1');
    assert.ok(v.stdout.length < 23_000 || Buffer.from(env.payload, 'base64').length > 15_000, 'only the envelope, no report');
    const s = await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', '-o', 'statements', img.ref]);
    assert.deepEqual(JSON.parse(s.stdout.trimEnd().split('\n')[0]!), statement);
    const j = await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'critical', '-o', 'json', img.ref]);
    assert.equal(JSON.parse(j.stdout)[0].gate.ok, true);
  });

  test('a failing gate prints no envelope and exits 14', async () => {
    const img = await image('gate');
    await runInProcess(['attest', '--key', key, '--predicate', `${fixtures}grype/alpine-one-high.json`, '--type', 'vuln', img.ref]);
    const v = await runInProcess(['verify-attestation', '--key', pub, '--type', 'vuln', '--max-severity', 'medium', img.ref]);
    assert.equal(v.code, 14, v.stderr);
    assert.equal(v.stdout, '');
  });
});

describe('global flags', () => {
  test('--output-file gets stdout and is replaced on a re-run; -t bounds the command', async () => {
    const img = await image('outfile');
    await runInProcess(['sign', '--key', key, img.ref]);
    const out = path.join(work, 'verify.json');
    await writeFile(out, 'stale stale stale stale stale stale stale stale stale stale stale stale stale stale stale stale stale stale');
    for (let i = 0; i < 2; i++) {
      const v = await runInProcess(['verify', '--key', pub, '--output-file', out, '-t', '1m', img.ref]);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout, '');
    }
    const { readFile } = await import('node:fs/promises');
    assert.equal(JSON.parse(await readFile(out, 'utf8'))[0].critical.image['docker-manifest-digest'], img.digest);
    const bad = await runInProcess(['verify', '--key', pub, '-t', 'soon', img.ref]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid --timeout "soon"/);
  });

  test('completion bash|zsh|fish print a script for that shell; completion --help prints help', async () => {
    for (const [shell, marker] of [
      ['bash', /complete -o bashdefault .* seal/],
      ['zsh', /^#compdef seal/],
      ['fish', /complete -c seal/],
    ] as const) {
      const r = await runInProcess(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, marker);
    }
    const h = await runInProcess(['completion', '--help']);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /seal completion \[shell\]/);
  });

  test('--max-age -1d says what is wrong with the value', async () => {
    const r = await runInProcess(['verify-attestation', '--key', pub, '--max-age', '-1d', 'oci:/nonexistent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--max-age "-1d".*negative/);
  });
});

describe('cosign flags that broke real scripts, for real', () => {
  test('--attachment-tag-prefix: signatures under PREFIXsha256-<hex>.sig, found again only with the prefix', async () => {
    const img = await image('prefixed');
    const s = await runInProcess(['sign', '--key', key, '--attachment-tag-prefix', 'pre-', img.ref]);
    assert.equal(s.code, 0, s.stderr);
    const { readFile } = await import('node:fs/promises');
    const index = JSON.parse(await readFile(path.join(img.dir, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
    const tags = index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.ok(tags.includes(`pre-${img.digest.replace(':', '-')}.sig`), JSON.stringify(tags));
    assert.equal((await runInProcess(['verify', '--key', pub, '--attachment-tag-prefix', 'pre-', img.ref])).code, 0);
    assert.equal((await runInProcess(['verify', '--key', pub, img.ref])).code, 10, 'without the prefix: no signatures');
    const t = await runInProcess(['triangulate', '--attachment-tag-prefix', 'pre-', img.ref]);
    assert.match(t.stdout, /:pre-sha256-[0-9a-f]{64}\.sig\n$/);
  });

  test('copy --platform copies one platform image; --sig-only only its signatures', async () => {
    const { makeIndexLayout } = await import('../harness/index.ts');
    const idx = await makeIndexLayout(path.join(work, 'index'));
    const src = `oci:${idx.dir}:latest`;
    const arm = idx.children.find((c) => c.platform.architecture === 'arm64')!;
    assert.equal((await runInProcess(['sign', '--key', key, '-r', src])).code, 0);
    const dst = path.join(work, 'arm-only');
    const c = await runInProcess(['copy', '--platform', 'linux/arm64', '--sig-only', src, `oci:${dst}:arm`]);
    assert.equal(c.code, 0, c.stderr);
    const v = await runInProcess(['verify', '--key', pub, `oci:${dst}:arm`]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout)[0].critical.image['docker-manifest-digest'], arm.digest);
    const bad = await runInProcess(['copy', '--platform', 'linux/s390x', src, `oci:${dst}-2:x`]);
    assert.equal(bad.code, 11);
    assert.match(bad.stderr, /has no linux\/s390x image; it has linux\/amd64, linux\/arm64\/v8/);
  });

  test('verify --insecure-ignore-tlog IMAGE verifies IMAGE; --private-infrastructure too', async () => {
    const img = await image('ignoretlog');
    await runInProcess(['sign', '--key', key, img.ref]);
    for (const flag of ['--insecure-ignore-tlog', '--private-infrastructure', '--insecure-ignore-sct', '--experimental-oci11', '--new-bundle-format=false']) {
      const v = await runInProcess(['verify', '--key', pub, flag, img.ref]);
      assert.equal(v.code, 0, `${flag}: ${v.stderr}`);
    }
  });
});

test('attest --no-upload prints the signed envelope and attaches nothing (trivy documents it so)', async () => {
  const img = await image('noupload');
  const a = await runInProcess(['attest', '--key', key, '--predicate', `${fixtures}grype/alpine-one-high.json`, '--type', 'vuln', '--no-upload', img.ref]);
  assert.equal(a.code, 0, a.stderr);
  const env = JSON.parse(a.stdout) as { payloadType: string; payload: string };
  assert.equal(env.payloadType, 'application/vnd.in-toto+json');
  const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  assert.equal(statement.subject[0].digest.sha256, img.digest.slice(7));
  assert.equal((await runInProcess(['verify-attestation', '--key', pub, img.ref])).code, 10, 'nothing attached');
});

test('sign --sign-container-identity: the signed docker-reference is the name given (cosign behind a proxy)', async () => {
  const img = await image('proxied');
  const s = await runInProcess(['sign', '--key', key, '--sign-container-identity', 'registry.example.com/team/app', img.ref]);
  assert.equal(s.code, 0, s.stderr);
  const v = await runInProcess(['verify', '--key', pub, img.ref]);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout)[0].critical.identity['docker-reference'], 'registry.example.com/team/app');
});
