// Keyless signing: a fresh key certified by Fulcio for the OIDC identity, every signature logged
// in Rekor (optionally timestamped by a TSA). src/sigstore/keyless.ts does the protocol.
import { readFile } from 'node:fs/promises';
import { legacyKeylessLayer } from '../../cosign/keyless-layer.ts';
import type { Input } from '../../crypto/signer.ts';
import { fileError } from '../../fs/stream.ts';
import { keylessDsseBundle, keylessMessageBundle, keylessSignature, type KeylessOptions } from '../../sigstore/keyless.ts';
import type { OpEnv } from '../op-env.ts';
import { withEnvelope } from './key.ts';
import type { ArtifactSigner, LegacyLayer, RawSignature, SignedInput } from './types.ts';

export class KeylessArtifactSigner implements ArtifactSigner {
  readonly kind = 'keyless';
  readonly logged = true;
  readonly #opts: KeylessOptions;
  readonly #env: Pick<OpEnv, 'log'>;

  constructor(opts: KeylessOptions, env: Pick<OpEnv, 'log'>) {
    this.#opts = opts;
    this.#env = env;
  }

  async prepare(): Promise<void> {
    // The token was read when the signer was chosen; Fulcio is asked per signature.
  }

  async close(): Promise<void> {
    // Nothing held open: every signature gets a fresh key and certificate.
  }

  async publicKey(): Promise<undefined> {
    return undefined; // a fresh key for every signature
  }

  async sign(data: Uint8Array): Promise<RawSignature> {
    const { signature, certificate } = await keylessSignature(data, this.#opts);
    return { signature, certificateChain: [certificate] };
  }

  // The library signs the bytes themselves, so the input is read whole (see docs/keyless.md).
  async signInput(input: Input, opts: { bundle: boolean }): Promise<SignedInput> {
    const data =
      'path' in input
        ? await readFile(input.path).catch((e: unknown) => {
            throw fileError(e, input.name ?? input.path);
          })
        : await readAll(input.stream);
    const started = Date.now();
    const bundle = await this.messageBundle(data);
    this.#env.log.debug(`keyless signature for ${data.length} bytes in ${Date.now() - started} ms`);
    const parsed = JSON.parse(Buffer.from(bundle).toString('utf8')) as { messageSignature: { signature: string } };
    const signature = new Uint8Array(Buffer.from(parsed.messageSignature.signature, 'base64'));
    return { signature, size: data.length, ...(opts.bundle ? { bundle } : {}) };
  }

  messageBundle(data: Uint8Array): Promise<Uint8Array> {
    return keylessMessageBundle(data, this.#opts);
  }

  dsseBundle(payload: Uint8Array, payloadType: string): Promise<Uint8Array> {
    return keylessDsseBundle(payload, payloadType, this.#opts);
  }

  async legacySignature(payload: Uint8Array): Promise<LegacyLayer> {
    return legacyKeylessLayer(await this.messageBundle(payload));
  }

  async legacyAttestation(statement: Uint8Array, payloadType: string): Promise<Required<LegacyLayer>> {
    return withEnvelope(legacyKeylessLayer(await this.dsseBundle(statement, payloadType)));
  }
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}
