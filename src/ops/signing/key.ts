// A signer over a private key (a file today; a token or KMS key through key-ref.ts), with or
// without a Rekor entry for every signature (cosign's default, seal's --tlog-upload).
import { signEnvelope } from '../../attest/dsse.ts';
import { signDsseBundle } from '../../sigstore/key-bundle.ts';
import { legacyKeylessLayer } from '../../cosign/keyless-layer.ts';
import { ANNOTATION } from '../../cosign/layout.ts';
import { messageSignatureBundle } from '../../sigstore/message-bundle.ts';
import { signInput, type Input } from '../../crypto/signer.ts';
import type { PublicKeyInfo, Signer } from '../../crypto/types.ts';
import { SealError } from '../../errors.ts';
import type { OnProgress } from '../../progress.ts';
import type { TlogUploadOptions } from '../../sigstore/key-tlog.ts';
import type { OpEnv } from '../op-env.ts';
import type { ArtifactSigner, LegacyLayer, RawSignature, SignedInput } from './types.ts';

// @sigstore/sign (behind key-tlog.ts) costs ~40 ms to load; only --tlog-upload needs it.
const keyTlog = () => import('../../sigstore/key-tlog.ts');

export class KeyArtifactSigner implements ArtifactSigner {
  readonly kind = 'key';
  readonly logged: boolean;
  readonly #load: () => Promise<Signer>;
  readonly #tlog: TlogUploadOptions | undefined;
  readonly #env: Pick<OpEnv, 'log'>;
  #signer: Promise<Signer> | undefined;

  constructor(load: () => Promise<Signer>, opts: { tlog?: TlogUploadOptions; env: Pick<OpEnv, 'log'> }) {
    this.#load = load;
    this.#tlog = opts.tlog;
    this.logged = opts.tlog !== undefined;
    this.#env = opts.env;
  }

  async prepare(): Promise<void> {
    await this.#key();
  }

  async close(): Promise<void> {
    const pending = this.#signer;
    if (!pending) return;
    const signer = await pending.catch(() => undefined);
    await signer?.close?.();
  }

  async publicKey(): Promise<PublicKeyInfo> {
    return (await this.#key()).publicKey;
  }

  #key(): Promise<Signer> {
    return (this.#signer ??= (async () => {
      const signer = await this.#load();
      if (this.#tlog) (await keyTlog()).checkLoggableKey(signer);
      return signer;
    })());
  }

  async sign(data: Uint8Array): Promise<RawSignature> {
    const signer = await this.#key();
    const signature = await signer.sign(data);
    return { signature, ...(signer.certificateChain ? { certificateChain: signer.certificateChain } : {}) };
  }

  async signInput(input: Input, opts: { bundle: boolean; signal?: AbortSignal; onProgress?: OnProgress }): Promise<SignedInput> {
    const signer = await this.#key();
    const signed = await signInput(signer, input, { wantDigest: opts.bundle, signal: opts.signal, onProgress: opts.onProgress });
    if (!opts.bundle) return { signature: signed.signature, size: signed.size };
    // Logged before anything is written: a failed upload leaves no bundle without its entry.
    const entry = this.#tlog
      ? await (await keyTlog()).logHashedRekord({ digest: signed.digest!.bytes, signature: signed.signature, publicKeyPem: signer.publicKey.pem }, this.#tlog)
      : undefined;
    if (entry) this.#env.log.info(`tlog entry created with index: ${entry.logIndex}`);
    const bundle = messageSignatureBundle({
      publicKeyDer: signer.publicKey.der,
      digest: signed.digest!,
      signature: signed.signature,
      ...(entry ? { tlogEntries: [entry] } : {}),
    });
    return { signature: signed.signature, size: signed.size, bundle: Buffer.from(JSON.stringify(bundle)) };
  }

  async messageBundle(data: Uint8Array): Promise<Uint8Array> {
    const signer = await this.#key();
    if (this.#tlog) return (await keyTlog()).keyMessageBundle(signer, data, this.#tlog);
    return (await this.signInput({ stream: once(data) }, { bundle: true })).bundle!;
  }

  async dsseBundle(payload: Uint8Array, payloadType: string): Promise<Uint8Array> {
    const signer = await this.#key();
    if (this.#tlog) return (await keyTlog()).keyDsseBundle(signer, payload, payloadType, this.#tlog);
    return signDsseBundle(signer, payload, payloadType);
  }

  async legacySignature(payload: Uint8Array): Promise<LegacyLayer> {
    // Logged: the signature plus the Rekor bundle annotation, made from a logged bundle.
    if (this.#tlog) return legacyKeylessLayer(await this.messageBundle(payload));
    const { signature } = await this.sign(payload);
    return { annotations: { [ANNOTATION.signature]: Buffer.from(signature).toString('base64') } };
  }

  async legacyAttestation(statement: Uint8Array, payloadType: string): Promise<Required<LegacyLayer>> {
    if (this.#tlog) return withEnvelope(legacyKeylessLayer(await this.dsseBundle(statement, payloadType)));
    const signer = await this.#key();
    return { envelope: (await signEnvelope(statement, payloadType, signer)).bytes, annotations: {} };
  }
}

/** A legacy `.att` layer made from a bundle must carry its envelope. */
export function withEnvelope(layer: LegacyLayer): Required<LegacyLayer> {
  if (!layer.envelope) throw new SealError('internal', 'the attestation bundle holds no DSSE envelope');
  return { annotations: layer.annotations, envelope: layer.envelope };
}

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}
