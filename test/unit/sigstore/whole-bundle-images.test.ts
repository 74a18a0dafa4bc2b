// Image verification paths (verify, verify-attestation) with --key check every log entry a
// signature carries (issue 9 item 1): a legacy layer's Rekor bundle annotation is verified against
// the trusted root whether or not --trusted-root is given; a forged one fails the signature (exit
// 12) instead of being skipped; only --insecure-ignore-tlog skips it. In-process, on OCI layouts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { makeImageLayout } from '../../harness/oci-layout.ts';
import { makeOpensslKeyPair } from '../../helpers/keys.ts';
import { sealInProcess } from '../../helpers/in-process.ts';
import { rekorBundleAnnotation, testLog, type EntryOverrides, type TestLog } from './logged-bundles.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';
const BUNDLE = 'dev.sigstore.cosign/bundle';
const SIG = 'dev.cosignproject.cosign/signature';
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

const dir = mkdtempSync(join(tmpdir(), 'seal-whole-images-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const blob = (layout: string, digest: string) => join(layout, 'blobs', ...digest.split(':'));

/** Rewrites the `.sig`/`.att` manifest of `digest` in a layout, its first layer's annotations given the Rekor bundle. */
function annotate(layout: string, digest: string, kind: 'sig' | 'att', annotation: (layerBytes: Buffer, layer: any) => string): void {
  const indexFile = join(layout, 'index.json');
  const index = JSON.parse(readFileSync(indexFile, 'utf8'));
  const entry = index.manifests.find((m: any) => m.annotations?.[REF_NAME] === `${digest.replace(':', '-')}.${kind}`);
  assert.ok(entry, `no .${kind} manifest`);
  const manifest = JSON.parse(readFileSync(blob(layout, entry.digest), 'utf8'));
  const layer = manifest.layers[0];
  layer.annotations[BUNDLE] = annotation(readFileSync(blob(layout, layer.digest)), layer);
  const bytes = Buffer.from(JSON.stringify(manifest));
  entry.digest = `sha256:${sha256(bytes)}`;
  entry.size = bytes.length;
  writeFileSync(blob(layout, entry.digest), bytes);
  writeFileSync(indexFile, JSON.stringify(index));
}

const keys = makeOpensslKeyPair(dir, 'signer');
const pubPem = readFileSync(keys.pub, 'utf8');
const log: TestLog = testLog();
const other = testLog();
const ROOT = join(dir, 'trusted_root.json');
writeFileSync(ROOT, log.trustedRoot);

const sigBody = (payload: Buffer, layer: any) => ({
  apiVersion: '0.0.1',
  kind: 'hashedrekord',
  spec: {
    data: { hash: { algorithm: 'sha256', value: sha256(payload) } },
    signature: { content: layer.annotations[SIG], publicKey: { content: b64(pubPem) } },
  },
});
const attBody = (envelope: Buffer) => {
  const env = JSON.parse(envelope.toString('utf8'));
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256(Buffer.from(env.payload, 'base64')) },
      signatures: [{ signature: env.signatures[0].sig, verifier: b64(pubPem) }],
    },
  };
};

const VARIANTS: [string, EntryOverrides | 'flip-set' | 'edit-time', number][] = [
  ['a genuine entry', {}, 0],
  ['a SET signed by an unknown log', { signer: other.privateKey }, 12],
  [
    'a body for other content under a genuine SET',
    { editBody: (b) => (b.kind === 'dsse' ? (b.spec.payloadHash.value = '0'.repeat(64)) : (b.spec.data.hash.value = '0'.repeat(64))) },
    12,
  ],
  ['an integrated time changed after signing', 'edit-time', 12],
  ['a flipped SET', 'flip-set', 12],
];

function annotation(body: Record<string, any>, v: EntryOverrides | 'flip-set' | 'edit-time'): string {
  const text = rekorBundleAnnotation(log, body, typeof v === 'string' ? {} : v);
  if (typeof v !== 'string') return text;
  const rb = JSON.parse(text);
  if (v === 'edit-time') rb.Payload.integratedTime += 60;
  else {
    const set = Buffer.from(rb.SignedEntryTimestamp, 'base64');
    set[set.length - 1]! ^= 1;
    rb.SignedEntryTimestamp = set.toString('base64');
  }
  return JSON.stringify(rb);
}

for (const [command, kind] of [
  ['verify', 'sig'],
  ['verify-attestation', 'att'],
] as const) {
  describe(`${command} --key: the legacy .${kind} layer's Rekor annotation is always verified`, () => {
    const images: Record<string, { ref: string }> = {};
    before(async () => {
      const predicate = join(dir, 'predicate.json');
      writeFileSync(predicate, '{"hello":"world"}');
      for (const [name, v] of VARIANTS) {
        const img = await makeImageLayout(join(dir, `${kind}-${name.replace(/\W+/g, '-')}`));
        const ref = `oci:${img.dir}:latest`;
        const signed =
          kind === 'sig'
            ? await sealInProcess(['sign', '--key', keys.key, '--yes', ref])
            : await sealInProcess(['attest', '--key', keys.key, '--yes', '--predicate', predicate, ref]);
        assert.equal(signed.code, 0, signed.stderr);
        annotate(img.dir, img.digest, kind, (bytes, layer) => annotation(kind === 'sig' ? sigBody(bytes, layer) : attBody(bytes), v));
        images[name] = { ref };
      }
    });

    for (const [name, , code] of VARIANTS) {
      it(`${name}: exit ${code} with --trusted-root`, async () => {
        const r = await sealInProcess([command, '--key', keys.pub, '--trusted-root', ROOT, '-o', 'json', images[name]!.ref]);
        assert.equal(r.code, code, r.stderr);
        const report = JSON.parse(r.stdout)[0];
        const entry = kind === 'sig' ? report.signatures[0] : report.attestations[0];
        assert.equal(entry.tlog ?? entry.checks?.tlog, code === 0);
      });
    }

    it('without --trusted-root the entry is still checked (the embedded root does not know this log): exit 12', async () => {
      const r = await sealInProcess([command, '--key', keys.pub, images['a genuine entry']!.ref]);
      assert.equal(r.code, 12, r.stderr);
    });

    it('--insecure-ignore-tlog skips the entry, forged or not; with --require-tlog it is a usage error', async () => {
      const r = await sealInProcess([command, '--key', keys.pub, '--insecure-ignore-tlog', images['a flipped SET']!.ref]);
      assert.equal(r.code, 0, r.stderr);
      const both = await sealInProcess([command, '--key', keys.pub, '--insecure-ignore-tlog', '--require-tlog', images['a flipped SET']!.ref]);
      assert.equal(both.code, 2, both.stderr);
    });
  });
}
