// The process's stdout and stderr for a run, without creating Node's streams where that costs:
// for a pipe or a socket Node makes a net.Socket (loading net, stream_wrap, pipe_wrap: ~7.6M
// instructions, ~5 % of a small verify; docs/design/startup.md) to write what seal writes in a
// few calls. Node's own writes to a pipe are synchronous on Linux while the pipe has room; so are
// these.
import { fstatSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';

/**
 * process.stdout (fd 1) or process.stderr (fd 2), or, when that is a pipe or a socket, a
 * DescriptorStream on it that hands over to Node's stream only if a write would block.
 */
export function processStream(fd: 1 | 2): Writable {
  const node = (): Writable => (fd === 1 ? process.stdout : process.stderr);
  if (process.platform === 'win32') return node();
  let direct: boolean;
  try {
    const st = fstatSync(fd);
    direct = st.isFIFO() || st.isSocket();
  } catch {
    direct = false; // closed or odd: Node's stream decides what to do
  }
  return direct ? new DescriptorStream(fd, node) : node();
}

/**
 * Writes to a file descriptor with fs.writeSync. The first write that would block (EAGAIN: a
 * non-blocking pipe that is full) hands its unwritten rest and every later write to `fallback()`
 * (Node's stream, which waits for room), so the order is kept. Any other failure (EPIPE: the
 * reader went away) goes to that write's callback, and later writes fail too; no 'error' event
 * reaches the process as an uncaught exception (Node's stream crashed a run whose stdout reader
 * had gone, with a stack trace, where seal means to stop quietly: main.ts's report()).
 */
export class DescriptorStream extends Writable {
  readonly #fd: number;
  readonly #fallback: () => Writable;
  #handedOver: Writable | undefined;

  constructor(fd: number, fallback: () => Writable) {
    super({ decodeStrings: true });
    this.#fd = fd;
    this.#fallback = fallback;
    // Failures reach the callbacks of the writes that have one (results on stdout); a line on
    // stderr nobody can read any more is not worth a crash.
    this.on('error', ignore);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.#handedOver) {
      this.#handedOver.write(chunk, done);
      return;
    }
    let rest = chunk;
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(this.#fd, rest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
        done(err as Error);
        return;
      }
      this.#handedOver = this.#fallback();
      this.#handedOver.on('error', ignore);
      this.#handedOver.write(rest, done);
      return;
    }
    done();
  }
}

function ignore(): void {}
