// The registry flag group: argv → StoreOptions, with the password never in --help.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import yargs from 'yargs';
import { parseDuration, registryOptions, toStoreOptions } from '../../../../src/cli/options/registry.ts';
import type { CliContext } from '../../../../src/cli/context.ts';
import { isSealError } from '../../../../src/errors.ts';
import { recordingLog } from '../../oci/registry/fake.ts';

function ctx(env: Record<string, string> = {}): CliContext {
  return { env, log: recordingLog(), signal: new AbortController().signal, cwd: '/work/here' } as unknown as CliContext;
}

async function parse(args: string[]) {
  return registryOptions(yargs().exitProcess(false).strict()).parseAsync(args);
}

describe('registry flags', () => {
  it('maps every flag', async () => {
    const argv = await parse([
      '--registry-username',
      'u',
      '--registry-password',
      'p',
      '--allow-insecure-registry',
      '--allow-http-registry',
      '--registry-retries',
      '2',
      '--registry-timeout',
      '90s',
    ]);
    const o = toStoreOptions(argv, ctx());
    assert.equal(o.username, 'u');
    assert.equal(o.password, 'p');
    assert.equal(o.allowInsecure, true);
    assert.equal(o.allowHttp, true);
    assert.equal(o.retries, 2);
    assert.equal(o.timeoutMs, 90_000);
  });

  it('leaves defaults to the store', async () => {
    const o = toStoreOptions(await parse([]), ctx());
    assert.deepEqual(Object.keys(o).sort(), ['cwd', 'env', 'log', 'session', 'signal']);
    assert.equal(o.cwd, '/work/here', 'a relative oci:DIR is in the command directory');
  });

  it('takes the password from SEAL_REGISTRY_PASSWORD, and the pair from the environment', async () => {
    assert.equal(toStoreOptions(await parse(['--registry-username', 'u']), ctx({ SEAL_REGISTRY_PASSWORD: 'envpw' })).password, 'envpw');
    const o = toStoreOptions(await parse([]), ctx({ SEAL_REGISTRY_USERNAME: 'eu', SEAL_REGISTRY_PASSWORD: 'ep' }));
    assert.deepEqual([o.username, o.password], ['eu', 'ep']);
    // Only one of the pair in the environment: ignored, other sources apply.
    assert.equal(toStoreOptions(await parse([]), ctx({ SEAL_REGISTRY_PASSWORD: 'ep' })).password, undefined);
  });

  it('refuses half a pair on the command line', async () => {
    assert.throws(
      () => toStoreOptions({ registryPassword: 'p' }, ctx()),
      (e: unknown) => isSealError(e, 'usage') && /needs --registry-username/.test(e.message),
    );
    assert.throws(
      () => toStoreOptions({ registryUsername: 'u' }, ctx()),
      (e: unknown) => isSealError(e, 'usage') && /SEAL_REGISTRY_PASSWORD/.test(e.message),
    );
  });

  it('refuses bad retries and timeouts', async () => {
    for (const r of [-1, 1.5, 21, Number.NaN])
      assert.throws(
        () => toStoreOptions({ registryRetries: r }, ctx()),
        (e: unknown) => isSealError(e, 'usage'),
      );
    assert.throws(
      () => toStoreOptions({ registryTimeout: 'soon' }, ctx()),
      (e: unknown) => isSealError(e, 'usage') && /--registry-timeout "soon"/.test(e.message),
    );
  });

  it('parses durations', () => {
    assert.equal(parseDuration('30', 'x'), 30_000);
    assert.equal(parseDuration('500ms', 'x'), 500);
    assert.equal(parseDuration('2m', 'x'), 120_000);
    assert.equal(parseDuration('1.5s', 'x'), 1500);
    assert.throws(() => parseDuration('0s', 'x'));
  });

  it('never shows a password in --help', async () => {
    let help = '';
    await registryOptions(yargs().exitProcess(false)).parseAsync(['--help'], {}, (_e: unknown, _a: unknown, out: string) => {
      help = out;
    });
    assert.match(help, /--registry-password/);
    assert.match(help, /Registry:/);
    assert.ok(
      !/default/i.test(
        help
          .split('\n')
          .filter((l) => l.includes('password'))
          .join('\n'),
      ),
    );
  });
});
