// seal's side of the token agent (agent.ts): starts it, sends one request at a time, and bounds
// each by a timeout. A module that hangs is killed when the time is up; one that crashes takes
// only the agent with it. Either way the caller gets one SealError line, never a stack.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SealError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import type { AgentFailure, AgentReply, AgentRequest } from './protocol.ts';

/** Seconds a single token call may take, unless SEAL_PKCS11_TIMEOUT says otherwise. */
export const DEFAULT_TIMEOUT_S = 60;

export interface AgentOptions {
  modulePath: string;
  /** The agent's environment (SOFTHSM2_CONF and the like reach the module through it). */
  env: Readonly<Record<string, string | undefined>>;
  log?: Log;
  signal?: AbortSignal;
}

/** A Cryptoki error from the module, for the caller to put into words with its context. */
export class TokenCallError extends Error {
  readonly failure: AgentFailure;
  constructor(failure: AgentFailure) {
    super(`${failure.fn}: ${failure.ckr}`);
    this.failure = failure;
  }
}

export function timeoutSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.SEAL_PKCS11_TIMEOUT;
  if (raw === undefined || raw === '') return DEFAULT_TIMEOUT_S;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new SealError('usage', `SEAL_PKCS11_TIMEOUT=${raw.slice(0, 20)} is not a number of seconds`, { code: 'BAD_TIMEOUT' });
  }
  return n;
}

/**
 * What to fork: agent-main.ts/.js beside this file (sources, dist/), or else seal's single-file
 * build itself (dist/seal.cjs, or the executable), whose entry turns into the agent when it sees
 * SEAL_PKCS11_AGENT=1 (scripts/dist-entry.ts).
 */
function agentEntry(): { path: string; env: Record<string, string> } {
  const own = fileURLToPath(new URL(`./agent-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
  if (existsSync(own)) return { path: own, env: {} };
  return { path: isSea() ? process.execPath : fileURLToPath(import.meta.url), env: { SEAL_PKCS11_AGENT: '1' } };
}

/** Names of the C_ functions behind each request, for the hang and crash messages. */
const CALLS: Readonly<Record<AgentRequest['op'], string>> = {
  load: 'C_Initialize',
  tokens: 'C_GetTokenInfo',
  token: 'C_GetTokenInfo',
  session: 'C_OpenSession/C_Login',
  key: 'C_FindObjects',
  keys: 'C_FindObjects',
  public: 'C_FindObjects',
  sign: 'C_Sign',
  generate: 'C_GenerateKeyPair',
  close: 'C_Finalize',
};

const STDERR_KEEP = 4096;

export class TokenAgent {
  readonly modulePath: string;
  readonly #child: ChildProcess;
  readonly #timeoutMs: number;
  readonly #log?: Log;
  readonly #signal?: AbortSignal;
  #stderr = '';
  #exit?: { code: number | null; signal: NodeJS.Signals | null };
  #pending?: { resolve: (v: unknown) => void; reject: (e: unknown) => void; op: AgentRequest['op'] };
  #closed = false;

  private constructor(opts: AgentOptions) {
    this.modulePath = opts.modulePath;
    this.#timeoutMs = timeoutSeconds(opts.env) * 1000;
    this.#log = opts.log;
    this.#signal = opts.signal;
    const entry = agentEntry();
    // The agent shares Node's compile cache: the single-file build is 1.6 MB of code for the
    // agent to load. bin/seal.js keeps a cache of its own for the build and leaves Node's off
    // (docs/design/startup.md), so its default place is named here.
    const cacheDir =
      (process.getBuiltinModule('node:module') as { getCompileCacheDir?: () => string | undefined }).getCompileCacheDir?.() ??
      (opts.env.NODE_DISABLE_COMPILE_CACHE ? undefined : path.join(tmpdir(), 'node-compile-cache'));
    this.#child = fork(entry.path, [], {
      env: { ...opts.env, ...entry.env, ...(cacheDir && !opts.env.NODE_COMPILE_CACHE ? { NODE_COMPILE_CACHE: cacheDir } : {}) },
      // The module never writes to seal's stdout, which carries results; its stderr is kept for --verbose.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      execArgv: ['--no-warnings'],
    });
    this.#child.stderr?.setEncoding('utf8');
    this.#child.stderr?.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-STDERR_KEEP);
    });
    this.#child.on('message', (reply: AgentReply) => {
      const p = this.#pending;
      this.#pending = undefined;
      if (!p) return;
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.error.ckr === 'NO_BINDING' ? noBinding(reply.error.message) : new TokenCallError(reply.error));
    });
    this.#child.on('exit', (code, signal) => {
      this.#exit = { code, signal };
      const p = this.#pending;
      this.#pending = undefined;
      if (p && !this.#closed) p.reject(this.#crashed(p.op));
    });
    this.#child.on('error', (err) => {
      const p = this.#pending;
      this.#pending = undefined;
      p?.reject(new SealError('internal', `cannot start the PKCS#11 agent: ${err.message}`, { cause: err }));
    });
    // An idle agent must not keep seal alive; a request in flight is held by its timer.
    this.#child.unref();
    this.#child.channel?.unref();
    (this.#child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  /** Starts an agent and loads `modulePath` into it (C_Initialize). */
  static async start(opts: AgentOptions): Promise<TokenAgent> {
    const agent = new TokenAgent(opts);
    try {
      await agent.request({ op: 'load', modulePath: opts.modulePath });
    } catch (err) {
      agent.kill();
      if (err instanceof TokenCallError) {
        const f = err.failure;
        if (f.ckr === 'LOAD') {
          throw new SealError('input', `cannot load PKCS#11 module ${opts.modulePath}: ${f.message}`, {
            hint: 'module-path must name the vendor PKCS#11 library (a .so file) for this machine',
            code: 'PKCS11_MODULE',
          });
        }
        throw new SealError('input', `PKCS#11 module ${opts.modulePath} failed to initialize (${f.fn}: ${f.ckr})`, {
          hint: f.ckr === 'CKR_GENERAL_ERROR' ? 'check the module configuration (for SoftHSM: SOFTHSM2_CONF and its tokendir)' : undefined,
          code: 'PKCS11_MODULE',
        });
      }
      throw err;
    }
    return agent;
  }

  /**
   * Sends `req` once the requests before it are answered (the agent does one thing at a time; a
   * command signing several images at once queues here). The timeout runs from the send.
   */
  request<T>(req: AgentRequest): Promise<T> {
    const run = this.#queue.then(() => this.#send<T>(req));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #queue: Promise<void> = Promise.resolve();

  #send<T>(req: AgentRequest): Promise<T> {
    if (this.#exit) return Promise.reject(this.#crashed(req.op));
    if (this.#closed)
      return Promise.reject(new SealError('input', `PKCS#11 module ${this.modulePath} was stopped after an earlier failure`, { code: 'PKCS11_STOPPED' }));
    if (this.#signal?.aborted) return Promise.reject(new SealError('interrupted', 'interrupted'));
    return new Promise<T>((resolve, reject) => {
      const started = Date.now();
      const finish = () => {
        clearTimeout(timer);
        this.#signal?.removeEventListener('abort', onAbort);
        this.#log?.debug(`pkcs11: ${req.op} took ${Date.now() - started} ms`);
      };
      const timer = setTimeout(() => {
        this.#pending = undefined;
        finish();
        this.kill();
        reject(
          new SealError('input', `PKCS#11 module ${this.modulePath} did not answer ${CALLS[req.op]} within ${this.#timeoutMs / 1000} s; stopped it`, {
            hint: 'check the token is connected and not waiting for a touch; SEAL_PKCS11_TIMEOUT sets the limit in seconds',
            code: 'PKCS11_TIMEOUT',
          }),
        );
      }, this.#timeoutMs);
      const onAbort = () => {
        this.#pending = undefined;
        finish();
        this.kill();
        reject(new SealError('interrupted', 'interrupted while the PKCS#11 token was working'));
      };
      this.#signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending = {
        op: req.op,
        resolve: (v) => {
          finish();
          resolve(v as T);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      };
      this.#child.send(req, (err) => {
        if (err && this.#pending) this.#pending.reject(this.#crashed(req.op));
      });
    });
  }

  /** Logs out, finalizes the module and lets the agent end. */
  async close(): Promise<void> {
    if (this.#closed || this.#exit) return;
    try {
      await this.request({ op: 'close' });
    } catch {
      this.kill();
    }
    this.#closed = true;
  }

  kill(): void {
    this.#closed = true;
    if (!this.#exit) this.#child.kill('SIGKILL');
  }

  #crashed(op: AgentRequest['op']): SealError {
    const how = this.#exit?.signal ? `crashed (${this.#exit.signal})` : `exited (code ${this.#exit?.code ?? '?'})`;
    const tail = this.#stderr.trim().split('\n').slice(-3).join(' | ');
    if (tail) this.#log?.debug(`pkcs11: the agent's last words: ${tail}`);
    return new SealError('input', `PKCS#11 module ${this.modulePath} ${how} in ${CALLS[op]}`, {
      hint: "the module is faulty or does not match this machine; try the vendor's own tool (pkcs11-tool --module … --list-slots)",
      code: 'PKCS11_CRASH',
    });
  }
}

const isSea = (): boolean => (process.getBuiltinModule('node:sea') as { isSea?: () => boolean } | undefined)?.isSea?.() === true;

function noBinding(detail: string): SealError {
  return new SealError('input', 'PKCS#11 keys need the optional npm package pkcs11js, which is not installed or did not build', {
    // The single executable loads it from a node_modules beside itself.
    hint: isSea()
      ? `install it beside this executable: npm install --prefix ${path.dirname(process.execPath)} pkcs11js (needs a C++ toolchain: apt-get install build-essential python3)`
      : `install a C++ toolchain (Debian: apt-get install build-essential python3) and run: npm rebuild pkcs11js (${detail.slice(0, 120)})`,
    code: 'PKCS11_NO_BINDING',
  });
}
