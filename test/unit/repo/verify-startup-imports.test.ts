// Start-up of the verify commands (docs/design/startup.md): what a verify command loads on every
// run is its command module and its operation (imported when it runs) with their static imports.
// The vulnerability gate, scanner reports and OpenVEX are loaded only when a gate or VEX flag
// asks for them: none of them may come back into that closure through a static import.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importGraph } from '../../../scripts/check-imports.ts';

const { files, edges } = importGraph(new URL('../../../src/', import.meta.url).pathname);

function staticClosure(starts: string[]): Set<string> {
  const seen = new Set(starts);
  const todo = [...starts];
  while (todo.length) {
    const from = todo.pop()!;
    for (const e of edges) {
      if (e.from === from && e.kind === 'static' && !seen.has(e.to)) {
        seen.add(e.to);
        todo.push(e.to);
      }
    }
  }
  return seen;
}

const gateOrVex = (file: string) => /^(scan|vex)\//.test(file) || file === 'attest/predicates.ts' || file === 'ops/vex.ts';

for (const command of ['verify', 'verify-attestation', 'verify-blob']) {
  test(`${command}: no scanner, gate or OpenVEX module among what every run loads`, () => {
    const starts = [`cli/commands/${command}.ts`, `ops/${command}.ts`];
    for (const s of starts) assert.ok(files.includes(s), `${s} exists`);
    const loaded = [...staticClosure(starts)];
    assert.deepEqual(loaded.filter(gateOrVex), []);
  });
}

test('verify-attestation loads the gate and OpenVEX modules lazily (the check above is not vacuous)', () => {
  const lazy = (from: string) => edges.filter((e) => e.from === from && e.kind === 'dynamic').map((e) => e.to);
  assert.ok(lazy('ops/verify-attestation.ts').includes('ops/verify-attestation-gate.ts'));
  const gate = staticClosure(['ops/verify-attestation-gate.ts']);
  for (const m of ['scan/gate.ts', 'scan/vuln.ts', 'vex/apply.ts', 'ops/vex.ts']) assert.ok(gate.has(m), m);
  assert.ok(lazy('cli/commands/verify-attestation.ts').includes('scan/policy.ts'));
  assert.ok(lazy('cli/commands/verify-attestation.ts').includes('scan/gate.ts'));
});
