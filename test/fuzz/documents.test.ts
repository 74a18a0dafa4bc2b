// Fuzz: DSSE envelopes, in-toto statements, predicates, grype/trivy scans and vuln summaries
// (through the gate and the report), policy files (JSON and YAML), SBOM detection.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvelope, verifyEnvelope } from '../../src/attest/dsse.ts';
import { evaluateVulnGate } from '../../src/scan/gate.ts';
import { evaluatePolicy, loadPolicy } from '../../src/scan/policy.ts';
import { PREDICATE_ALIASES, buildPredicate } from '../../src/attest/predicates.ts';
import { checkSubjectClaim, parseStatement, validateStatement, type Statement } from '../../src/attest/statement.ts';
import { buildVulnPredicateFromBytes, summarizeVulns } from '../../src/scan/vuln.ts';
import { buildReportModel } from '../../src/report/model.ts';
import { REPORT_FORMATS, renderReport } from '../../src/report/render.ts';
import { detectSbom } from '../../src/sbom/detect.ts';
import { newKeyPair } from '../unit/attest/test-keys.ts';
import { fuzz, mutateBytes, mutateDocument, report, type Rng } from './fuzz.ts';
import { REPO, FIXTURES, orDefault, texts } from './seeds.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const enc = new TextEncoder();
const pick = <T>(rng: Rng, xs: readonly T[]): T => rng.pick(xs);

const envelopes = orDefault(texts(`${FIXTURES}cosign/dsse`, /\.dsse\.json$/), [
  '{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"MEUCIQ=="}]}',
]);
const statements = [
  ...envelopes.map((e) => {
    try {
      return Buffer.from((JSON.parse(e) as { payload: string }).payload, 'base64').toString('utf8');
    } catch {
      return '';
    }
  }),
  ...texts(`${FIXTURES}cosign/dsse/claim-verifier`, /\.json$/),
  ...texts(`${FIXTURES}cosign/policies/attestation-payloads`, /\.json$/),
].filter((s) => s.trim().startsWith('{'));
const scans = [
  ...texts(`${REPO}test/fixtures/grype`, /\.json$/),
  ...texts(`${REPO}test/fixtures/trivy`, /\.json$/),
  ...texts(`${FIXTURES}cosign/predicates`, /\.json$/),
];
const sboms = [...texts(`${FIXTURES}cosign/sbom`, /./), ...texts(`${REPO}test/unit/sbom/samples`, /./)];
const policies = texts(`${REPO}test/fixtures/policies`, /\.(ya?ml|json)$/);

describe('fuzz: DSSE and in-toto', () => {
  const { verifier } = newKeyPair();
  it('parseEnvelope + verifyEnvelope: an envelope, a verdict, or a one-line SealError', async () => {
    const failures = await fuzz('envelope', {
      iterations: 1500,
      generate: (rng) => mutateDocument(rng, pick(rng, envelopes), envelopes),
      run: (text) => verifyEnvelope(parseEnvelope(enc.encode(text)), [verifier]),
    });
    assert.ok(failures.length === 0, report('envelope', failures));
  });
  it('parseStatement + checkSubjectClaim', async () => {
    const failures = await fuzz('statement', {
      iterations: 2000,
      generate: (rng) => mutateDocument(rng, pick(rng, statements), statements),
      run: (text) => {
        parseStatement(text, 'verification');
        return checkSubjectClaim(enc.encode(text), { sha256: 'a'.repeat(64) });
      },
    });
    assert.ok(failures.length === 0, report('statement', failures));
  });
});

describe('fuzz: predicates and scans', () => {
  const types = Object.keys(PREDICATE_ALIASES);
  const inputs = [...scans, ...sboms, ...statements];
  it('buildPredicate for every --type on any file', async () => {
    const failures = await fuzz('buildPredicate', {
      iterations: 1200,
      generate: (rng) => ({ type: pick(rng, types), text: mutateDocument(rng, pick(rng, inputs), inputs) }),
      run: ({ type, text }) => buildPredicate(type, enc.encode(text), { now: NOW, filename: 'scan.json' }),
      show: ({ type, text }) => `--type ${type}: ${JSON.stringify(text.slice(0, 500))}`,
    });
    assert.ok(failures.length === 0, report('buildPredicate', failures));
  });
  it('vuln predicates, summaries, the gate and every report format', async () => {
    const failures = await fuzz('vulnSummary', {
      iterations: 800,
      generate: (rng) => mutateDocument(rng, pick(rng, scans), scans),
      run: (text) => {
        let doc: unknown;
        try {
          doc = buildVulnPredicateFromBytes(enc.encode(text), { now: NOW, filename: 'scan.json' }).predicate;
        } catch {
          doc = safeJson(text) ?? text; // a refused file: still summarise it, as a stored predicate would be
        }
        const summary = summarizeVulns(doc);
        const gate = evaluateVulnGate([summary], { maxSeverity: 'high', maxAgeMs: 14 * 86400_000, now: NOW });
        const model = buildReportModel([{ image: 'r.example/app:1', digest: 'sha256:' + 'a'.repeat(64), summary, gate }], { now: NOW });
        for (const f of REPORT_FORMATS) renderReport(model, f);
      },
    });
    assert.ok(failures.length === 0, report('vulnSummary', failures));
  });
});

describe('fuzz: policies', () => {
  const seeds = orDefault(policies, ['rules:\n  - name: r\n    predicateType: vuln\n']);
  const docs = statements
    .map((s) => {
      try {
        return JSON.parse(s) as Statement;
      } catch {
        return undefined;
      }
    })
    .filter((s): s is Statement => {
      try {
        return !!validateStatement(s);
      } catch {
        return false;
      }
    });
  it('loadPolicy (YAML and JSON) and evaluatePolicy on fuzzed statements', async () => {
    const failures = await fuzz('policy', {
      iterations: 500,
      generate: (rng) => {
        const text = mutateDocument(rng, pick(rng, seeds), seeds);
        const json = rng.bool(0.3);
        // evaluatePolicy only ever sees validated statements (their predicates are anything).
        const base = docs.length ? pick(rng, docs) : undefined;
        let statement = base ? safeJson(mutateDocument(rng, JSON.stringify(base), [])) : undefined;
        try {
          validateStatement(statement);
        } catch {
          statement = base;
        }
        return { text, file: json ? 'policy.json' : 'policy.yaml', statement };
      },
      run: ({ text, file, statement }) => {
        const policy = loadPolicy(text, file);
        return evaluatePolicy(policy, [statement as Statement], { now: NOW });
      },
      show: ({ text, file }) => `${file}: ${JSON.stringify(text.slice(0, 500))}`,
    });
    assert.ok(failures.length === 0, report('policy', failures));
  });
});

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('fuzz: SBOM detection', () => {
  const seeds = orDefault(sboms, ['{"spdxVersion":"SPDX-2.3"}']);
  const bytes = seeds.map((s) => Buffer.from(s));
  it('detectSbom with and without --type/--input-format', async () => {
    const failures = await fuzz('detectSbom', {
      iterations: 1500,
      generate: (rng) => ({
        bytes: rng.bool() ? enc.encode(mutateDocument(rng, pick(rng, seeds), seeds)) : mutateBytes(rng, pick(rng, bytes), bytes),
        type: rng.bool(0.3) ? pick(rng, ['spdx', 'cyclonedx', 'syft', 'SPDX', '', 'constructor', '__proto__']) : undefined,
        inputFormat: rng.bool(0.3) ? pick(rng, ['json', 'xml', 'text', '', 'toString']) : undefined,
        filename: pick(rng, ['sbom.json', 'sbom.xml', 'sbom', undefined]),
      }),
      run: ({ bytes: b, ...opts }) => detectSbom(b, opts),
    });
    assert.ok(failures.length === 0, report('detectSbom', failures));
  });
});
