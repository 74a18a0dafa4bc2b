// Choosing the services of a keyless signing run from a signing config, as cosign v3 does: the
// public-good and staging configs of sigstore/root-signing at several times, validity windows,
// selectors, Rekor v1/v2, a v2 log without a TSA, explicit URL overrides, malformed documents.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { SealError } from '../../../src/errors.ts';
import { chooseServices, parseSigningConfig, selectServices, type ConfigService } from '../../../src/sigstore/signing-config.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/sigstore-root-signing/${name}`, import.meta.url), 'utf8')) as unknown;
const MEDIA = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';
const svc = (url: string, majorApiVersion: number, start: string, end?: string, operator = 'op') => ({
  url,
  majorApiVersion,
  validFor: end ? { start, end } : { start },
  operator,
});
const config = (over: Record<string, unknown>) =>
  parseSigningConfig(
    {
      mediaType: MEDIA,
      caUrls: [svc('https://fulcio.example', 1, '2020-01-01T00:00:00Z')],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
      ...over,
    },
    'test config',
  );
const at = (iso: string) => ({ now: new Date(iso) });
const summary = (s: ReturnType<typeof chooseServices>) => ({
  fulcio: s.fulcio.url,
  rekor: s.rekor.map((r) => `v${r.apiVersion} ${r.url}`),
  tsa: s.tsa.map((t) => t.url),
});

describe('the public-good and staging signing configs (sigstore/root-signing)', () => {
  test('production today: Fulcio, Rekor v2 (log2025-1) and the sigstore TSA, the sigstore OIDC issuer', () => {
    const s = chooseServices(parseSigningConfig(fixture('production-signing_config.v0.2.json'), 'prod'), 'prod', at('2026-12-01T00:00:00Z'));
    assert.deepEqual(summary(s), {
      fulcio: 'https://fulcio.sigstore.dev',
      rekor: ['v2 https://log2025-1.rekor.sigstore.dev'],
      tsa: ['https://timestamp.sigstore.dev/api/v1/timestamp'],
    });
    assert.equal(s.oidcIssuer?.url, 'https://oauth2.sigstore.dev/auth');
  });

  test('production before the v2 log started (2025-09): Rekor v1; before the TSA (2025-06): no TSA', () => {
    const doc = parseSigningConfig(fixture('production-signing_config.v0.2.json'), 'prod');
    assert.deepEqual(summary(chooseServices(doc, 'prod', at('2025-09-01T00:00:00Z'))).rekor, ['v1 https://rekor.sigstore.dev']);
    assert.deepEqual(summary(chooseServices(doc, 'prod', at('2025-06-01T00:00:00Z'))).tsa, []);
  });

  test('production for the legacy image format: the v1 log', () => {
    const s = chooseServices(parseSigningConfig(fixture('production-signing_config.v0.2.json'), 'prod'), 'prod', {
      ...at('2026-12-01T00:00:00Z'),
      rekorV1Only: true,
    });
    assert.deepEqual(summary(s).rekor, ['v1 https://rekor.sigstore.dev']);
  });

  test('staging: global.rekor.sigstage.dev (v2) from 2026-06-12', () => {
    const doc = parseSigningConfig(fixture('staging-signing_config.v0.2.json'), 'staging');
    assert.deepEqual(summary(chooseServices(doc, 'staging', at('2026-06-13T00:00:00Z'))).rekor, ['v2 https://global.rekor.sigstage.dev']);
    assert.deepEqual(summary(chooseServices(doc, 'staging', at('2026-06-11T00:00:00Z'))).rekor, ['v1 https://rekor.sigstage.dev']);
  });
});

describe('choosing services', () => {
  test('v1 only', () => {
    const s = chooseServices(config({ rekorTlogUrls: [svc('https://rekor.example', 1, '2020-01-01T00:00:00Z')] }), 'c', at('2026-01-01T00:00:00Z'));
    assert.deepEqual(summary(s), { fulcio: 'https://fulcio.example', rekor: ['v1 https://rekor.example'], tsa: [] });
  });

  test('v2 only, with a TSA', () => {
    const s = chooseServices(
      config({
        rekorTlogUrls: [svc('https://log.example', 2, '2020-01-01T00:00:00Z')],
        tsaUrls: [svc('https://tsa.example/api/v1/timestamp', 1, '2020-01-01T00:00:00Z')],
      }),
      'c',
      at('2026-01-01T00:00:00Z'),
    );
    assert.deepEqual(summary(s), { fulcio: 'https://fulcio.example', rekor: ['v2 https://log.example'], tsa: ['https://tsa.example/api/v1/timestamp'] });
  });

  test('v2 without a valid TSA is refused, naming the log and what to add', () => {
    const c = config({
      rekorTlogUrls: [svc('https://log.example', 2, '2020-01-01T00:00:00Z')],
      tsaUrls: [svc('https://old-tsa.example', 1, '2020-01-01T00:00:00Z', '2024-01-01T00:00:00Z')],
    });
    assert.throws(
      () => chooseServices(c, 'my.json', at('2026-01-01T00:00:00Z')),
      (e: SealError) => {
        assert.equal(e.code, 'SIGNING_CONFIG_NO_TSA');
        assert.match(e.message, /Rekor v2 \(https:\/\/log\.example\) gives no signed timestamp, and my\.json names no timestamp authority valid now/);
        assert.match(e.hint ?? '', /--timestamp-server-url/);
        return true;
      },
    );
    // An explicit TSA fills the gap.
    assert.deepEqual(summary(chooseServices(c, 'my.json', { ...at('2026-01-01T00:00:00Z'), tsaUrl: 'https://tsa.flag' })).tsa, ['https://tsa.flag']);
  });

  test('mixed with validity windows: the newest valid service of the highest version', () => {
    const c = config({
      caUrls: [
        svc('https://fulcio-old.example', 1, '2020-01-01T00:00:00Z', '2025-01-01T00:00:00Z'),
        svc('https://fulcio-new.example', 1, '2025-01-01T00:00:00Z'),
        svc('https://fulcio-v2.example', 2, '2025-01-01T00:00:00Z'),
      ],
      rekorTlogUrls: [
        svc('https://rekor-v1.example', 1, '2020-01-01T00:00:00Z'),
        svc('https://log2026.example', 2, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'),
        svc('https://log2027.example', 2, '2027-01-01T00:00:00Z'),
      ],
      tsaUrls: [svc('https://tsa.example', 1, '2020-01-01T00:00:00Z')],
    });
    assert.deepEqual(summary(chooseServices(c, 'c', at('2024-06-01T00:00:00Z'))), {
      fulcio: 'https://fulcio-old.example',
      rekor: ['v1 https://rekor-v1.example'],
      tsa: ['https://tsa.example'],
    });
    assert.deepEqual(summary(chooseServices(c, 'c', at('2026-06-01T00:00:00Z'))).rekor, ['v2 https://log2026.example']);
    assert.equal(chooseServices(c, 'c', at('2026-06-01T00:00:00Z')).fulcio.url, 'https://fulcio-new.example');
    assert.deepEqual(summary(chooseServices(c, 'c', at('2027-06-01T00:00:00Z'))).rekor, ['v2 https://log2027.example']);
  });

  test('nothing valid now: refused, naming the kind of service', () => {
    const c = config({
      caUrls: [svc('https://fulcio.example', 1, '2030-01-01T00:00:00Z')],
      rekorTlogUrls: [svc('https://rekor.example', 1, '2020-01-01T00:00:00Z')],
    });
    assert.throws(() => chooseServices(c, 'c', at('2026-01-01T00:00:00Z')), /c names no Fulcio \(caUrls with API version 1\) valid now/);
    const noLog = config({ rekorTlogUrls: [svc('https://rekor.example', 3, '2020-01-01T00:00:00Z')] });
    assert.throws(() => chooseServices(noLog, 'c', at('2026-01-01T00:00:00Z')), /names no transparency log/);
  });

  test('the legacy format with only v2 logs is refused with what to do', () => {
    const c = config({
      rekorTlogUrls: [svc('https://log.example', 2, '2020-01-01T00:00:00Z')],
      tsaUrls: [svc('https://tsa.example', 1, '2020-01-01T00:00:00Z')],
    });
    assert.throws(
      () => chooseServices(c, 'c', { ...at('2026-01-01T00:00:00Z'), rekorV1Only: true }),
      /names only Rekor v2 logs, and the legacy signature format needs a Rekor v1 entry/,
    );
  });

  test('explicit URLs override their kind only', () => {
    const c = config({
      rekorTlogUrls: [svc('https://log.example', 2, '2020-01-01T00:00:00Z')],
      tsaUrls: [svc('https://tsa.example', 1, '2020-01-01T00:00:00Z')],
    });
    const s = chooseServices(c, 'c', { ...at('2026-01-01T00:00:00Z'), fulcioUrl: 'https://fulcio.flag', rekorUrl: 'https://rekor.flag' });
    assert.deepEqual(summary(s), { fulcio: 'https://fulcio.flag', rekor: ['v1 https://rekor.flag'], tsa: ['https://tsa.example'] });
    assert.equal(s.fulcio.from, '--fulcio-url');
    assert.equal(s.tsa[0]!.from, 'the signing config (c)');
  });
});

describe('selectors', () => {
  const list: ConfigService[] = [
    { url: 'https://a1', majorApiVersion: 1, start: new Date('2020-01-01'), operator: 'a' },
    { url: 'https://a2', majorApiVersion: 1, start: new Date('2021-01-01'), operator: 'a' },
    { url: 'https://b1', majorApiVersion: 1, start: new Date('2020-06-01'), operator: 'b' },
  ];
  const now = new Date('2026-01-01');
  test('ALL: the newest of each operator', () => {
    assert.deepEqual(
      selectServices(list, { selector: 'ALL' }, [1], now).map((s) => s.url),
      ['https://a2', 'https://b1'],
    );
  });
  test('ANY: one (the newest, so a run can be predicted)', () => {
    assert.deepEqual(
      selectServices(list, { selector: 'ANY' }, [1], now).map((s) => s.url),
      ['https://a2'],
    );
  });
  test('EXACT: that many, none when fewer operators', () => {
    assert.deepEqual(
      selectServices(list, { selector: 'EXACT', count: 2 }, [1], now).map((s) => s.url),
      ['https://a2', 'https://b1'],
    );
    assert.deepEqual(selectServices(list, { selector: 'EXACT', count: 3 }, [1], now), []);
  });
});

describe('malformed signing configs', () => {
  for (const [name, doc, problem] of [
    ['not an object', [], /not a JSON object/],
    ['wrong media type', { mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json' }, /mediaType is .*v0\.1.*expected/],
    ['a service without a URL', { mediaType: MEDIA, caUrls: [{ majorApiVersion: 1 }] }, /caUrls\[0\]\.url is not an http\(s\) URL/],
    [
      'a bad time',
      { mediaType: MEDIA, tsaUrls: [{ url: 'https://t', majorApiVersion: 1, validFor: { start: 'yesterday' } }] },
      /tsaUrls\[0\]\.validFor\.start is not a time/,
    ],
    ['a bad selector', { mediaType: MEDIA, rekorTlogConfig: { selector: 'SOME' } }, /rekorTlogConfig\.selector "SOME" is not ALL, ANY or EXACT/],
    ['EXACT without a count', { mediaType: MEDIA, tsaConfig: { selector: 'EXACT' } }, /tsaConfig\.count must be a positive number/],
  ] as const) {
    test(name, () => {
      assert.throws(
        () => parseSigningConfig(doc, 'sc.json'),
        (e: SealError) => e.code === 'BAD_SIGNING_CONFIG' && problem.test(e.message) && e.message.startsWith('sc.json is not a usable signing config'),
      );
    });
  }
});
