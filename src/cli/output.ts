// stdout carries results only. These helpers write a result and wait for the stream to take it,
// so a pipe closing early (`seal ... | head`) surfaces as an error here, not as a lost write.
import type { Writable } from 'node:stream';

export function write(out: Writable, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    out.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

export function writeJSON(out: Writable, value: unknown): Promise<void> {
  return write(out, JSON.stringify(value, null, 2) + '\n');
}

/**
 * A document to `--out FILE` (written whole, replacing the file, as cosign does on a re-run) or,
 * without one, to stdout. `what` names it in the line on stderr.
 */
export async function writeDocument(
  ctx: { stdout: Writable; cwd: string; log: { info(m: string): void } },
  text: string,
  out: string | undefined,
  what: string,
  mode?: number,
): Promise<void> {
  if (out === undefined) return write(ctx.stdout, text);
  const [{ writeFileAtomic }, { resolve }] = await Promise.all([import('../fs/atomic.ts'), import('node:path')]);
  await writeFileAtomic(resolve(ctx.cwd, out), text, { overwrite: true, mode });
  ctx.log.info(`Wrote ${what} to ${out}`);
}
