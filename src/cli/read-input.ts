// Reading a file argument or `-` (stdin), with one clear error for each way it can fail.
import { promises as fs } from 'node:fs';
import { SealError } from '../errors.ts';
import type { CliContext } from './context.ts';

const MAX_INPUT = 256 * 1024 * 1024;

export async function readInput(file: string, ctx: CliContext, what: string): Promise<Uint8Array> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.stdin) {
      size += (chunk as Buffer).length;
      if (size > MAX_INPUT) throw new SealError('input', `${what} on stdin is larger than ${MAX_INPUT} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }
  try {
    const st = await fs.stat(file);
    if (st.isDirectory()) throw new SealError('input', `${what} ${file} is a directory, not a file`);
    if (st.size > MAX_INPUT) throw new SealError('input', `${what} ${file} is larger than ${MAX_INPUT} bytes`);
    return await fs.readFile(file);
  } catch (err) {
    if (err instanceof SealError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SealError('input', `${what} ${file} does not exist`);
    if (code === 'EACCES') throw new SealError('input', `${what} ${file} is not readable (permission denied)`);
    throw new SealError('input', `cannot read ${what} ${file}: ${(err as Error).message}`, { cause: err });
  }
}
