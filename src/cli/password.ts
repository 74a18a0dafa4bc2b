// Where a private key's password comes from, in order (docs/generate-key-pair.md "Passwords"):
// 1. SEAL_PASSWORD, else COSIGN_PASSWORD: used verbatim when set, even to "" (the empty password);
// 2. a terminal on stdin: a prompt on stderr without echo (asked twice when creating a key);
// 3. otherwise stdin, with exactly one trailing newline (\n or \r\n) removed, so that
//    `echo pw | seal ...` means "pw" (cosign keeps the newline, a known trap).
// Stdin is read once per process and shared, so two lookups never race for it.
import { SealError } from '../errors.ts';
import type { CliContext } from './context.ts';

export interface PasswordOptions {
  /** Ask twice on a terminal and compare (creating a key). */
  confirm: boolean;
  /**
   * Set when stdin carries something else (`sign-blob -`): then a piped password is impossible
   * and an env variable is required. The string names what stdin carries.
   */
  stdinInUse?: string;
}

const MAX_STDIN_PASSWORD = 64 * 1024;
const stdinCache = new WeakMap<object, Promise<Uint8Array>>();
/** Runs whose password came from a stdin that held nothing at all (no terminal, nothing piped). */
const emptyStdin = new WeakSet<object>();

/**
 * True when this run read its password from a stdin that held nothing: a failed decryption is then
 * a missing password (a non-interactive run without SEAL_PASSWORD/COSIGN_PASSWORD), not a wrong one.
 */
export const passwordWasMissing = (ctx: CliContext): boolean => emptyStdin.has(ctx);

/** A password getter for `keyLabel` (e.g. "cosign.key"); nothing is read until it is called. */
export function passwordProvider(ctx: CliContext, keyLabel: string, opts: PasswordOptions): () => Promise<Uint8Array> {
  return source(ctx, {
    envVars: ['SEAL_PASSWORD', 'COSIGN_PASSWORD'],
    prompt: `Enter password for ${keyLabel}: `,
    confirm: opts.confirm,
    stdinInUse: opts.stdinInUse,
  });
}

/**
 * The password of an encrypted PKCS#8 key being imported: SEAL_IMPORT_PASSWORD, else a prompt on
 * a terminal. Never stdin, which may already carry the new key's password.
 */
export function importPasswordProvider(ctx: CliContext, file: string): () => Promise<Uint8Array> {
  return source(ctx, {
    envVars: ['SEAL_IMPORT_PASSWORD'],
    prompt: `Enter password of the encrypted key ${file}: `,
    confirm: false,
    stdinInUse: 'the new key password',
    missing: () =>
      new SealError('input', `${file} is encrypted and SEAL_IMPORT_PASSWORD is not set`, {
        hint: 'set SEAL_IMPORT_PASSWORD to its password, or run on a terminal to be asked',
        code: 'PASSWORD_REQUIRED',
      }),
  });
}

/**
 * A registry password for `seal login`: stdin with --password-stdin (one trailing newline
 * removed), else SEAL_REGISTRY_PASSWORD, else a prompt on a terminal.
 */
export function registryPasswordProvider(ctx: CliContext, registry: string, fromStdin: boolean): () => Promise<Uint8Array> {
  if (fromStdin) {
    let cached: Promise<Uint8Array> | undefined;
    return () => (cached ??= readStdinPassword(ctx));
  }
  return source(ctx, {
    envVars: ['SEAL_REGISTRY_PASSWORD'],
    prompt: `Password for ${registry}: `,
    confirm: false,
    missing: () =>
      new SealError('usage', `no password for ${registry}`, {
        hint: 'pipe it in with --password-stdin, or set SEAL_REGISTRY_PASSWORD',
        code: 'PASSWORD_REQUIRED',
      }),
  });
}

interface SourceSpec {
  envVars: string[];
  prompt: string;
  confirm: boolean;
  stdinInUse?: string;
  missing?: () => SealError;
}

function source(ctx: CliContext, spec: SourceSpec): () => Promise<Uint8Array> {
  let cached: Promise<Uint8Array> | undefined;
  return () => (cached ??= resolvePassword(ctx, spec));
}

async function resolvePassword(ctx: CliContext, spec: SourceSpec): Promise<Uint8Array> {
  for (const name of spec.envVars) {
    const v = ctx.env[name];
    if (v !== undefined) {
      ctx.log.debug(`password from ${name}`);
      return new TextEncoder().encode(v);
    }
  }
  if (ctx.stdin.isTTY) {
    const first = await readHidden(ctx, spec.prompt);
    if (spec.confirm) {
      const again = await readHidden(ctx, spec.prompt.replace(/: $/, ' again: '));
      if (again !== first) throw new SealError('input', 'passwords do not match', { code: 'PASSWORD_MISMATCH' });
    }
    return new TextEncoder().encode(first);
  }
  if (spec.missing) throw spec.missing();
  if (spec.stdinInUse) {
    throw new SealError('usage', `the password cannot come from stdin, which carries ${spec.stdinInUse}`, {
      hint: `set ${spec.envVars[0]} to the password`,
      code: 'PASSWORD_REQUIRED',
    });
  }
  ctx.log.debug('password from stdin');
  return readStdinPassword(ctx);
}

function readStdinPassword(ctx: CliContext): Promise<Uint8Array> {
  let p = stdinCache.get(ctx.stdin);
  if (!p) {
    p = (async () => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of ctx.stdin) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
        size += chunk.length;
        if (size > MAX_STDIN_PASSWORD) {
          throw new SealError('input', `stdin holds more than ${MAX_STDIN_PASSWORD >> 10} KiB, too much for a password`, {
            hint: 'set SEAL_PASSWORD instead of piping the password',
          });
        }
        chunks.push(chunk);
      }
      let pw = Buffer.concat(chunks);
      if (pw.length === 0) emptyStdin.add(ctx); // `echo "" |` (the empty password) still counts as given
      // Exactly one line ending goes: `echo pw |` and Windows-made files both mean "pw".
      if (pw.length > 0 && pw[pw.length - 1] === 0x0a) pw = pw.subarray(0, pw.length - (pw[pw.length - 2] === 0x0d ? 2 : 1));
      return new Uint8Array(pw);
    })();
    stdinCache.set(ctx.stdin, p);
  }
  return p;
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
function readHidden(ctx: CliContext, prompt: string): Promise<string> {
  const stdin = ctx.stdin;
  // Echo goes off before the prompt appears, so nothing typed right after it is ever shown.
  stdin.setRawMode?.(true);
  ctx.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      ctx.signal.removeEventListener('abort', onAbort);
      stdin.setRawMode?.(false);
      stdin.pause();
      ctx.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onAbort = () => finish(new SealError('interrupted', 'interrupted'));
    const onEnd = () => finish(new SealError('input', 'no password entered (end of input)'));
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString()) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new SealError('interrupted', 'interrupted'));
        if (ch === '\u0004' && buf === '') return finish(new SealError('input', 'no password entered'));
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (ch === '\u0015')
          buf = ''; // Ctrl-U
        else if (ch >= ' ' || ch === '\t') buf += ch;
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    stdin.resume();
  });
}

/**
 * Asks for a secret that is never read from the environment's password variables or stdin (a
 * token PIN): a prompt without echo when stdin is a terminal, else undefined.
 */
export function terminalSecretPrompt(ctx: CliContext): ((prompt: string) => Promise<Uint8Array>) | undefined {
  if (!ctx.stdin.isTTY) return undefined;
  return async (prompt) => new TextEncoder().encode(await readHidden(ctx, prompt));
}
