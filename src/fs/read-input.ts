// Reading a file argument or `-` (stdin), with one clear error for each way it can fail.
// Bounded: 256 MiB at most, from a file or from stdin.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SealError } from '../errors.ts';

const MAX_INPUT = 256 * 1024 * 1024;

/**
 * `file`, or all of `io.stdin` for `-`; `what` names it in errors ("predicate file"). A relative
 * `file` is read from `io.cwd` (the command's working directory, which an in-process run sets
 * apart from the process's) when given; errors name it as given.
 */
export async function readInput(
  file: string,
  io: { readonly stdin: AsyncIterable<Uint8Array | string>; readonly cwd?: string },
  what: string,
): Promise<Uint8Array> {
  // As openInput (src/fs/stream.ts): "" is no file, not "predicate file  does not exist".
  if (file === '') throw new SealError('usage', `an empty path was given for the ${what}`, { hint: 'give a file name, or - for stdin', code: 'EMPTY_PATH' });
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of io.stdin) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      size += bytes.length;
      if (size > MAX_INPUT) throw new SealError('input', `${what} on stdin is larger than ${MAX_INPUT} bytes`);
      chunks.push(bytes);
    }
    return Buffer.concat(chunks);
  }
  try {
    const at = io.cwd === undefined ? file : path.resolve(io.cwd, file);
    const st = await fs.stat(at);
    if (st.isDirectory()) throw new SealError('input', `${what} ${file} is a directory, not a file`);
    if (st.size > MAX_INPUT) throw new SealError('input', `${what} ${file} is larger than ${MAX_INPUT} bytes`);
    return await fs.readFile(at);
  } catch (err) {
    if (err instanceof SealError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SealError('input', `${what} ${file} does not exist`);
    if (code === 'EACCES') throw new SealError('input', `${what} ${file} is not readable (permission denied)`);
    throw new SealError('input', `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}
