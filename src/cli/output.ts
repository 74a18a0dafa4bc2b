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
