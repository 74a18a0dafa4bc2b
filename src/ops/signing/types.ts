// The one signing abstraction (docs/design/signing.md). Operations get an ArtifactSigner from
// openSigner(options, env) and never ask which kind it is: a key file, a key whose signatures are
// logged in Rekor, keyless (Fulcio + Rekor, optional TSA), or a hardware/KMS key reached through
// the low-level crypto Signer (src/crypto/types.ts).
import type { Input } from '../../crypto/signer.ts';
import type { PublicKeyInfo } from '../../crypto/types.ts';
import type { OnProgress } from '../../progress.ts';

/** How to sign, as the flags say it (the CLI maps its flags onto this; nothing is loaded yet). */
export interface SigningOptions {
  /**
   * The private key reference: a file, env://VAR (later pkcs11:… and KMS URIs, see key-ref.ts).
   * Absent: keyless signing.
   */
  key?: string;
  /** With `key`: also log every signature in Rekor (cosign's default, seal's --tlog-upload). */
  tlogUpload?: boolean;
  /** Keyless: `--identity-token`, a JWT or a file holding one (else SIGSTORE_ID_TOKEN, CI providers, a login). */
  identityToken?: string;
  /** Keyless services; default: the signing config, else the public-good instances. */
  fulcioUrl?: string;
  /** Rekor (v1 API) for keyless signing and tlogUpload. */
  rekorUrl?: string;
  /** Keyless: an RFC 3161 timestamp authority. */
  tsaUrl?: string;
  /** Keyless: a signing_config.json naming the services (--signing-config). */
  signingConfig?: string;
  /** Keyless: take the services from the TUF cache's signing config (--use-signing-config). */
  useSigningConfig?: boolean;
  /** Keyless login (src/oidc): --oidc-issuer, --oidc-client-id, --oidc-client-secret-file, --oidc-redirect-url. */
  oidcIssuer?: string;
  oidcClientId?: string;
  oidcClientSecretFile?: string;
  oidcRedirectUrl?: string;
  /** Keyless: only this ambient provider (--oidc-provider), or none (--oidc-disable-ambient-providers). */
  oidcProvider?: string;
  oidcDisableAmbientProviders?: boolean;
  /** Keyless login flow: normal (browser), device, token (--fulcio-auth-flow). */
  fulcioAuthFlow?: string;
  /** --yes: no public transparency-log notice. */
  yes?: boolean;
}

/** A raw signature, as `sign` returns it. */
export interface RawSignature {
  /** DER for ECDSA, PKCS#1 v1.5 for RSA, 64 bytes for Ed25519. */
  signature: Uint8Array;
  /** PEM certificates, leaf first, when the signer has any (keyless: the Fulcio leaf). */
  certificateChain?: string[];
}

/** A legacy `.sig` layer's annotations, or a `.att` layer's blob and annotations (cosign v2). */
export interface LegacyLayer {
  annotations: Record<string, string>;
  /** `.att` only: the DSSE envelope JSON to store as the layer blob, byte for byte. */
  envelope?: Uint8Array;
}

export interface SignedInput {
  signature: Uint8Array;
  /** Bytes read. */
  size: number;
  /** The message-signature bundle JSON, when asked for (`bundle: true`). */
  bundle?: Uint8Array;
}

export interface ArtifactSigner {
  /** For messages: 'key', 'keyless' (others later: 'pkcs11', 'kms'). */
  readonly kind: string;
  /** Every bundle and legacy layer it makes carries a transparency-log entry. */
  readonly logged: boolean;
  /**
   * Loads whatever may fail or ask for a password (the key file, a token's PIN); idempotent.
   * Operations call it where such a failure should surface (after the cheap input checks); every
   * other method calls it too.
   */
  prepare(): Promise<void>;
  /** Ends what the signer holds open (a PKCS#11 session); operations call it when done. */
  close(): Promise<void>;
  /** The signing key's public half; undefined when every signature has its own key (keyless). */
  publicKey(): Promise<PublicKeyInfo | undefined>;
  /** Signs `data` (nothing is logged): the signature and the certificate chain, if any. */
  sign(data: Uint8Array): Promise<RawSignature>;
  /**
   * Signs everything `input` yields, in constant memory where the kind allows it (a local key);
   * with `bundle`, also a message-signature bundle (logged when `logged`).
   */
  signInput(input: Input, opts: { bundle: boolean; signal?: AbortSignal; onProgress?: OnProgress }): Promise<SignedInput>;
  /** A Sigstore bundle v0.3 with a message signature over `data`; the exact bytes to store. */
  messageBundle(data: Uint8Array): Promise<Uint8Array>;
  /** A Sigstore bundle v0.3 with a DSSE envelope over PAE(payloadType, payload). */
  dsseBundle(payload: Uint8Array, payloadType: string): Promise<Uint8Array>;
  /** The `.sig` layer annotations for a simple-signing payload, as cosign v2 writes them. */
  legacySignature(payload: Uint8Array): Promise<LegacyLayer>;
  /** The `.att` layer (envelope + annotations) for an in-toto statement, as cosign v2 writes it. */
  legacyAttestation(statement: Uint8Array, payloadType: string): Promise<Required<LegacyLayer>>;
}
