import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SBOM_MEDIA_TYPES, detectSbom, sbomFromMediaType, sbomMediaType, sniffSbom } from '../../../src/sbom/detect.ts';
import { SealError } from '../../../src/errors.ts';
import { cosignFixture } from '../attest/shared.ts';

const sample = (name: string) => new Uint8Array(readFileSync(new URL(`./samples/${name}`, import.meta.url)));
const enc = new TextEncoder();
const usage = (re: RegExp) => (e: unknown) => e instanceof SealError && e.kind === 'usage' && re.test(e.message);

test('the five SBOM media types', () => {
  assert.deepEqual(Object.values(SBOM_MEDIA_TYPES), [
    'text/spdx',
    'text/spdx+json',
    'application/vnd.cyclonedx+xml',
    'application/vnd.cyclonedx+json',
    'application/vnd.syft+json',
  ]);
});

test("content detection for cosign's SBOM fixtures", () => {
  const cases: [string, string, string, string][] = [
    ['sbom/bom-go-mod.spdx', 'spdx', 'text', 'text/spdx'],
    ['sbom/bom-go-mod.spdx.json', 'spdx', 'json', 'text/spdx+json'],
    ['sbom/bom-go-mod.cyclonedx.json', 'cyclonedx', 'json', 'application/vnd.cyclonedx+json'],
  ];
  for (const [file, type, format, mediaType] of cases) {
    const got = detectSbom(cosignFixture(file));
    assert.deepEqual(got, { type, format, mediaType, warnings: [] }, file);
  }
});

test('content detection for syft JSON and CycloneDX XML', () => {
  assert.deepEqual(detectSbom(sample('app.syft.json')), { type: 'syft', format: 'json', mediaType: 'application/vnd.syft+json', warnings: [] });
  assert.deepEqual(detectSbom(sample('app.cdx.xml')), { type: 'cyclonedx', format: 'xml', mediaType: 'application/vnd.cyclonedx+xml', warnings: [] });
  const prefixed = enc.encode('\uFEFF<?xml version="1.0"?>\n<cdx:bom xmlns:cdx="http://cyclonedx.org/schema/bom/1.4" version="1"/>');
  assert.deepEqual(sniffSbom(prefixed), { type: 'cyclonedx', format: 'xml' });
});

test('look-alikes are not recognised', () => {
  for (const text of [
    '{"artifacts": [], "descriptor": {"name": "grype"}}',
    '{"matches": []}',
    '<bom xmlns="http://example.com/bom"/>',
    '<rdf:RDF xmlns:spdx="http://spdx.org/rdf/terms#"/>',
    'SPDXVersion SPDX-2.2',
    '{not json',
    '[]',
    '',
  ]) {
    assert.equal(sniffSbom(enc.encode(text)), undefined, text);
  }
});

test('unrecognisable content without --type is an error, not a guess', () => {
  assert.throws(
    () => detectSbom(enc.encode('hello'), { filename: 'x.txt' }),
    (e: unknown) => e instanceof SealError && e.kind === 'input' && e.message === 'cannot tell what kind of SBOM x.txt is' && /--type/.test(e.hint ?? ''),
  );
});

test('explicit --type and --input-format follow cosign, including the .json file-name rule', () => {
  const json = cosignFixture('sbom/bom-go-mod.spdx.json');
  assert.equal(detectSbom(json, { type: 'spdx', filename: 'bom.json' }).mediaType, 'text/spdx+json');
  assert.equal(detectSbom(json, { type: 'spdx', inputFormat: 'json' }).mediaType, 'text/spdx+json');
  // cosign would say text/spdx for an unlabelled file; seal reads the content.
  assert.equal(detectSbom(json, { type: 'spdx', filename: 'bom' }).mediaType, 'text/spdx+json');
  const forced = detectSbom(json, { type: 'spdx', inputFormat: 'text' });
  assert.equal(forced.mediaType, 'text/spdx');
  assert.deepEqual(forced.warnings, ['the SBOM looks like spdx json, but it is being stored as spdx text']);
  const cdx = cosignFixture('sbom/bom-go-mod.cyclonedx.json');
  assert.equal(detectSbom(cdx, { type: 'cyclonedx' }).mediaType, 'application/vnd.cyclonedx+json');
  assert.equal(detectSbom(enc.encode('opaque'), { type: 'cyclonedx' }).mediaType, 'application/vnd.cyclonedx+xml');
  assert.deepEqual(detectSbom(enc.encode('opaque'), { type: 'cyclonedx' }).warnings, ['the SBOM is not recognisable as cyclonedx xml; storing it as given']);
  assert.equal(detectSbom(enc.encode('opaque'), { type: 'spdx' }).mediaType, 'text/spdx');
  assert.equal(detectSbom(sample('app.syft.json'), { type: 'syft' }).mediaType, 'application/vnd.syft+json');
});

test("invalid combinations give cosign's errors", () => {
  const any = enc.encode('{}');
  assert.throws(() => detectSbom(any, { type: 'cyclonedx', inputFormat: 'text' }), usage(/^invalid SBOM input format: "text", expected \(json\|xml\)$/));
  assert.throws(() => detectSbom(any, { type: 'spdx', inputFormat: 'xml' }), usage(/^invalid SBOM input format: "xml", expected \(json\|text\)$/));
  assert.throws(() => detectSbom(any, { type: 'syft', inputFormat: 'xml' }), usage(/^invalid SBOM input format: "xml", expected \(json\)$/));
  assert.throws(() => detectSbom(any, { type: 'syft', inputFormat: 'yaml' }), usage(/expected \(json\)/));
  assert.throws(() => detectSbom(any, { type: 'swid' }), usage(/^unknown SBOM type: "swid", expected \(spdx\|cyclonedx\|syft\)$/));
  assert.throws(() => sbomMediaType('syft', 'text'), usage(/invalid SBOM input format/));
});

test('media type ↔ type/format round trip', () => {
  for (const mt of Object.values(SBOM_MEDIA_TYPES)) {
    const tf = sbomFromMediaType(mt)!;
    assert.equal(sbomMediaType(tf.type, tf.format), mt);
  }
  assert.deepEqual(sbomFromMediaType('Text/SPDX+JSON; charset=utf-8'), { type: 'spdx', format: 'json' });
  assert.equal(sbomFromMediaType('application/json'), undefined);
});
