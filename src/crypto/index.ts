// The key and signing API other layers use. Import from here (or the files named) rather than
// reaching into node:crypto, so key formats stay in one place.
export type { HashAlgorithm, KeyAlgorithm, PublicKeyInfo, Signer, Verifier } from './types.ts';
export {
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  parsePrivateKey,
  parsePublicKey,
  readKeyRef,
  type GeneratedKeyPair,
  type KeyLoadOptions,
  type ParsedPrivateKey,
  type PrivateKeyFormat,
} from './keys.ts';
export {
  COSIGN_KEY_LABEL,
  DEFAULT_SCRYPT,
  SIGSTORE_KEY_LABEL,
  decryptPrivateKey,
  decryptPrivateKeyAsync,
  encryptPrivateKey,
  encryptPrivateKeyAsync,
  parseEncryptedKey,
  type ScryptParams,
} from './encrypted-key.ts';
export { KeySigner, KeyVerifier, signInput, verifyInput, type Input, type SignedInput } from './signer.ts';
export { messageSignatureBundle, publicKeyHint, BUNDLE_V03_MEDIA_TYPE } from './message-bundle.ts';
export { signatureShapeProblem } from './signature-shape.ts';
export { decodePemBlocks, encodePem } from './pem.ts';
