// sign-blob: signs a file (or stdin), reading it once in constant memory when the signer allows
// it (a key). Outputs: the base64 signature on stdout (no output flag), `--output-signature`
// (base64 without newline, as cosign writes it), and/or `--bundle` (a Sigstore bundle v0.3 with a
// messageSignature); output files are replaced when they exist, as cosign does. Keyless signing and a key with --tlog-upload need the bundle: the
// certificate and the log entry live there.
import path from 'node:path';
import { toBase64 } from '../crypto/pem.ts';
import type { Input } from '../crypto/signer.ts';
import { openInput, sameFile } from '../fs/stream.ts';
import { SealError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { bundleParts } from '../sigstore/bundle-parts.ts';
import type { OpEnv } from './op-env.ts';
import { openSigner } from './signing/open.ts';
import type { SigningOptions } from './signing/types.ts';

export interface SignBlobOptions {
  signing: SigningOptions;
  /** A path, or `-` for stdin. */
  file: string;
  bundle?: string;
  outputSignature?: string;
  /** Keyless: also write the signing certificate (PEM) here; a key signature has none (a warning). */
  outputCertificate?: string;
  /** Base64 (default) or raw DER for the signature file and stdout. */
  b64: boolean;
}

export interface SignBlobResult {
  signature: Uint8Array;
  size: number;
  bundle?: object;
}

export async function signBlob(opts: SignBlobOptions, env: OpEnv): Promise<SignBlobResult> {
  const resolve = (p: string) => path.resolve(env.cwd, p);
  const signer = await openSigner(opts.signing, env, {
    command: 'sign-blob',
    ...(opts.file === '-' ? { stdinInUse: 'the file to sign' } : {}),
    check: (kind) => {
      if (opts.bundle !== undefined) return;
      if (kind === 'keyless') {
        throw new SealError('usage', 'keyless sign-blob needs --bundle (the certificate and log entry live in the bundle)', {
          hint: 'add --bundle FILE.sigstore.json',
        });
      }
      if (opts.signing.tlogUpload) {
        throw new SealError('usage', '--tlog-upload needs --bundle (the log entry is kept in the bundle)', { hint: 'add --bundle FILE.sigstore.json' });
      }
    },
  });
  try {
    // Everything that can be refused cheaply is refused before the password prompt and the hashing.
    if (opts.file !== '-') openInput(resolve(opts.file), 'file', opts.file).close();
    if (opts.outputSignature !== undefined && opts.outputSignature === opts.bundle) {
      throw new SealError('usage', '--output-signature and --bundle name the same file');
    }
    // Output files are replaced (as cosign does): one naming the input would destroy the artifact.
    if (opts.file !== '-') {
      for (const [flag, out] of [
        ['--bundle', opts.bundle],
        ['--output-signature', opts.outputSignature],
        ['--output-certificate', opts.outputCertificate],
      ] as const) {
        if (out !== undefined && sameFile(resolve(out), resolve(opts.file))) {
          throw new SealError('usage', `${flag} ${out} is the file being signed; it would be replaced`, {
            hint: `write the ${flag.slice(2).replace('output-', '')} to another file`,
          });
        }
      }
    }
    await signer.prepare();

    const input: Input = opts.file === '-' ? { stream: env.stdin, name: 'stdin' } : { path: resolve(opts.file), name: opts.file };
    const label = `Signing ${opts.file === '-' ? 'stdin' : path.basename(opts.file)}`;
    const onProgress = signer.kind === 'keyless' ? undefined : env.progress?.(label);
    const signed = await signer.signInput(input, { bundle: opts.bundle !== undefined, signal: env.signal, ...(onProgress ? { onProgress } : {}) });
    env.log.debug(`signed ${signed.size} bytes from ${opts.file === '-' ? 'stdin' : opts.file}`);

    const sigOut: string | Uint8Array = opts.b64 ? toBase64(signed.signature) : signed.signature;
    if (opts.bundle !== undefined && signed.bundle) {
      await writeFileAtomic(resolve(opts.bundle), Buffer.concat([signed.bundle, Buffer.from('\n')]), { mode: 0o644, overwrite: true });
      env.log.info(`Wrote bundle to ${opts.bundle}`);
    }
    if (opts.outputSignature !== undefined) {
      await writeFileAtomic(resolve(opts.outputSignature), sigOut, { mode: 0o644, overwrite: true });
      env.log.info(`Wrote signature to ${opts.outputSignature}`);
    }
    if (opts.outputSignature === undefined && opts.bundle === undefined) {
      await env.writeStdout(opts.b64 ? `${sigOut as string}\n` : sigOut);
    }
    if (opts.outputCertificate !== undefined) {
      const pem = signed.bundle ? bundleParts(signed.bundle).certificatePem : undefined;
      if (pem === undefined) {
        env.log.warn(`--output-certificate: a key signature has no certificate; ${opts.outputCertificate} not written`);
      } else {
        await writeFileAtomic(resolve(opts.outputCertificate), pem, { overwrite: true, mode: 0o644 });
        env.log.info(`Wrote certificate to file ${opts.outputCertificate}`);
      }
    }
    const bundle = signed.bundle ? (JSON.parse(Buffer.from(signed.bundle).toString('utf8')) as object) : undefined;
    return { signature: signed.signature, size: signed.size, ...(bundle ? { bundle } : {}) };
  } finally {
    await signer.close();
  }
}
