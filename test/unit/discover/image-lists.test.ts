// Image discovery for `manifest verify` and `dockerfile verify` on cosign's own test tables
// (test/fixtures/cosign-image-lists, see PROVENANCE), with cosign's expected outcomes, plus what
// seal does beyond cosign.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { imagesInDockerfile } from '../../../src/discover/dockerfile.ts';
import { imagesInKubernetesManifest } from '../../../src/discover/kubernetes.ts';
import { isSealError } from '../../../src/errors.ts';

const dir = new URL('../../fixtures/cosign-image-lists/', import.meta.url);
const json = (name: string) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));

describe("Kubernetes manifests: cosign's TestGetImagesFromYamlManifest cases", () => {
  const cases: { name: string; file: string | null; expected: string[] }[] = json('manifest-cases.json');
  assert.equal(cases.length, 9);
  for (const c of cases) {
    test(c.name, () => {
      const text = c.file ? readFileSync(new URL(c.file, dir), 'utf8') : '';
      assert.deepEqual(imagesInKubernetesManifest(text), c.expected);
    });
  }
  test('beyond cosign: List items, ephemeral containers, JSON, duplicates once', () => {
    const list = JSON.stringify({
      kind: 'List',
      items: [
        { kind: 'Pod', spec: { containers: [{ image: 'a:1' }], ephemeralContainers: [{ image: 'debug:1' }] } },
        { kind: 'Deployment', spec: { template: { spec: { containers: [{ image: 'a:1' }, { image: 'b:2' }] } } } },
      ],
    });
    assert.deepEqual(
      imagesInKubernetesManifest(list),
      ['debug:1', 'a:1', 'b:2'].sort((x, y) => list.indexOf(x) - list.indexOf(y)),
    );
  });
  test('invalid YAML is one input error naming the file', () => {
    assert.throws(
      () => imagesInKubernetesManifest('a: [1, 2\nb: }', 'deploy.yaml'),
      (e) => isSealError(e, 'input') && /deploy\.yaml is not valid YAML/.test(e.message),
    );
  });
});

describe("Dockerfiles: cosign's TestGetImagesFromDockerfile cases", () => {
  const cases: { name: string; dockerfile: string; env: Record<string, string>; expected?: string[]; error?: boolean }[] = json('dockerfile-cases.json');
  assert.equal(cases.length, 18);
  for (const c of cases) {
    test(`${c.name}${c.error ? ' (an error, as in cosign)' : ''}`, () => {
      if (c.error) {
        assert.throws(
          () => imagesInDockerfile(c.dockerfile, c.env),
          (e) => isSealError(e, 'input'),
        );
      } else {
        assert.deepEqual(imagesInDockerfile(c.dockerfile, c.env).images, c.expected);
      }
    });
  }
  test('beyond cosign: continuation lines, COPY --from=<stage index> skipped, bases apart from COPY images', () => {
    const r = imagesInDockerfile(
      'FROM --platform=$BUILDPLATFORM \\\n  golang:1.23 AS build\nFROM build\nCOPY --from=0 /a /a\nCOPY --from=tools:1 /t /t\nFROM distroless:1\n',
      {},
    );
    assert.deepEqual(r.images, ['golang:1.23', 'tools:1', 'distroless:1']);
    assert.deepEqual(r.bases, ['golang:1.23', 'distroless:1']);
    assert.deepEqual(r.skipped, ['stage build', 'stage 0']);
  });
});
