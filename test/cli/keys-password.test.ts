// Password sources for every command that encrypts or decrypts a key (src/cli/password.ts),
// driven in-process with fake streams; the TTY cases use a fake raw-mode terminal.
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createContext, type CliContext } from '../../src/cli/context.ts';
import { importPasswordProvider, passwordProvider } from '../../src/cli/password.ts';
import { SealError } from '../../src/errors.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function ctxWith(env: Record<string, string>, stdin: CliContext['stdin']): { ctx: CliContext; stderr: () => string } {
  let err = '';
  const stderr = new Writable({
    write(chunk, _enc, cb) {
      err += chunk.toString();
      cb();
    },
  });
  return { ctx: createContext({ env, stdin, stderr }), stderr: () => err };
}

/** A stdin that fails the test if anything reads it. */
function untouchable(): CliContext['stdin'] {
  return new Readable({
    read() {
      throw new Error('stdin must not be read');
    },
  });
}

describe('passwordProvider', () => {
  test('SEAL_PASSWORD wins over COSIGN_PASSWORD; stdin is not read', async () => {
    const { ctx } = ctxWith({ SEAL_PASSWORD: 'seal', COSIGN_PASSWORD: 'cosign' }, untouchable());
    assert.equal(text(await passwordProvider(ctx, 'k', { confirm: true })()), 'seal');
  });

  test('COSIGN_PASSWORD set but empty is the empty password, not "ask me"', async () => {
    const { ctx } = ctxWith({ COSIGN_PASSWORD: '' }, untouchable());
    assert.equal((await passwordProvider(ctx, 'k', { confirm: false })()).length, 0);
  });

  for (const [input, expected] of [
    ['pw\n', 'pw'],
    ['pw\r\n', 'pw'],
    ['pw', 'pw'],
    ['pw\n\n', 'pw\n'],
    [' pw \n', ' pw '],
    ['', ''],
  ] as const) {
    test(`piped stdin ${JSON.stringify(input)} is the password ${JSON.stringify(expected)} (one line ending removed)`, async () => {
      const { ctx } = ctxWith({}, Readable.from([Buffer.from(input)]));
      assert.equal(text(await passwordProvider(ctx, 'k', { confirm: true })()), expected);
    });
  }

  test('stdin is read once: a second call and a second provider get the same bytes', async () => {
    const stdin = Readable.from([Buffer.from('once\n')]);
    const { ctx } = ctxWith({}, stdin);
    const a = passwordProvider(ctx, 'a', { confirm: false });
    const b = passwordProvider(ctx, 'b', { confirm: false });
    assert.equal(text(await a()), 'once');
    assert.equal(text(await a()), 'once');
    assert.equal(text(await b()), 'once');
  });

  test('when stdin carries the file to sign, a piped password is refused with what to do', async () => {
    const { ctx } = ctxWith({}, untouchable());
    await assert.rejects(passwordProvider(ctx, 'k', { confirm: false, stdinInUse: 'the file to sign' })(), (err: unknown) => {
      assert.ok(err instanceof SealError && err.kind === 'usage');
      assert.match(err.message, /carries the file to sign/);
      assert.match(err.hint ?? '', /SEAL_PASSWORD/);
      return true;
    });
  });

  test('more than 64 KiB on stdin is not taken as a password', async () => {
    const { ctx } = ctxWith({}, Readable.from([Buffer.alloc(70 * 1024, 0x61)]));
    await assert.rejects(passwordProvider(ctx, 'k', { confirm: false })(), /too much for a password/);
  });
});

/** A fake terminal: isTTY, records raw mode, and types `keys` once reading starts. */
function fakeTty(keys: string[]): CliContext['stdin'] & { rawModes: boolean[] } {
  const s = new PassThrough() as unknown as PassThrough & { isTTY: boolean; rawModes: boolean[]; setRawMode(m: boolean): void };
  s.isTTY = true;
  s.rawModes = [];
  s.setRawMode = (m: boolean) => void s.rawModes.push(m);
  let i = 0;
  const origResume = s.resume.bind(s);
  s.resume = () => {
    const k = keys[i++];
    if (k !== undefined) setImmediate(() => s.write(k));
    return origResume();
  };
  return s as unknown as CliContext['stdin'] & { rawModes: boolean[] };
}

describe('passwordProvider on a terminal', () => {
  test('prompts on stderr without echo, asks twice to confirm, and restores the terminal', async () => {
    const tty = fakeTty(['s3cr', 'et\r', 's3cret\r']);
    const { ctx, stderr } = ctxWith({}, tty);
    assert.equal(text(await passwordProvider(ctx, 'private key cosign.key', { confirm: true })()), 's3cret');
    assert.equal(stderr(), 'Enter password for private key cosign.key: \nEnter password for private key cosign.key again: \n');
    assert.ok(!stderr().includes('s3cret'));
    assert.deepEqual(tty.rawModes, [true, false, true, false]);
  });

  test('backspace edits, and different confirmations are an error', async () => {
    const { ctx } = ctxWith({}, fakeTty(['abd\u007fc\r', 'abc\r']));
    assert.equal(text(await passwordProvider(ctx, 'k', { confirm: true })()), 'abc');
    const { ctx: ctx2 } = ctxWith({}, fakeTty(['one\r', 'two\r']));
    await assert.rejects(passwordProvider(ctx2, 'k', { confirm: true })(), /passwords do not match/);
  });

  test('Ctrl-C at the prompt is an interruption', async () => {
    const { ctx } = ctxWith({}, fakeTty(['ab\u0003']));
    await assert.rejects(passwordProvider(ctx, 'k', { confirm: false })(), (err: unknown) => err instanceof SealError && err.kind === 'interrupted');
  });
});

describe('importPasswordProvider', () => {
  test('SEAL_IMPORT_PASSWORD, and never SEAL_PASSWORD or stdin', async () => {
    const { ctx } = ctxWith({ SEAL_IMPORT_PASSWORD: 'old', SEAL_PASSWORD: 'new' }, untouchable());
    assert.equal(text(await importPasswordProvider(ctx, 'enc.pem')()), 'old');
    const { ctx: ctx2 } = ctxWith({ SEAL_PASSWORD: 'new' }, untouchable());
    await assert.rejects(importPasswordProvider(ctx2, 'enc.pem')(), /enc\.pem is encrypted and SEAL_IMPORT_PASSWORD is not set/);
  });
});
