// Keyless signing behind a forward proxy: Fulcio, Rekor and the TSA are reached through
// HTTP(S)_PROXY like the registry is (the @sigstore client honours the same variables), NO_PROXY
// bypasses it, and a proxy that refuses fails the command in one line with nothing written.
// Real processes: the @sigstore client takes the proxy variables from process.env, not from the
// environment main() is given, so an in-process run could not set them per run.
import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startForwardProxy, type ForwardProxy } from '../harness/forward-proxy.ts';
import { startSigstoreStack, type SigstoreStack } from '../harness/sigstore-stack.ts';
import { runCli } from '../helpers/run-cli.ts';

const EMAIL = 'proxy-user@example.com';
let stack: SigstoreStack;
let proxy: ForwardProxy;
let closed: ForwardProxy;
let file: string;

before(async () => {
  stack = await startSigstoreStack();
  proxy = await startForwardProxy();
  closed = await startForwardProxy({ username: 'u', password: 'p' }); // refuses everyone without credentials
  file = path.join(stack.dir, 'artifact.bin');
  await writeFile(file, 'proxied release\n');
});
after(async () => {
  await proxy?.stop();
  await closed?.stop();
  await stack?.stop();
});

const env = (extra: Record<string, string | undefined>) => ({
  SIGSTORE_ID_TOKEN: stack.mintToken(EMAIL),
  HTTP_PROXY: undefined,
  HTTPS_PROXY: undefined,
  http_proxy: undefined,
  https_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
  ...extra,
});
const sign = (bundle: string, extra: Record<string, string | undefined>) =>
  runCli(
    ['sign-blob', '--yes', '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl, '--timestamp-server-url', stack.tsaUrl, '--bundle', bundle, file],
    {
      env: env(extra),
      timeoutMs: 90_000,
    },
  );

describe('keyless signing through a proxy', () => {
  test('Fulcio, Rekor and the TSA are reached through HTTP_PROXY; the bundle verifies', async () => {
    proxy.records.length = 0;
    const bundle = path.join(stack.dir, 'via-proxy.json');
    const r = await sign(bundle, { HTTP_PROXY: proxy.url });
    assert.equal(r.code, 0, r.stderr);
    const targets = proxy.records.map((x) => `${x.method} ${x.target}`);
    for (const p of ['/api/v2/signingCert', '/api/v1/log/entries', '/api/v1/timestamp']) {
      assert.ok(
        targets.some((t) => t.startsWith('POST ') && t.includes(p)),
        `${p} not proxied: ${targets.join(', ')}`,
      );
    }
    const v = await runCli([
      'verify-blob',
      '--bundle',
      bundle,
      '--certificate-identity',
      EMAIL,
      '--certificate-oidc-issuer',
      stack.issuer,
      '--trusted-root',
      stack.trustedRootPath,
      file,
    ]);
    assert.equal(v.code, 0, v.stderr);
  });

  test('NO_PROXY sends the services around the proxy', async () => {
    proxy.records.length = 0;
    const r = await sign(path.join(stack.dir, 'direct.json'), { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(proxy.records.length, 0);
  });

  test('a proxy that refuses: one error line naming the proxy, exit 4, no bundle written, no token printed', async () => {
    const bundle = path.join(stack.dir, 'refused.json');
    const e = env({ HTTP_PROXY: closed.url });
    const r = await runCli(['sign-blob', '--yes', '--fulcio-url', stack.fulcioUrl, '--rekor-url', stack.rekorUrl, '--bundle', bundle, file], {
      env: e,
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^Error: the proxy refused the connection to Fulcio at .*407.*check the user and password in HTTPS_PROXY/m);
    assert.equal(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('Error:')).length,
      1,
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.ok(!r.stderr.includes(e.SIGSTORE_ID_TOKEN!));
    await assert.rejects(stat(bundle), /ENOENT/);
  });
});
