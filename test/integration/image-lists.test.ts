// seal manifest verify / dockerfile verify end to end on OCI layouts: every image the file names is
// verified with the flags of seal verify; one unsigned image fails the whole run.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { makeImageLayout } from '../harness/index.ts';
import { workspace } from '../helpers/workspace.ts';
import { runInProcess } from '../helpers/in-process.ts';

const { dir: work, key, pub } = await workspace('seal-lists-');
let signedA: string;
let signedB: string;
let unsigned: string;

async function image(name: string): Promise<string> {
  const img = await makeImageLayout(path.join(work, name));
  return `oci:${img.dir}:latest`;
}

before(async () => {
  [signedA, signedB, unsigned] = await Promise.all([image('a'), image('b'), image('c')]);
  for (const ref of [signedA, signedB]) {
    const r = await runInProcess(['sign', '--key', key, ref]);
    assert.equal(r.code, 0, r.stderr);
  }
});

const file = async (name: string, text: string) => {
  const p = path.join(work, name);
  await writeFile(p, text);
  return p;
};

describe('seal manifest verify', () => {
  test('every image of a Deployment and a Pod verifies: exit 0, the images listed on stderr', async () => {
    const m = await file(
      'ok.yaml',
      `apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - image: "${signedA}"\n      containers:\n      - image: "${signedB}"\n---\nkind: Pod\nspec:\n  containers:\n  - image: "${signedA}"\n`,
    );
    const r = await runInProcess(['manifest', 'verify', '--key', pub, m]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Extracted image\\(s\\): ${escape(signedA)}, ${escape(signedB)}`));
  });

  test('one unsigned image fails the run with a non-zero exit naming it', async () => {
    const m = await file('bad.yaml', `kind: Pod\nspec:\n  containers:\n  - image: "${signedA}"\n  - image: "${unsigned}"\n`);
    const r = await runInProcess(['manifest', 'verify', '--key', pub, m]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, new RegExp(escape(unsigned.replace(/:latest$/, ''))));
  });

  test('a manifest with no images, or a missing file: exit 1, one line', async () => {
    const none = await runInProcess(['manifest', 'verify', '--key', pub, await file('none.yaml', 'kind: ConfigMap\ndata: {}\n')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no images found in/);
    const missing = await runInProcess(['manifest', 'verify', '--key', pub, path.join(work, 'nope.yaml')]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  });
});

describe('seal dockerfile verify', () => {
  test('FROM stages and COPY --from images verify; build args from the environment', async () => {
    const d = await file('Dockerfile', `ARG BASE\nFROM \${BASE} AS build\nCOPY --from=${signedB} /x /x\nFROM build\nFROM ${signedA}\n`);
    const r = await runInProcess(['dockerfile', 'verify', '--key', pub, d], { env: { BASE: signedB } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Extracted image\\(s\\): ${escape(signedB)}, ${escape(signedB)}, ${escape(signedA)}`));
  });

  test('--base-image-only checks only the last FROM image, so an unsigned build stage passes', async () => {
    const d = await file('Dockerfile.base', `FROM ${unsigned} AS build\nCOPY --from=${unsigned} /x /x\nFROM ${signedA}\n`);
    assert.notEqual((await runInProcess(['dockerfile', 'verify', '--key', pub, d])).code, 0);
    const r = await runInProcess(['dockerfile', 'verify', '--base-image-only', '--key', pub, d]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Extracted image\\(s\\): ${escape(signedA)}\\n`));
  });

  test('a FROM whose build arg is not set is an error, not a smaller check', async () => {
    const d = await file('Dockerfile.arg', 'ARG BASE\nFROM ${BASE}\n');
    const r = await runInProcess(['dockerfile', 'verify', '--key', pub, d], { env: { BASE: undefined } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no image in .*build argument missing/);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
