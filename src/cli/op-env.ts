// The environment an operation runs in (src/ops/env.ts), made from the command's context: stdin
// and stdout, the process environment, the password sources of password.ts and, when asked for,
// a progress bar on stderr that messages erase first.
import type { StoreOptions } from '../oci/store.ts';
import type { OpEnv } from '../ops/op-env.ts';
import type { CliContext } from './context.ts';
import { write } from './output.ts';
import { importPasswordProvider, passwordProvider, terminalSecretPrompt } from './password.ts';
import type { ProgressBar } from './progress.ts';

export function opEnv(ctx: CliContext, progress?: ProgressBar): OpEnv {
  const open = browserOpener(ctx);
  // stdin is looked at only when asked about (askSecret, interactive): creating process.stdin
  // loads Node's stream modules (~5 ms), which a verify that never prompts should not pay.
  return {
    log: progress ? progress.wrapLog(ctx.log) : ctx.log,
    signal: ctx.signal,
    vars: ctx.env,
    cwd: ctx.cwd,
    get stdin() {
      return ctx.stdin; // created on first use
    },
    writeStdout: (data) => write(ctx.stdout, data),
    ...(progress ? { progress: (label: string) => progress.callback(label) } : {}),
    password: (req) =>
      req.importing
        ? importPasswordProvider(ctx, req.label)()
        : passwordProvider(ctx, req.label, { confirm: req.confirm ?? false, ...(req.stdinInUse ? { stdinInUse: req.stdinInUse } : {}) })(),
    get askSecret() {
      return terminalSecretPrompt(ctx);
    },
    get interactive() {
      return ctx.interactive && Boolean(ctx.stdin.isTTY);
    },
    ...(open ? { openBrowser: open } : {}),
  };
}

/** Opens the login URL in a browser where there is a desktop to show it; else the URL printed is all. */
function browserOpener(ctx: CliContext): ((url: string) => void) | undefined {
  const env = ctx.env;
  const platform = process.platform;
  const command =
    platform === 'darwin' ? ['open'] : platform === 'win32' ? ['cmd', '/c', 'start', '""'] : env.DISPLAY || env.WAYLAND_DISPLAY ? ['xdg-open'] : undefined;
  if (!command || env.SEAL_NO_BROWSER) return undefined;
  return (url) => {
    void import('node:child_process').then(({ spawn }) => {
      const child = spawn(command[0]!, [...command.slice(1), url], { stdio: 'ignore', detached: true });
      child.on('error', () => undefined);
      child.unref();
    });
  };
}

/** Runs `op` with an env whose transfers draw a progress bar; the bar is erased when it ends. */
export async function withProgress<T>(ctx: CliContext, op: (env: OpEnv) => Promise<T>): Promise<T> {
  const { createProgress } = await import('./progress.ts');
  const progress = createProgress(ctx);
  try {
    return await op(opEnv(ctx, progress));
  } finally {
    progress.end();
  }
}

/** `options` with its store's messages (registry debug output) going to `env.log`, which erases a progress bar first. */
export function storeLogTo<O extends { store: StoreOptions }>(options: O, env: OpEnv): O {
  return { ...options, store: { ...options.store, log: env.log } };
}
