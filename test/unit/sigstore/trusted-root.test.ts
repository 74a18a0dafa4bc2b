import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { SealError } from '../../../src/errors.ts';
import { EMBEDDED_ROOT_WARNING, loadEmbeddedTrustedRoot, loadTrustedRoot } from '../../../src/sigstore/trusted-root.ts';
import { parseTrustedRoot, trustedRootProblem } from '../../../src/sigstore/trusted-root-json.ts';

const testDir = fileURLToPath(new URL('../../', import.meta.url));
const pgiPath = `${testDir}fixtures/cosign/trust/trusted_root_pgi.json`;

const isInput = (re: RegExp) => (err: unknown) => err instanceof SealError && err.kind === 'input' && re.test(err.message);

// A small but complete root, built from the embedded production root so every key is real.
async function sampleRoot(): Promise<Record<string, any>> {
  const { root } = await loadEmbeddedTrustedRoot();
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  return TrustedRoot.toJSON(root) as Record<string, any>;
}

describe('trustedRootProblem', () => {
  it('accepts the production root and an empty root with only a mediaType', async () => {
    assert.equal(trustedRootProblem(await sampleRoot()), undefined);
    assert.equal(trustedRootProblem({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1' }), undefined);
    assert.equal(trustedRootProblem({ mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.2+json' }), undefined);
  });

  for (const [field, path] of [
    ['tlogs', (r: any) => r.tlogs[0].publicKey.validFor],
    ['ctlogs', (r: any) => r.ctlogs[0].publicKey.validFor],
    ['certificateAuthorities', (r: any) => r.certificateAuthorities[0].validFor],
    ['timestampAuthorities', (r: any) => r.timestampAuthorities[0].validFor],
  ] as const) {
    it(`rejects ${field} without validFor.start (missing or null)`, async () => {
      const r = await sampleRoot();
      delete path(r).start;
      assert.match(trustedRootProblem(r) ?? '', new RegExp(`^${field}\\[0\\].*validFor\\.start is missing`));
      path(r).start = null;
      assert.match(trustedRootProblem(r) ?? '', /start is missing/);
    });
  }

  it('accepts an open end written as null, and rejects an end before the start or a non-timestamp', async () => {
    const r = await sampleRoot();
    r.tlogs[0].publicKey.validFor.end = null;
    assert.equal(trustedRootProblem(r), undefined);
    r.tlogs[0].publicKey.validFor.end = '2000-01-01T00:00:00Z';
    assert.match(trustedRootProblem(r) ?? '', /end is before its start/);
    r.tlogs[0].publicKey.validFor.end = 'tomorrow';
    assert.match(trustedRootProblem(r) ?? '', /end is not a timestamp/);
  });

  it('rejects a wrong or missing mediaType, non-objects and malformed lists', async () => {
    assert.match(trustedRootProblem({}) ?? '', /mediaType is missing/);
    assert.match(trustedRootProblem({ mediaType: 'application/json' }) ?? '', /unsupported mediaType/);
    assert.match(trustedRootProblem([]) ?? '', /not a JSON object/);
    assert.match(trustedRootProblem(null) ?? '', /not a JSON object/);
    const r = await sampleRoot();
    r.tlogs = {};
    assert.match(trustedRootProblem(r) ?? '', /tlogs is not a list/);
    const r2 = await sampleRoot();
    delete r2.tlogs[0].publicKey.rawBytes;
    assert.match(trustedRootProblem(r2) ?? '', /tlogs\[0\]\.publicKey has no rawBytes/);
    const r3 = await sampleRoot();
    r3.certificateAuthorities[0].certChain.certificates = [];
    assert.match(trustedRootProblem(r3) ?? '', /certificateAuthorities\[0\] has no certChain/);
  });
});

describe('parseTrustedRoot', () => {
  it('turns a key that does not parse into an input error', async () => {
    const r = await sampleRoot();
    r.tlogs[0].publicKey.rawBytes = Buffer.from('not a key').toString('base64');
    assert.throws(() => parseTrustedRoot(r, 'x.json'), isInput(/^invalid trusted root x\.json: /));
  });
});

describe('loadTrustedRoot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seal-trust-'));

  it('without a path, loads the production root embedded in @sigstore/tuf', async () => {
    const loaded = await loadTrustedRoot();
    assert.equal(loaded.embedded, true);
    assert.equal(loaded.source, '@sigstore/tuf/seeds.json');
    assert.ok(loaded.root.tlogs.some((t) => t.baseUrl === 'https://rekor.sigstore.dev'));
    assert.ok(loaded.root.certificateAuthorities.length > 0);
    assert.match(EMBEDDED_ROOT_WARNING, /snapshot/);
  });

  it('embeds the same root as the conformance fixture copy of the production root', async () => {
    const copy = `${testDir}fixtures/sigstore-conformance/production_trusted_root.json`;
    const { TrustedRoot } = await import('@sigstore/protobuf-specs');
    const embedded = TrustedRoot.toJSON((await loadTrustedRoot()).root);
    const fixture = TrustedRoot.toJSON(TrustedRoot.fromJSON(JSON.parse(readFileSync(copy, 'utf8'))));
    assert.deepEqual(embedded, fixture);
  });

  it('reads a file', async () => {
    const loaded = await loadTrustedRoot(pgiPath);
    assert.equal(loaded.embedded, false);
    assert.equal(loaded.source, pgiPath);
    assert.ok(loaded.root.tlogs.length > 0);
  });

  it('reports a missing file, a non-JSON file and an invalid root as input errors', async () => {
    await assert.rejects(loadTrustedRoot(join(dir, 'nope.json')), isInput(/cannot read trusted root .*nope\.json: no such file/));
    writeFileSync(join(dir, 'bad.json'), '{"mediaType":');
    await assert.rejects(loadTrustedRoot(join(dir, 'bad.json')), isInput(/bad\.json: not JSON/));
    const r = await sampleRoot();
    delete r.tlogs[0].publicKey.validFor.start;
    writeFileSync(join(dir, 'nostart.json'), JSON.stringify(r));
    await assert.rejects(loadTrustedRoot(join(dir, 'nostart.json')), isInput(/tlogs\[0\]\.publicKey\.validFor\.start is missing/));
    await assert.rejects(loadTrustedRoot(dir), isInput(/is a directory/));
  });
});
