// An OCI image layout directory as an ImageStore: `oci:DIR[:TAG]` works wherever an image
// reference does. https://github.com/opencontainers/image-spec/blob/v1.1.0/image-layout.md
// index.json is rewritten under a lock file and replaced atomically, so concurrent seal
// processes never lose each other's tags; tag writes with ifMatch are compare-and-swap.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, createReadStream, fstatSync, openSync, promises as fs, readSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { SealError, flattenControls } from '../errors.ts';
import type { TransferOptions } from '../progress.ts';
import { sha256Digest } from './digest.ts';
import { OCI_INDEX } from './media-types.ts';
import type { LayoutReference } from './reference.ts';
import type { BlobInfo, ImageStore, PutManifestOptions, PutManifestResult, StoreOptions } from './store.ts';
import type { Descriptor, FetchedManifest, ImageIndex } from './types.ts';

const REF_NAME = 'org.opencontainers.image.ref.name';
const DEFAULT_MAX_BLOB = 128 * 1024 * 1024;
const MAX_MANIFEST = 4 * 1024 * 1024;
/** index.json holds one small entry per tag: 16 MiB is hundreds of thousands of them. */
const MAX_INDEX = 16 * 1024 * 1024;
// O_NOFOLLOW: a last path component that is a symlink fails to open (ELOOP) instead of being
// followed; O_NONBLOCK: opening a FIFO does not wait for a writer. Neither changes regular files.
const OPEN_FLAGS = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);
const LOCK_STALE_MS = 30_000;

export class LayoutStore implements ImageStore {
  readonly ref: LayoutReference;
  readonly name: string;
  readonly atomicTagUpdates = true;
  readonly dir: string;

  /** Aborted on SIGINT/SIGTERM: streams and lock waits stop. */
  readonly signal: AbortSignal | undefined;

  private constructor(ref: LayoutReference, dir: string, signal?: AbortSignal) {
    this.ref = ref;
    this.dir = dir;
    this.name = `oci:${ref.path}`;
    this.signal = signal;
  }

  static async open(ref: LayoutReference, opts: StoreOptions): Promise<LayoutStore> {
    return new LayoutStore(ref, path.resolve(opts.cwd ?? '', ref.path), opts.signal);
  }

  /** Creates the layout directory when missing (for writers that start a new layout). */
  async init(): Promise<void> {
    await fs.mkdir(path.join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const layoutFile = path.join(this.dir, 'oci-layout');
    await fs.writeFile(layoutFile, '{"imageLayoutVersion":"1.0.0"}', { flag: 'wx' }).catch(ignoreExists);
    await fs
      .writeFile(path.join(this.dir, 'index.json'), '{"schemaVersion":2,"mediaType":"' + OCI_INDEX + '","manifests":[]}', {
        flag: 'wx',
      })
      .catch(ignoreExists);
  }

  private blobPath(digest: string): string {
    const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
    if (!m) throw new SealError('input', `unsupported digest ${JSON.stringify(String(digest).slice(0, 100))} (seal reads sha256 only)`);
    return path.join(this.dir, 'blobs', 'sha256', m[1]!);
  }

  private async readIndex(): Promise<ImageIndex> {
    let text: string;
    try {
      text = Buffer.from(await this.readLayoutFile(path.join(this.dir, 'index.json'), MAX_INDEX, 'index.json')).toString('utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const stat = await fs.stat(this.dir).catch(() => null);
        throw new SealError('not-found', stat ? `${this.dir} is not an OCI image layout (no index.json)` : `OCI layout directory ${this.dir} does not exist`, {
          hint: 'create one with `skopeo copy docker://IMAGE oci:DIR:TAG` or point oci: at a layout directory',
        });
      }
      throw err;
    }
    let index: unknown;
    try {
      index = JSON.parse(text);
    } catch (err) {
      // JSON.parse quotes the raw text around the error: keep the message on one line.
      const why = flattenControls((err as Error).message);
      throw new SealError('input', `${this.dir}/index.json is not a valid OCI index: ${why}`);
    }
    if (typeof index !== 'object' || index === null || !Array.isArray((index as ImageIndex).manifests)) {
      throw new SealError('input', `${this.dir}/index.json is not a valid OCI index: no manifests array`);
    }
    // Entries are used as they are (and written back unchanged); readers go through refName/digestOf.
    return index as ImageIndex;
  }

  /** Read-modify-write of index.json under an exclusive lock; the file is replaced atomically. */
  private async updateIndex<T>(fn: (index: ImageIndex) => T): Promise<T> {
    await this.init();
    const release = await this.lock();
    try {
      const index = await this.readIndex();
      const result = fn(index);
      const tmp = path.join(this.dir, `.index.json.${randomBytes(6).toString('hex')}.tmp`);
      await fs.writeFile(tmp, JSON.stringify(index));
      await fs.rename(tmp, path.join(this.dir, 'index.json'));
      return result;
    } finally {
      await release();
    }
  }

  private async lock(): Promise<() => Promise<void>> {
    const lockFile = path.join(this.dir, 'index.json.lock');
    const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.writeFile(lockFile, token, { flag: 'wx' });
        return async () => {
          const owner = await fs.readFile(lockFile, 'utf8').catch(() => '');
          if (owner === token) await fs.unlink(lockFile).catch(() => {});
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const st = await fs.stat(lockFile).catch(() => null);
        // A lock older than LOCK_STALE_MS belongs to a process that died holding it.
        if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) await fs.unlink(lockFile).catch(() => {});
        if (attempt > 2000) throw new SealError('conflict', `timed out waiting for the lock on ${lockFile}`);
        if (this.signal?.aborted) throw new SealError('interrupted', `interrupted while waiting for the lock on ${lockFile}; nothing was written`);
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
      }
    }
  }

  /**
   * Opens a file of the layout for reading, refusing what a hostile layout could put there
   * instead of a blob: a symlink leading out of the layout (to /dev/zero, /etc/shadow, another
   * layout), a FIFO, a device, a directory. Symlinks that stay inside the layout are followed.
   * The file is opened with O_NOFOLLOW | O_NONBLOCK and checked on the open descriptor (fstat),
   * so what is checked is what is read. ENOENT passes through as it is.
   */
  private async openLayoutFile(file: string, what: string): Promise<{ handle: fs.FileHandle; stat: Stats }> {
    const real = await fs.realpath(file);
    const root = await this.realDir();
    this.refuseOutside(real, root, what);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(real, OPEN_FLAGS);
    } catch (err) {
      throw this.openError(err, what);
    }
    try {
      const stat = await handle.stat();
      this.refuseNonFile(stat, what);
      return { handle, stat };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  // The checks openLayoutFile and openLayoutFileSync share.
  private refuseOutside(real: string, root: string, what: string): void {
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new SealError('input', `${what} in ${this.name} is a link to ${flattenControls(real)}, outside the layout; refused`, {
        code: 'LAYOUT_ESCAPE',
        hint: 'blobs of an OCI layout must be regular files inside it',
      });
    }
  }

  private openError(err: unknown, what: string): unknown {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      return new SealError('input', `${what} in ${this.name} changed into a symbolic link while it was opened; refused`, { code: 'LAYOUT_ESCAPE' });
    }
    return err;
  }

  private refuseNonFile(stat: Stats, what: string): void {
    if (stat.isFile()) return;
    const kind = stat.isFIFO()
      ? 'a FIFO'
      : stat.isCharacterDevice() || stat.isBlockDevice()
        ? 'a device'
        : stat.isDirectory()
          ? 'a directory'
          : stat.isSocket()
            ? 'a socket'
            : 'not a regular file';
    throw new SealError('input', `${what} in ${this.name} is ${kind}, not a regular file; refused`, {
      code: 'LAYOUT_NOT_A_FILE',
      hint: 'blobs of an OCI layout must be regular files inside it',
    });
  }

  #realDir: Promise<string> | undefined;
  private realDir(): Promise<string> {
    this.#realDir ??= fs.realpath(this.dir);
    return this.#realDir;
  }

  /**
   * openLayoutFile's checks, synchronously, on a file descriptor: for the whole-file reads
   * (index.json, manifests, small blobs) and hasBlob. Local files read at once cost less this way
   * than through fs.promises, whose module and FileHandle round trips are a good part of a small
   * `seal verify oci:...` (docs/design/startup.md). Streams (openBlob) stay asynchronous.
   */
  private openLayoutFileSync(file: string, what: string): { fd: number; stat: Stats } {
    const real = realpathSync(file);
    this.#realDirSync ??= realpathSync(this.dir);
    const root = this.#realDirSync;
    this.refuseOutside(real, root, what);
    let fd: number;
    try {
      fd = openSync(real, OPEN_FLAGS);
    } catch (err) {
      throw this.openError(err, what);
    }
    try {
      const stat = fstatSync(fd);
      this.refuseNonFile(stat, what);
      return { fd, stat };
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  #realDirSync: string | undefined;

  /** A whole layout file, at most `max` bytes (else an error naming `what`), read through openLayoutFileSync. */
  private async readLayoutFile(file: string, max: number, what: string): Promise<Uint8Array> {
    const { fd, stat } = this.openLayoutFileSync(file, what);
    try {
      if (stat.size > max) {
        throw new SealError('input', `${what} in ${this.name} is ${stat.size} bytes, more than the ${max}-byte limit`, { code: 'BLOB_TOO_LARGE' });
      }
      // Exactly the size fstat gave, and one byte more to notice a file still growing.
      const buf = Buffer.allocUnsafe(stat.size + 1);
      let got = 0;
      while (got < buf.length) {
        const bytesRead = readSync(fd, buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got > stat.size) throw new SealError('input', `${what} in ${this.name} grew while it was read; refused`, { code: 'SIZE_MISMATCH' });
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async getManifest(reference: string): Promise<FetchedManifest | null> {
    let desc: Descriptor | undefined;
    const index = await this.readIndex();
    if (reference.startsWith('sha256:')) {
      desc = index.manifests.find((m) => digestOf(m) === reference);
      if (!(await this.hasBlob(reference))) return null;
    } else {
      desc = findTag(index, reference);
      if (!desc) return null;
    }
    const digest = desc ? digestOf(desc) : reference;
    if (digest === undefined) {
      throw new SealError('input', `${this.dir}/index.json is damaged: the entry for ${reference} has no digest string`);
    }
    const bytes = await this.getBlob(digest, { maxBytes: MAX_MANIFEST });
    let mediaType = typeof desc?.mediaType === 'string' ? desc.mediaType : undefined;
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      throw new SealError('input', `${digest} in ${this.name} is not a JSON manifest`);
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new SealError('input', `${digest} in ${this.name} is not a JSON manifest`);
    }
    const own = (doc as { mediaType?: unknown }).mediaType;
    if (typeof own === 'string' && own) mediaType = own;
    return { digest, mediaType: mediaType ?? 'application/vnd.oci.image.manifest.v1+json', bytes, etag: digest };
  }

  async putManifest(bytes: Uint8Array, mediaType: string, opts: PutManifestOptions = {}): Promise<PutManifestResult> {
    const { digest } = await this.putBlob(bytes);
    if (opts.tag !== undefined) {
      const tag = opts.tag;
      await this.updateIndex((index) => {
        const current = findTag(index, tag);
        if (opts.ifMatch !== undefined && (current?.digest ?? '') !== opts.ifMatch) {
          throw new SealError('conflict', `tag ${tag} in ${this.name} changed while it was being updated`, {
            code: 'PRECONDITION_FAILED',
          });
        }
        index.manifests = index.manifests.filter((m) => refName(m) !== tag);
        index.manifests.push({ mediaType, digest, size: bytes.length, annotations: { [REF_NAME]: tag } });
      });
    }
    return { digest };
  }

  async deleteManifest(digest: string): Promise<void> {
    await this.updateIndex((index) => {
      index.manifests = index.manifests.filter((m) => digestOf(m) !== digest);
    });
  }

  async deleteTag(tag: string): Promise<void> {
    await this.updateIndex((index) => {
      index.manifests = index.manifests.filter((m) => refName(m) !== tag);
    });
  }

  async listTags(): Promise<string[]> {
    const index = await this.readIndex();
    return index.manifests.map(refName).filter((t): t is string => t !== undefined);
  }

  async hasBlob(digest: string): Promise<boolean> {
    // Present means readable: a link out of the layout, a FIFO or a device is not a blob. A digest
    // that is not sha256 hex is an error, not an absent blob.
    const file = this.blobPath(digest);
    try {
      closeSync(this.openLayoutFileSync(file, `blob ${digest}`).fd);
      return true;
    } catch {
      return false;
    }
  }

  async getBlob(digest: string, opts: { maxBytes?: number } & TransferOptions = {}): Promise<Uint8Array> {
    const file = this.blobPath(digest);
    const max = opts.maxBytes ?? DEFAULT_MAX_BLOB;
    let bytes: Uint8Array;
    try {
      bytes = await this.readLayoutFile(file, max, `blob ${digest}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SealError('not-found', `blob ${digest} is missing from ${this.name}`);
      }
      throw err;
    }
    if (sha256Digest(bytes) !== digest) {
      throw new SealError('verification', `blob ${digest} in ${this.name} does not match its digest (corrupted layout)`);
    }
    opts.onProgress?.(bytes.length, bytes.length); // one local read: nothing to show on the way
    return bytes;
  }

  async openBlob(digest: string, opts: TransferOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const file = this.blobPath(digest);
    let opened: { handle: fs.FileHandle; stat: Stats };
    try {
      opened = await this.openLayoutFile(file, `blob ${digest}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SealError('not-found', `blob ${digest} is missing from ${this.name}`);
      throw err;
    }
    const { handle, stat } = opened;
    const size = stat.size;
    const name = this.name;
    const onProgress = opts.onProgress;
    const signal = this.signal;
    return (async function* () {
      const hash = createHash('sha256');
      let done = 0;
      try {
        // No more than the size fstat gave: a file that grows meanwhile fails the digest check.
        const stream = size === 0 ? [] : handle.createReadStream({ start: 0, end: size - 1, autoClose: false, ...(signal ? { signal } : {}) });
        for await (const chunk of stream) {
          hash.update(chunk as Buffer);
          if (onProgress) onProgress((done += (chunk as Buffer).length), size);
          yield chunk as Buffer;
        }
      } finally {
        await handle.close();
      }
      if (`sha256:${hash.digest('hex')}` !== digest) {
        throw new SealError('verification', `blob ${digest} in ${name} does not match its digest (corrupted layout)`);
      }
    })();
  }

  async putBlob(data: Uint8Array, opts: TransferOptions = {}): Promise<BlobInfo> {
    const digest = sha256Digest(data);
    const info = { digest, size: data.length };
    if (!(await this.hasBlob(digest))) {
      await this.init();
      const target = this.blobPath(digest);
      const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, target);
    }
    opts.onProgress?.(data.length, data.length); // one local write: nothing to show on the way
    return info;
  }

  async putBlobFile(file: string, known?: BlobInfo, opts: TransferOptions = {}): Promise<BlobInfo> {
    const onProgress = opts.onProgress;
    if (known && (await this.hasBlob(known.digest))) {
      onProgress?.(known.size, known.size);
      return known;
    }
    await this.init();
    const total = onProgress
      ? await fs.stat(file).then(
          (s) => s.size,
          () => undefined,
        )
      : undefined;
    const tmp = path.join(this.dir, 'blobs', 'sha256', `.upload-${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const out = await fs.open(tmp, 'w');
      try {
        for await (const chunk of createReadStream(file)) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          await out.write(chunk as Buffer);
          if (onProgress) onProgress(size, total === undefined ? undefined : Math.max(total, size));
        }
      } finally {
        await out.close();
      }
      const digest = `sha256:${hash.digest('hex')}`;
      if (known && known.digest !== digest) {
        throw new SealError('verification', `${file} does not match the expected digest ${known.digest}`);
      }
      await fs.rename(tmp, this.blobPath(digest));
      return { digest, size };
    } finally {
      await fs.unlink(tmp).catch(() => {});
    }
  }

  async referrers(): Promise<null> {
    // Layouts have no referrers API; the sha256-<hex> tag-schema fallback index serves instead.
    return null;
  }
}

function findTag(index: ImageIndex, tag: string): Descriptor | undefined {
  return index.manifests.find((m) => refName(m) === tag);
}

// index.json is read as it is on disk, so an entry may be anything: these never throw.
function refName(entry: unknown): string | undefined {
  const annotations = (entry as Descriptor | null)?.annotations;
  const name = typeof annotations === 'object' && annotations !== null ? annotations[REF_NAME] : undefined;
  return typeof name === 'string' ? name : undefined;
}

function digestOf(entry: unknown): string | undefined {
  const digest = (entry as Descriptor | null)?.digest;
  return typeof digest === 'string' ? digest : undefined;
}

function ignoreExists(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EEXIST') throw err;
}
