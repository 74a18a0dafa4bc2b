// pkcs11-tool list-tokens / list-keys-uris: what a PKCS#11 module offers, in cosign's output
// (cmd/cosign/cli/pkcs11cli/commands.go), so scripts that read it keep working. One difference:
// cosign puts the PIN into every URI it lists (&pin-value=…); seal never prints a PIN.
import { SealError } from '../errors.ts';
import type { OpEnv } from './op-env.ts';

export interface Pkcs11ToolOptions {
  /** --module-path, else SEAL_/COSIGN_PKCS11_MODULE_PATH. */
  modulePath?: string;
  env: Readonly<Record<string, string | undefined>>;
}

function modulePath(opts: Pkcs11ToolOptions): string {
  const p = opts.modulePath || opts.env.SEAL_PKCS11_MODULE_PATH || opts.env.COSIGN_PKCS11_MODULE_PATH;
  if (!p) {
    throw new SealError('usage', 'please specify --module-path or set COSIGN_PKCS11_MODULE_PATH', {
      hint: 'e.g. --module-path /usr/lib/softhsm/libsofthsm2.so',
    });
  }
  return p;
}

export async function listTokensOp(opts: Pkcs11ToolOptions, env: OpEnv): Promise<void> {
  const mod = modulePath(opts);
  const { listTokens } = await import('../crypto/pkcs11/token.ts');
  const tokens = await listTokens(mod, { env: opts.env, log: env.log, signal: env.signal });
  let out = `\nListing tokens of PKCS11 module '${mod}'\n`;
  for (const t of tokens) {
    out += `Token in slot ${t.slot}\n\tLabel: ${t.label}\n\tManufacturer: ${t.manufacturer}\n\tModel: ${t.model}\n\tS/N: ${t.serial}\n\n`;
  }
  await env.writeStdout(out);
}

export async function listKeysUrisOp(opts: Pkcs11ToolOptions & { slotId: number; pin?: string }, env: OpEnv): Promise<void> {
  const mod = modulePath(opts);
  const [{ listKeys }, { formatPkcs11Uri }] = await Promise.all([import('../crypto/pkcs11/token.ts'), import('../crypto/pkcs11/uri.ts')]);
  const { token, keys } = await listKeys(mod, opts.slotId, opts.pin || undefined, {
    env: opts.env,
    log: env.log,
    ...(env.askSecret ? { askSecret: (prompt: string) => env.askSecret!(prompt) } : {}),
    signal: env.signal,
  });
  let out = `\nListing URIs of keys in slot '${opts.slotId}' of PKCS11 module '${mod}'\n`;
  let i = 0;
  for (const k of keys) {
    // As cosign: an object with neither label nor id cannot be named by a URI and is left out.
    if (!k.label?.length && !k.id?.length) continue;
    const uri = formatPkcs11Uri({
      modulePath: mod,
      token: token.label,
      slotId: opts.slotId,
      ...(k.id ? { id: k.id } : {}),
      ...(k.label ? { object: k.label } : {}),
    });
    out += `Object ${i++}\n`;
    if (k.label?.length) out += `\tLabel: ${Buffer.from(k.label).toString('utf8')}\n`;
    if (k.id?.length) out += `\tID: ${Buffer.from(k.id).toString('hex')}\n`;
    out += `\tURI: ${uri}\n`;
  }
  await env.writeStdout(out);
}
