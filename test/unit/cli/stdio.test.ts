// DescriptorStream (src/cli/stdio.ts) on real FIFOs: bytes arrive whole and in order, a pipe that
// is full hands the rest to Node's stream without losing or reordering a byte, and a reader that
// went away fails the write's callback instead of crashing the process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { DescriptorStream } from '../../../src/cli/stdio.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'seal-stdio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fifos = 0;
/** A FIFO opened at both ends without blocking: like a pipe whose reader reads only when asked. */
function pipe(): { reader: number; writer: number } {
  const file = path.join(dir, `fifo-${fifos++}`);
  execFileSync('mkfifo', [file]);
  const reader = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  return { reader, writer };
}

function drain(fd: number): Buffer {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw err;
    }
    if (n === 0) break;
    parts.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(parts);
}

/** Stands in for Node's stream: keeps what it is given. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
}

function write(stream: Writable, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
}

describe('DescriptorStream', () => {
  it('writes strings and bytes to the descriptor, in order, without touching the fallback', async () => {
    const { reader, writer } = pipe();
    let asked = 0;
    const s = new DescriptorStream(writer, () => {
      asked++;
      return new Collector();
    });
    await write(s, 'Verified OK\n');
    await write(s, Buffer.from('two\n'));
    s.write('three, no callback\n');
    await write(s, '');
    assert.equal(drain(reader).toString(), 'Verified OK\ntwo\nthree, no callback\n');
    assert.equal(asked, 0);
    assert.equal(s.writableLength, 0);
    closeSync(reader);
    closeSync(writer);
  });

  it('a full pipe (EAGAIN) hands the unwritten rest and every later write to the fallback, in order', async () => {
    const { reader, writer } = pipe();
    const fallback = new Collector();
    const s = new DescriptorStream(writer, () => fallback);
    // More than a pipe holds (64 KiB on Linux), in uneven pieces, every byte telling its place.
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
    for (let at = 0; at < data.length; at += 10_007) await write(s, data.subarray(at, at + 10_007));
    const direct = drain(reader);
    assert.ok(direct.length > 0 && direct.length < data.length, `${direct.length} bytes went straight to the pipe`);
    assert.ok(fallback.chunks.length > 0, 'the rest went to the fallback');
    assert.deepEqual(Buffer.concat([direct, ...fallback.chunks]), data);
    // Room again in the pipe: still the fallback, or the order could break.
    await write(s, 'after\n');
    assert.equal(drain(reader).length, 0);
    assert.equal(fallback.chunks.at(-1)!.toString(), 'after\n');
    closeSync(reader);
    closeSync(writer);
  });

  it('a reader that went away (EPIPE) fails the callback, not the process; later writes fail too', async () => {
    const { reader, writer } = pipe();
    closeSync(reader);
    const s = new DescriptorStream(writer, () => new Collector());
    await assert.rejects(write(s, 'result\n'), { code: 'EPIPE' });
    s.write('a line nobody reads\n'); // no callback: no uncaught 'error'
    await assert.rejects(write(s, 'more\n'));
    await new Promise((resolve) => setImmediate(resolve));
    closeSync(writer);
  });
});
