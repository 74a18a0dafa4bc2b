// External programs the harness drives (docker-registry, openssl, htpasswd, skopeo, curl):
// found on PATH, installed with apt-get when running as root, otherwise a clear error that
// names the install command.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (asynchronously: in-process servers keep answering meanwhile). */
export function run(
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 0 },
      (err, stdout, stderr) => {
        if (err) {
          const tail = String(stderr).trim().split('\n').slice(-15).join('\n');
          const e = new Error(`${command} ${args.join(' ')} failed (${err.code ?? err.signal}): ${tail}`, {
            cause: err,
          });
          reject(e);
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `name` on PATH (or the absolute path itself), or undefined. */
export async function which(name: string): Promise<string | undefined> {
  if (name.includes('/')) return (await isExecutable(name)) ? name : undefined;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (dir && (await isExecutable(join(dir, name)))) return join(dir, name);
  }
  return undefined;
}

const installing = new Map<string, Promise<void>>();

/**
 * The path of a required program. Missing and root: `apt-get install -y <debianPackage>`.
 * Missing and not root: an error with the exact command to run.
 */
export async function requireTool(name: string, debianPackage: string, opts: { isRoot?: boolean } = {}): Promise<string> {
  const found = await which(name);
  if (found) return found;
  const install = `apt-get install -y ${debianPackage}`;
  if (!(opts.isRoot ?? process.getuid?.() === 0)) {
    throw new Error(`${name} is not installed; install it with: sudo ${install}`);
  }
  let pending = installing.get(debianPackage);
  if (!pending) {
    pending = aptInstall(debianPackage);
    installing.set(debianPackage, pending);
  }
  await pending;
  const after = await which(name);
  if (!after) throw new Error(`${name} is still missing after "${install}"`);
  return after;
}

async function aptInstall(pkg: string): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  } catch {
    // Usually a stale package index on a fresh machine.
    await run('apt-get', ['update'], { env });
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  }
}
