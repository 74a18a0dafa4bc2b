// Which attached VEX documents the gate uses: verified OpenVEX attestations (cosign's and vexctl's
// predicate types), not unverified ones, and not signed ones that break the OpenVEX rules.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { CheckedAttestation } from '../../../src/cosign/attestations.ts';
import type { Log } from '../../../src/log.ts';
import { collectVexSources } from '../../../src/ops/vex.ts';

const DIGEST = 'sha256:' + 'b'.repeat(64);
const demo = JSON.parse(readFileSync(new URL('../../fixtures/openvex/grype/openvex-demo2.json', import.meta.url), 'utf8'));

function att(id: string, predicateType: string, predicate: unknown, verified = true): CheckedAttestation {
  return {
    format: 'bundle',
    id,
    claimedPredicateType: predicateType,
    bytes: new Uint8Array(),
    verified,
    ...(verified
      ? { predicateType, statement: { _type: 'https://in-toto.io/Statement/v1', subject: [{ digest: { sha256: 'b'.repeat(64) } }], predicateType, predicate } }
      : { error: 'signature does not verify' }),
  };
}

function capture(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) };
}

test('verified OpenVEX attestations of both predicate spellings are used; unverified and malformed ones are not', async () => {
  const broken = structuredClone(demo);
  delete broken.statements[3].justification;
  delete broken.statements[3].impact_statement;
  const checked = [
    att('sha256:1', 'https://openvex.dev/ns', demo),
    att('sha256:2', 'https://openvex.dev/ns/v0.2.0', demo),
    att('sha256:3', 'https://openvex.dev/ns', demo, false),
    att('sha256:4', 'https://openvex.dev/ns', broken),
    att('sha256:5', 'https://cosign.sigstore.dev/attestation/vuln/v1', {}),
  ];
  const log = capture();
  const out = await collectVexSources({ image: 'img', digest: DIGEST, found: checked, checked }, undefined, log);
  assert.deepEqual(
    out.sources.map((s) => s.origin),
    ['attestation sha256:1', 'attestation sha256:2'],
  );
  assert.ok(out.sources.every((s) => s.aboutImage));
  assert.deepEqual([...out.trusted.keys()], ['sha256:1', 'sha256:2']);
  assert.ok(
    log.lines.some((l) => /^warn img: ignored VEX attestation sha256:4: statements\[3\]: status not_affected needs a justification/.test(l)),
    log.lines.join('\n'),
  );
  // grype's demo is about alpine@sha256:124c…, not this image: said in --verbose.
  assert.ok(
    log.lines.some((l) => /^debug img: attestation sha256:1 is about another image/.test(l)),
    log.lines.join('\n'),
  );
});

test('--no-vex uses nothing; --vex files come after the attestations and are not about the image by default', async () => {
  const checked = [att('sha256:1', 'https://openvex.dev/ns', demo)];
  const off = await collectVexSources({ image: 'img', digest: DIGEST, found: checked, checked }, { off: true }, capture());
  assert.equal(off.sources.length, 0);
  const withFile = await collectVexSources(
    { image: 'img', digest: DIGEST, found: checked, checked },
    { files: [{ name: 'local.json', doc: demo }] },
    capture(),
  );
  assert.deepEqual(
    withFile.sources.map((s) => [s.origin, s.aboutImage]),
    [
      ['attestation sha256:1', true],
      ['--vex local.json', false],
    ],
  );
});
