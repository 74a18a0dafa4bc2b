// Files are never left half-written: content goes to a temporary file beside the target, is
// flushed, then linked (no overwrite: fails if the target exists) or renamed (overwrite) into place.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SealError } from '../errors.ts';

export interface AtomicWriteOptions {
  mode?: number;
  /** Replace an existing file. Without it an existing target is an error and stays untouched. */
  overwrite?: boolean;
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = opts.mode ?? 0o644;
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(tmp, 'wx', mode);
    await handle.writeFile(data);
    await handle.chmod(mode); // the umask may have narrowed or widened it
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (opts.overwrite) {
      await fs.rename(tmp, target);
    } else {
      await fs.link(tmp, target);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new SealError('input', `${target} already exists`, {
        hint: 'pass --force to overwrite it',
        code: 'FILE_EXISTS',
      });
    }
    if (code === 'ENOENT') {
      throw new SealError('input', `cannot write ${target}: directory ${dir} does not exist`, { cause: err });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new SealError('input', `cannot write ${target}: permission denied`, { cause: err });
    }
    throw err;
  } finally {
    await handle?.close().catch(() => {});
    await fs.unlink(tmp).catch(() => {});
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
