// A minimal ustar writer: enough for test image layers (regular files and directories).
// https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_06

export interface TarEntry {
  /** Relative path; directories end with '/'. */
  name: string;
  /** Omit for directories. */
  data?: Uint8Array;
  /** For large files: the size and a generator of exactly that many bytes. */
  stream?: { size: number; chunks: () => AsyncIterable<Uint8Array> };
  mode?: number;
}

const BLOCK = 512;

function writeString(buf: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`tar: "${text}" does not fit in ${length} bytes`);
  bytes.copy(buf, offset);
}

const octal = (value: number, length: number): string => value.toString(8).padStart(length - 1, '0') + '\0';

export function tarHeader(name: string, size: number, isDir: boolean, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, name, 0, 100);
  writeString(h, octal(mode, 8), 100, 8);
  writeString(h, octal(0, 8), 108, 8); // uid
  writeString(h, octal(0, 8), 116, 8); // gid
  writeString(h, octal(size, 12), 124, 12);
  writeString(h, octal(0, 12), 136, 12); // mtime: epoch, for reproducible layers
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  writeString(h, isDir ? '5' : '0', 156, 1);
  writeString(h, 'ustar\0', 257, 6);
  writeString(h, '00', 263, 2);
  writeString(h, 'root', 265, 32);
  writeString(h, 'root', 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

const padding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** The archive as a stream of buffers, ending with the two zero blocks. */
export async function* tarStream(entries: readonly TarEntry[]): AsyncGenerator<Uint8Array> {
  for (const entry of entries) {
    const isDir = entry.name.endsWith('/');
    const size = isDir ? 0 : (entry.stream?.size ?? entry.data?.length ?? 0);
    yield tarHeader(entry.name, size, isDir, entry.mode ?? (isDir ? 0o755 : 0o644));
    if (isDir) continue;
    let written = 0;
    if (entry.stream) {
      for await (const chunk of entry.stream.chunks()) {
        written += chunk.length;
        yield chunk;
      }
    } else if (entry.data) {
      written = entry.data.length;
      yield entry.data;
    }
    if (written !== size) throw new Error(`tar: ${entry.name} declared ${size} bytes but produced ${written}`);
    yield padding(size);
  }
  yield Buffer.alloc(BLOCK * 2);
}
