// Progress of byte transfers, as pure libraries report it: a callback with the bytes done so far
// and, when known, the total. The CLI draws it (src/cli/progress.ts); libraries never print.
// Callers that pass no callback pay nothing: every helper here is used only when one is given.

/** Bytes done so far and the total when known. Called often (per chunk): keep it cheap. */
export type OnProgress = (done: number, total?: number) => void;

/** Options of the library calls that move many bytes. */
export interface TransferOptions {
  onProgress?: OnProgress;
}

/**
 * A callback that only ever reports growing counts: a retried or resumed transfer sends bytes
 * again, but what the user sees never goes backwards. `total`, when given, is reported with
 * every count (else the total the caller passes).
 */
export function monotonic(onProgress: OnProgress, total?: number): OnProgress {
  let high = -1;
  return (done, t) => {
    if (done <= high) return;
    high = done;
    onProgress(done, total ?? t);
  };
}

/** `source`, reporting `start` plus the bytes read so far after every chunk. */
export async function* counting(source: AsyncIterable<Uint8Array>, onProgress: OnProgress, start = 0): AsyncGenerator<Uint8Array, void, undefined> {
  let done = start;
  for await (const chunk of source) {
    done += chunk.length;
    onProgress(done);
    yield chunk;
  }
}

/** In-memory bytes as 1 MiB slices, so a send of them can be counted. */
export async function* slices(data: Uint8Array, size = 1 << 20): AsyncGenerator<Uint8Array, void, undefined> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, Math.min(i + size, data.length));
}
