// Background servers started by the harness (registries) run detached in their own process
// group, so stopping one kills everything it started. Children still alive when the test
// process exits or is signalled are killed here: a forgotten stop() must not leak a registry.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

const live = new Set<ChildProcess>();
const exitCleanups = new Set<() => void>();
let hooked = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function killAllNow(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is going away.
    }
  }
  exitCleanups.clear();
}

/**
 * Runs `cleanup` (synchronous: it may run in the 'exit' handler) if the process ends before
 * the returned function is called.
 */
export function cleanupOnExit(cleanup: () => void): () => void {
  installHooks();
  exitCleanups.add(cleanup);
  return () => void exitCleanups.delete(cleanup);
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // once: after cleaning up, re-raising the signal gets the default action (terminate).
    process.once(signal, () => {
      killAllNow();
      process.kill(process.pid, signal);
    });
  }
}

export interface SpawnedChild {
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  isRunning(): boolean;
}

/** Starts `command` detached with stdout and stderr appended to `logFile`. */
export function spawnDetached(command: string, args: string[], opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): SpawnedChild {
  installHooks();
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  // unref: a test file that forgets stop() still ends; the 'exit' hook then kills the group.
  child.unref();
  live.add(child);
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null): void => {
      running = false;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    };
    child.once('exit', done);
    child.once('error', () => done(null, null));
  });
  return { child, exited, isRunning: () => running };
}

/** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopChild(spawned: SpawnedChild, graceMs = 5000): Promise<void> {
  if (!spawned.isRunning()) return;
  killGroup(spawned.child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      killGroup(spawned.child, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([spawned.exited, killed]);
  clearTimeout(timer);
  await spawned.exited;
  // The registry is a single process, but kill any stragglers left in its group.
  killGroup(spawned.child, 'SIGKILL');
}
