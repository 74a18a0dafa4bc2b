// scripts/check-imports.ts: src/ has no import cycles, no upward imports between layers and no
// process state in libraries; and the checker finds each of them in a made-up tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cycles, importGraph, upwardImports } from '../../../scripts/check-imports.ts';

const src = new URL('../../../src/', import.meta.url).pathname;

test('src/: no cycles, no upward imports, no process state in libraries', () => {
  const { files, edges, processUses } = importGraph(src);
  assert.deepEqual(cycles(files, edges), []);
  assert.deepEqual(
    upwardImports(edges).map((e) => `${e.from} -> ${e.to}`),
    [],
  );
  assert.deepEqual(processUses, []);
});

test('the checker finds a lazy cycle, a type-only upward import and process.env in a library', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'seal-imports-'));
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  put('oci/store.ts', "export async function open() { return import('./layout.ts'); }\n");
  put('oci/layout.ts', "import type { X } from './store.ts';\nimport type { Y } from '../cosign/layout.ts';\nexport const z = process.env.HOME;\n");
  put('cosign/layout.ts', 'export type Y = 1;\n');
  put('ops/run.ts', "import { z } from '../oci/layout.ts';\nexport const w = process.env.X ?? z;\n");
  const { files, edges, processUses } = importGraph(dir);
  assert.deepEqual(cycles(files, edges), [['oci/layout.ts', 'oci/store.ts']]);
  assert.deepEqual(
    upwardImports(edges).map((e) => `${e.from} -> ${e.to} ${e.kind}`),
    ['oci/layout.ts -> cosign/layout.ts type'],
  );
  assert.deepEqual(processUses, ['oci/layout.ts: process.env']);
});
