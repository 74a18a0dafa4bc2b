// Where a token's PIN comes from (docs/hardware-keys.md): pin-value, pin-source, SEAL_PKCS11_PIN or
// COSIGN_PKCS11_PIN, else a prompt on a terminal when the token needs a login, or the token's own
// PIN pad. Nothing here ever puts a PIN into a message.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SealError } from '../../errors.ts';
import type { TokenSummary } from './protocol.ts';
import type { Log } from '../../log.ts';
import type { Pkcs11Uri } from './uri.ts';

/** What a PIN can come from besides the URI: the environment, a terminal prompt, messages. */
export interface PinSources {
  env: Readonly<Record<string, string | undefined>>;
  /** Asks for the PIN on a terminal; absent when there is none (then the PIN must come from elsewhere). */
  askSecret?: (prompt: string) => Promise<Uint8Array>;
  log?: Log;
}

export const MAX_PIN_FILE = 4096;
/** How to log in: with a PIN, on the device's own PIN pad, or not at all (undefined). */
export type Login = { pin: string } | { pinPad: true } | undefined;
export const sessionRequest = (rw: boolean, login: Login) => ({ op: 'session', rw, ...login }) as const;
/** The PIN: pin-value, pin-source, SEAL_/COSIGN_PKCS11_PIN, else asked on a terminal when the token needs one. */
export async function resolvePin(uri: Pkcs11Uri, te: PinSources, token: TokenSummary, prompt: string): Promise<Login> {
  if (uri.pinValue !== undefined) return { pin: uri.pinValue };
  if (uri.pinSource !== undefined) return { pin: readPinSource(uri.pinSource) };
  return envOrPrompt(te, token, prompt);
}

export async function envOrPrompt(te: PinSources, token: TokenSummary, prompt: string): Promise<Login> {
  const fromEnv = te.env.SEAL_PKCS11_PIN || te.env.COSIGN_PKCS11_PIN;
  if (fromEnv) return { pin: fromEnv };
  if (!token.loginRequired) return undefined;
  if (token.pinPad) {
    te.log?.info(`Enter the PIN on the PIN pad of PKCS11 token '${token.label}'`);
    return { pinPad: true };
  }
  if (!te.askSecret) {
    throw new SealError('input', `PKCS#11 token '${token.label}' needs a PIN and there is no terminal to ask for it`, {
      hint: 'set COSIGN_PKCS11_PIN, or add pin-source=file:/path/to/pin to the URI',
      code: 'PIN_REQUIRED',
    });
  }
  return { pin: Buffer.from(await te.askSecret(prompt)).toString('utf8') };
}

export function readPinSource(source: string): string {
  if (source.startsWith('|')) {
    throw new SealError('input', 'pin-source=|command is not supported', { hint: 'use pin-source=file:/path/to/pin', code: 'BAD_PKCS11_URI' });
  }
  let file: string;
  try {
    file = source.startsWith('file:') ? fileURLToPath(source) : source;
  } catch {
    throw new SealError('input', `pin-source ${source} is not a file: URI or a path`, { code: 'BAD_PKCS11_URI' });
  }
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_PIN_FILE) throw new Error('too large');
    bytes = readFileSync(file);
  } catch (err) {
    throw new SealError('input', `cannot read the PIN from pin-source ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      code: 'PIN_REQUIRED',
    });
  }
  // One line ending goes, as with piped passwords.
  return bytes.toString('utf8').replace(/\r?\n$/, '');
}
