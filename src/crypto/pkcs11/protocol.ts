// The messages between seal and its token agent (agent.ts), a child process that holds the
// PKCS#11 module. Vendor modules run native code inside the process that loads them: in a child,
// one that crashes or hangs costs that child, and seal still prints one line and exits.

export interface TokenSelector {
  token?: string;
  slotId?: number;
}

export interface KeySelector {
  object?: string;
  id?: Uint8Array;
}

export type AgentRequest =
  | { op: 'load'; modulePath: string }
  | { op: 'tokens' }
  | { op: 'token'; select: TokenSelector }
  | { op: 'session'; rw: boolean; pin?: string; /** Log in through the token's own PIN pad (no PIN sent). */ pinPad?: boolean }
  | { op: 'key'; select: KeySelector }
  | { op: 'keys' }
  | { op: 'public'; select: KeySelector }
  | { op: 'sign'; mechanism: 'ecdsa' | 'rsa-pkcs'; data: Uint8Array }
  | { op: 'generate'; curve: 'P-256' | 'P-384'; label?: string; id: Uint8Array }
  | { op: 'close' };

export interface TokenSummary {
  slot: number;
  label: string;
  manufacturer: string;
  model: string;
  serial: string;
  loginRequired: boolean;
  /** CKF_PROTECTED_AUTHENTICATION_PATH: the PIN is entered on the device, not sent. */
  pinPad: boolean;
}

export type PublicKeyParts =
  | { kind: 'ec'; params: Uint8Array; point: Uint8Array }
  | { kind: 'rsa'; modulus: Uint8Array; exponent: Uint8Array }
  | { kind: 'cert'; der: Uint8Array }
  | { kind: 'other'; keyType: number };

export interface KeyEntry {
  label?: Uint8Array;
  id?: Uint8Array;
}

export interface FoundKey {
  /** Private keys that matched; the key is usable only when this is 1. */
  matches: KeyEntry[];
  publicKey?: PublicKeyParts;
  /** CKK_* of the private key. */
  keyType?: number;
  /** The mechanisms the token offers (CKM_* numbers). */
  mechanisms: number[];
}

/** The public half alone (verifying): how many public key objects matched, and the key. */
export interface FoundPublicKey {
  matches: number;
  publicKey?: PublicKeyParts;
}

/** A Cryptoki or loader failure, as the agent reports it. */
export interface AgentFailure {
  /** CKR_… name for a Cryptoki error, or LOAD for a module that would not load. */
  ckr: string;
  /** The C_ function (or step) that failed. */
  fn: string;
  message: string;
}

export type AgentReply = { ok: true; value: unknown } | { ok: false; error: AgentFailure };

/** CKK_* and CKM_* values seal uses, from the PKCS#11 2.40 headers. */
export const CKK_RSA = 0x0;
export const CKK_EC = 0x3;
export const CKM_RSA_PKCS = 0x1;
export const CKM_EC_KEY_PAIR_GEN = 0x1040;
export const CKM_ECDSA = 0x1041;

/** DER OIDs (CKA_EC_PARAMS) of the curves seal signs with. */
export const CURVE_PARAMS: Readonly<Record<'P-256' | 'P-384' | 'P-521', string>> = {
  'P-256': '06082a8648ce3d030107',
  'P-384': '06052b81040022',
  'P-521': '06052b81040023',
};
