// sign-blob: signs a file (or stdin) with a key, reading it once in constant memory. Outputs:
// the base64 signature on stdout (no output flag), `--output-signature` (base64 without newline,
// as cosign writes it), and/or `--bundle` (a Sigstore bundle v0.3 with a messageSignature).
// Without a key it signs keylessly (src/sigstore/keyless.ts): the bundle is then required.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPrivateKey } from '../crypto/keys.ts';
import { messageSignatureBundle } from '../crypto/message-bundle.ts';
import { toBase64 } from '../crypto/pem.ts';
import { signInput, type Input } from '../crypto/signer.ts';
import { fileError, openInput } from '../crypto/stream.ts';
import { SealError } from '../errors.ts';
import { exists, writeFileAtomic } from '../fs/atomic.ts';
import type { Log } from '../log.ts';
import type { OnProgress } from '../progress.ts';
import type { TlogUploadOptions } from '../sigstore/key-tlog.ts';
import type { KeylessOptions } from '../sigstore/keyless.ts';

export interface SignBlobOptions {
  /** Absent for keyless signing, which then needs `keyless` and `bundle`. */
  key?: string;
  /** Keyless (Fulcio + Rekor) signing; used only when `key` is absent. */
  keyless?: KeylessOptions;
  /** With `key`: log the signature in Rekor (hashedrekord); the entry goes into the bundle. */
  tlog?: TlogUploadOptions;
  /** A path, or `-` for stdin. */
  file: string;
  bundle?: string;
  outputSignature?: string;
  /** Base64 (default) or raw DER for the signature file and stdout. */
  b64: boolean;
  /** Replace existing output files. */
  force: boolean;
  cwd?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

export interface SignBlobDeps {
  getPassword: () => Promise<Uint8Array>;
  /** A token PIN prompt on a terminal (pkcs11: keys); absent without one. */
  askSecret?: (prompt: string) => Promise<Uint8Array>;
  stdin: AsyncIterable<Uint8Array | string>;
  writeStdout: (data: string | Uint8Array) => Promise<void>;
  log: Log;
  signal?: AbortSignal;
  /** Bytes of the file hashed so far (and its size); not called for keyless signing. */
  onProgress?: OnProgress;
}

export interface SignBlobResult {
  signature: Uint8Array;
  size: number;
  bundle?: object;
}

export async function signBlob(opts: SignBlobOptions, deps: SignBlobDeps): Promise<SignBlobResult> {
  const resolve = (p: string) => path.resolve(opts.cwd ?? '.', p);
  // Everything that can be refused cheaply is refused before the password prompt and the hashing.
  if (opts.file !== '-') openInput(resolve(opts.file), 'file', opts.file).close();
  if (!opts.force) {
    for (const out of [opts.outputSignature, opts.bundle]) {
      if (out !== undefined && (await exists(resolve(out)))) {
        throw new SealError('input', `${out} already exists`, { hint: 'pass --force to overwrite it', code: 'FILE_EXISTS' });
      }
    }
  }
  if (opts.outputSignature !== undefined && opts.outputSignature === opts.bundle) {
    throw new SealError('usage', '--output-signature and --bundle name the same file');
  }
  if (opts.key !== undefined && opts.tlog !== undefined && opts.bundle === undefined) {
    throw new SealError('usage', '--tlog-upload needs --bundle (the log entry is kept in the bundle)', { hint: 'add --bundle FILE.sigstore.json' });
  }

  if (opts.key === undefined) return signBlobKeyless(opts, deps, resolve);

  const signer = await loadPrivateKey(opts.key, deps.getPassword, { env: opts.env, askSecret: deps.askSecret, log: deps.log, signal: deps.signal });
  const keyTlog = opts.tlog === undefined ? undefined : await import('../sigstore/key-tlog.ts');
  keyTlog?.checkLoggableKey(signer);
  const input: Input = opts.file === '-' ? { stream: deps.stdin, name: 'stdin' } : { path: resolve(opts.file), name: opts.file };
  const signed = await signInput(signer, input, { wantDigest: opts.bundle !== undefined, signal: deps.signal, onProgress: deps.onProgress });
  deps.log.debug(`signed ${signed.size} bytes from ${opts.file === '-' ? 'stdin' : opts.file}`);

  const sigOut: string | Uint8Array = opts.b64 ? toBase64(signed.signature) : signed.signature;
  let bundle: object | undefined;
  if (opts.bundle !== undefined) {
    // Logged before any file is written: a failed upload leaves no bundle without its entry.
    const entry = keyTlog
      ? await keyTlog.logHashedRekord({ digest: signed.digest!.bytes, signature: signed.signature, publicKeyPem: signer.publicKey.pem }, opts.tlog!)
      : undefined;
    if (entry) deps.log.info(`tlog entry created with index: ${entry.logIndex}`);
    bundle = messageSignatureBundle({
      publicKeyDer: signer.publicKey.der,
      digest: signed.digest!,
      signature: signed.signature,
      ...(entry ? { tlogEntries: [entry] } : {}),
    });
    await writeFileAtomic(resolve(opts.bundle), JSON.stringify(bundle) + '\n', { mode: 0o644, overwrite: opts.force });
    deps.log.info(`Wrote bundle to ${opts.bundle}`);
  }
  if (opts.outputSignature !== undefined) {
    await writeFileAtomic(resolve(opts.outputSignature), sigOut, { mode: 0o644, overwrite: opts.force });
    deps.log.info(`Wrote signature to ${opts.outputSignature}`);
  }
  if (opts.outputSignature === undefined && opts.bundle === undefined) {
    await deps.writeStdout(opts.b64 ? `${sigOut as string}\n` : sigOut);
  }
  return { signature: signed.signature, size: signed.size, ...(bundle ? { bundle } : {}) };
}

// Keyless: the library signs the bytes themselves, so the file is read whole (see docs/keyless.md).
async function signBlobKeyless(opts: SignBlobOptions, deps: SignBlobDeps, resolve: (p: string) => string): Promise<SignBlobResult> {
  if (opts.keyless === undefined) {
    throw new SealError('usage', 'sign-blob needs --key, or an identity token for keyless signing');
  }
  if (opts.bundle === undefined) {
    throw new SealError('usage', 'keyless sign-blob needs --bundle (the certificate and log entry live in the bundle)', {
      hint: 'add --bundle FILE.sigstore.json',
    });
  }
  const data = opts.file === '-' ? await readStream(deps.stdin) : await readFile(resolve(opts.file)).catch((e: unknown) => {
    throw fileError(e, opts.file);
  });
  const { keylessMessageBundle } = await import('../sigstore/keyless.ts');
  const started = Date.now();
  const bytes = await keylessMessageBundle(data, opts.keyless);
  deps.log.debug(`keyless signature for ${data.length} bytes in ${Date.now() - started} ms`);
  const bundle = JSON.parse(Buffer.from(bytes).toString('utf8')) as { messageSignature: { signature: string } };
  await writeFileAtomic(resolve(opts.bundle), Buffer.concat([bytes, Buffer.from('\n')]), { mode: 0o644, overwrite: opts.force });
  deps.log.info(`Wrote bundle to ${opts.bundle}`);
  const signature = Buffer.from(bundle.messageSignature.signature, 'base64');
  if (opts.outputSignature !== undefined) {
    await writeFileAtomic(resolve(opts.outputSignature), opts.b64 ? toBase64(signature) : signature, { mode: 0o644, overwrite: opts.force });
    deps.log.info(`Wrote signature to ${opts.outputSignature}`);
  }
  return { signature, size: data.length, bundle };
}

async function readStream(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}
