// Command lines → operation options, with no network and no files: each command's toOptions reads
// the typed, camelCase flags that the fast path and yargs both produce (parseCommandLine runs the
// same preparation as a real run: cosign's spellings translated, repeated flags collapsed).
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { createContext, type CliContext } from '../../../../src/cli/context.ts';
import { parseCommandLine } from '../../../../src/cli/main.ts';
import * as copy from '../../../../src/cli/commands/copy.ts';
import * as importKeyPair from '../../../../src/cli/commands/import-key-pair.ts';
import * as sign from '../../../../src/cli/commands/sign.ts';
import * as verify from '../../../../src/cli/commands/verify.ts';
import * as verifyBlob from '../../../../src/cli/commands/verify-blob.ts';
import * as attest from '../../../../src/cli/commands/attest.ts';

function ctx(env: Record<string, string> = {}): CliContext {
  return createContext({ env, cwd: '/work', stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() });
}

/** The flags of `args` as the command's run gets them. */
async function flags<F extends (argv: never, ...rest: never[]) => unknown>(_toOptions: F, args: string[]): Promise<Parameters<F>[0]> {
  return (await parseCommandLine(args)).argv as unknown as Parameters<F>[0];
}

// `-ry` (bundled short flags, split as pflag splits them by canonicalArgs): the same line both ways.
const bothParsers = (line: string[], bundled: string[]) => [
  { parser: 'fast path', args: line },
  { parser: 'bundled short flags', args: [...line.slice(0, 1), ...bundled, ...line.slice(1)] },
];

describe('toOptions', () => {
  describe('sign', () => {
    for (const { parser, args } of bothParsers(
      [
        'sign',
        '--key',
        'k.key',
        '-a',
        'x=1',
        '-a',
        'y=2',
        '--output-signature',
        'sig.b64',
        '--registry-username',
        'u',
        '--registry-password',
        'p',
        'oci:dir',
        'oci:other',
      ],
      ['-ry'],
    )) {
      it(`maps the flags (${parser})`, async () => {
        const o = await sign.toOptions(await flags(sign.toOptions, args), ctx());
        assert.deepEqual(o.images, ['oci:dir', 'oci:other']);
        assert.deepEqual(o.annotations, { x: '1', y: '2' });
        assert.equal(o.format, 'legacy');
        assert.equal(o.concurrency, 4);
        assert.equal(o.upload, true);
        assert.equal(o.outputs?.signature, 'sig.b64');
        assert.equal(o.outputs?.cwd, '/work');
        assert.equal(o.signing.key, 'k.key');
        assert.deepEqual([o.store.username, o.store.password], ['u', 'p']);
        assert.equal(o.recursive, parser === 'bundled short flags');
        assert.equal(o.signing.yes, parser === 'bundled short flags' ? true : undefined);
      });
    }

    it('takes the storage format from cosign v3 flags and SEAL_SIGNATURE_FORMAT', async () => {
      const format = async (args: string[], env: Record<string, string> = {}) =>
        (await sign.toOptions(await flags(sign.toOptions, ['sign', '--key', 'k', ...args, 'img']), ctx(env))).format;
      assert.equal(await format(['--new-bundle-format']), 'bundle');
      assert.equal(await format(['--bundle', 'out.json']), 'bundle');
      assert.equal(await format(['--registry-referrers-mode', 'oci-1-1']), 'bundle');
      assert.equal(await format([], { SEAL_SIGNATURE_FORMAT: 'bundle' }), 'bundle');
      assert.equal(await format(['--new-bundle-format=false'], { SEAL_SIGNATURE_FORMAT: 'bundle' }), 'legacy');
    });

    it('passes keyless flags through to the signing options', async () => {
      const o = await sign.toOptions(
        await flags(sign.toOptions, [
          'sign',
          '--identity-token',
          'tok',
          '--fulcio-url',
          'https://f',
          '--timestamp-server-url',
          'https://t',
          '--oidc-disable-ambient-providers',
          'img',
        ]),
        ctx(),
      );
      assert.deepEqual(o.signing, { identityToken: 'tok', fulcioUrl: 'https://f', tsaUrl: 'https://t', oidcDisableAmbientProviders: true });
    });
  });

  it('verify: cosign flags into the trust policy and concurrency', async () => {
    const argv = await flags(verify.toOptions, [
      'verify',
      '--certificate-identity',
      'dev@example.com',
      '--certificate-oidc-issuer',
      'https://issuer',
      '--private-infrastructure',
      '--insecure-ignore-sct',
      '--max-workers',
      '7',
      '-a',
      'env=prod',
      'img',
    ]);
    const o = await verify.toOptions(argv, argv.images ?? [], ctx());
    assert.deepEqual(o.images, ['img']);
    assert.equal(o.concurrency, 7);
    assert.deepEqual(o.annotations, { env: 'prod' });
    assert.equal(o.trust.verifier, undefined);
    assert.equal(o.trust.bundle.certificateIdentity, 'dev@example.com');
    assert.equal(o.trust.bundle.certificateOidcIssuer, 'https://issuer');
    assert.equal(o.trust.bundle.ignoreTlog, true);
    assert.equal(o.trust.bundle.ignoreSct, true);
  });

  it('verify-blob: stdin, the certificate chain and the GitHub workflow extensions', async () => {
    const o = await verifyBlob.toOptions(
      await flags(verifyBlob.toOptions, [
        'verify-blob',
        '--bundle',
        'b.json',
        '--certificate-identity-regexp',
        '.*',
        '--certificate-oidc-issuer',
        'https://issuer',
        '--certificate-github-workflow-ref',
        'refs/tags/v1',
        '--certificate-chain',
        'chain.pem',
        '-',
      ]),
    );
    assert.equal(o.target, '-');
    assert.equal(o.bundle, 'b.json');
    assert.equal(o.certificateChain, 'chain.pem');
    assert.equal(o.certificateIdentityRegexp, '.*');
    assert.deepEqual(o.certificateExtensions?.github, { ref: 'refs/tags/v1' });
    assert.equal(o.insecureIgnoreTlog, false);
  });

  it('attest: --no-upload and the scan times', async () => {
    const o = attest.toOptions(
      await flags(attest.toOptions, [
        'attest',
        '--key',
        'k',
        '--predicate',
        'scan.json',
        '--type',
        'vuln',
        '--no-upload',
        '--scan-finished',
        '2024-01-01T00:00:00Z',
        'img',
      ]),
      ctx(),
    );
    assert.equal(o.upload, false);
    assert.equal(o.type, 'vuln');
    assert.equal(o.scanFinished, '2024-01-01T00:00:00Z');
    assert.equal(o.scanStarted, undefined);
  });

  it('copy: --only, --platform, -f; --sig-only is --only sig', async () => {
    const o = copy.toOptions(await flags(copy.toOptions, ['copy', '--only', 'sig,att', '--platform', 'linux/amd64', '-f', 'a/b:1', 'c/d']), ctx());
    assert.deepEqual([o.src, o.dst, o.only, o.platform, o.force, o.recursive], ['a/b:1', 'c/d', ['sig', 'att'], 'linux/amd64', true, true]);
    const sigOnly = copy.toOptions(await flags(copy.toOptions, ['copy', '--sig-only', 'a/b:1', 'c/d']), ctx());
    assert.deepEqual(sigOnly.only, ['sig']);
    const bare = copy.toOptions(await flags(copy.toOptions, ['copy', '--no-attachments', 'a/b:1', 'c/d']), ctx());
    assert.deepEqual(bare.only, []);
  });

  it('import-key-pair: -y is --force, as cosign', async () => {
    const o = importKeyPair.toOptions(await flags(importKeyPair.toOptions, ['import-key-pair', '-k', 'ec.pem', '-o', 'release', '-y']), ctx());
    assert.deepEqual(o, { key: 'ec.pem', outputKeyPrefix: 'release', force: true, cwd: '/work' });
  });
});
