// signing-config create: cosign's service specifications into a v0.2 signing config.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { isSealError } from '../../../src/errors.ts';
import { createSigningConfig, type SigningConfigCreateOptions } from '../../../src/ops/signing-config-create.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-scc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T = '2025-01-01T00:00:00Z';
const svc = (url: string, v = 1) => `url=${url},api-version=${v},start-time=${T},operator=example.com`;
const opts = (o: Partial<SigningConfigCreateOptions>): SigningConfigCreateOptions => ({
  fulcio: [],
  rekor: [],
  tsa: [],
  oidcProvider: [],
  withDefaultServices: false,
  withDefaultRekorV2: false,
  noDefault: {},
  tufCacheDir: path.join(dir, 'no-cache'),
  ...o,
});

test('every kind of service, with the selectors', async () => {
  const doc = await createSigningConfig(
    opts({
      fulcio: [svc('https://fulcio.example.com')],
      rekor: [svc('https://rekor.example.com'), svc('https://log2.example.com', 2)],
      tsa: [svc('https://tsa.example.com/api/v1/timestamp')],
      oidcProvider: [svc('https://oauth2.example.com/auth')],
      rekorConfig: 'EXACT:2',
      tsaConfig: 'ANY',
    }),
  );
  assert.equal(doc.mediaType, 'application/vnd.dev.sigstore.signingconfig.v0.2+json');
  assert.deepEqual(doc.caUrls, [{ url: 'https://fulcio.example.com', majorApiVersion: 1, validFor: { start: T }, operator: 'example.com' }]);
  assert.deepEqual(
    (doc.rekorTlogUrls as { majorApiVersion: number }[]).map((r) => r.majorApiVersion),
    [1, 2],
  );
  assert.deepEqual(doc.rekorTlogConfig, { selector: 'EXACT', count: 2 });
  assert.deepEqual(doc.tsaConfig, { selector: 'ANY' });
  assert.equal((doc.oidcUrls as unknown[]).length, 1);
});

test('a base config: its services stay unless a flag gives that kind; --no-default-tsa drops its TSAs', async () => {
  const base = path.join(dir, 'base.json');
  writeFileSync(
    base,
    JSON.stringify(
      await createSigningConfig(
        opts({ fulcio: [svc('https://f.old')], rekor: [svc('https://r.old')], rekorConfig: 'ALL', tsa: [svc('https://t.old')], tsaConfig: 'ANY' }),
      ),
    ),
  );
  const doc = await createSigningConfig(opts({ baseConfig: base, rekor: [svc('https://r.new')], rekorConfig: 'ANY', noDefault: { tsa: true } }));
  assert.deepEqual(
    (doc.caUrls as { url: string }[]).map((s) => s.url),
    ['https://f.old'],
  );
  assert.deepEqual(
    (doc.rekorTlogUrls as { url: string }[]).map((s) => s.url),
    ['https://r.new'],
  );
  assert.deepEqual(doc.tsaUrls, []);
});

test('usage errors: --rekor without --rekor-config, bad selectors, bad versions and times, unknown keys', async () => {
  const bad: Partial<SigningConfigCreateOptions>[] = [
    { rekor: [svc('https://r')] },
    { tsa: [svc('https://t')], tsaConfig: 'EXACT' },
    { rekor: [svc('https://r')], rekorConfig: 'ANY:2' },
    { rekor: [svc('https://r')], rekorConfig: 'EXACT:0' },
    { fulcio: [`url=https://f,api-version=v1,start-time=${T},operator=x`] },
    { fulcio: ['url=https://f,api-version=1,start-time=now,operator=x'] },
    { fulcio: [`url=https://f,api-version=1,start-time=${T}`] },
    { fulcio: [`url=https://f,api-version=1,start-time=${T},operator=x,region=eu`] },
  ];
  for (const o of bad) await assert.rejects(createSigningConfig(opts(o)), (e) => isSealError(e, 'usage'), JSON.stringify(o));
});

test('--with-default-services without a cached signing config says to run trusted-root update', async () => {
  await assert.rejects(createSigningConfig(opts({ withDefaultServices: true })), (e) => isSealError(e, 'input') && /trusted-root update/.test(e.hint ?? ''));
});
