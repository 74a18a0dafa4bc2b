// Fuzz: OpenVEX documents (the vendored OpenVEX and grype test documents, mutated) through
// validation, then through matching against the findings of the grype fixtures and the gate.
// Anything but a one-line SealError from validation is a failure; applying never throws.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { evaluateVulnGate } from '../../src/scan/gate.ts';
import { summarizeVulns } from '../../src/scan/vuln.ts';
import { applyVex } from '../../src/vex/apply.ts';
import { parseVexDocument } from '../../src/vex/document.ts';
import { fuzz, mutateDocument, report, type Rng } from './fuzz.ts';
import { FIXTURES, orDefault, texts } from './seeds.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const pick = <T>(rng: Rng, xs: readonly T[]): T => rng.pick(xs);
const docs = orDefault(
  texts(`${FIXTURES}openvex`, /\.json$/).filter((t) => t.includes('"statements"')),
  ['{}'],
);
const scans = ['grype/alpine-3.17-vex-cases.json', 'grype/python-debian.json'].map((p) => summarizeVulns(JSON.parse(readFileSync(FIXTURES + p, 'utf8'))));
const DIGESTS = ['sha256:124c7d2707904eea7431fffe91522a01e5a861a624ee31d03372cc1d138a3126', 'sha256:' + 'f'.repeat(64)];

describe('fuzz: OpenVEX', () => {
  it('parseVexDocument returns a document or throws a one-line input SealError; applying it never throws', async () => {
    assert.ok(docs.length >= 8, 'the vendored OpenVEX documents are missing');
    const failures = await fuzz('openvex', {
      iterations: 1500,
      generate: (rng) => ({ text: mutateDocument(rng, pick(rng, docs), docs), scan: pick(rng, scans), digest: pick(rng, DIGESTS), about: rng.bool(0.5) }),
      run: ({ text, scan, digest, about }) => {
        const doc = parseVexDocument(text, 'vex.json');
        const sources = [{ doc, origin: 'fuzz', aboutImage: about }];
        const gate = evaluateVulnGate([scan], { maxSeverity: 'low', now: NOW, vex: (f) => applyVex(f, sources, digest) });
        if (gate.violations.length + (gate.suppressed?.length ?? 0) > scan.findings.length) throw new Error('findings appeared from nowhere');
      },
    });
    assert.ok(failures.length === 0, report('openvex', failures));
  });
});
