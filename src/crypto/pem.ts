// PEM (RFC 7468) reading and writing. Writing follows Go's pem.EncodeToMemory byte for byte
// (64-character base64 lines, a newline after END), because cosign's key files are made that way.
// Reading is strict where Go silently skips: a block without END or with broken base64 is an
// error that names the block, not "no key found".
import { SealError } from '../errors.ts';

export interface PemBlock {
  /** The label between BEGIN and the dashes, e.g. `PUBLIC KEY`. */
  label: string;
  /** RFC 1421 headers such as `Proc-Type` (legacy OpenSSL encryption); usually empty. */
  headers: Record<string, string>;
  der: Uint8Array;
}

const BEGIN = /^-----BEGIN ([^-\r\n]*)-----\s*$/;
const END = /^-----END ([^-\r\n]*)-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard base64 with padding, as Go encodes []byte in JSON. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Standard padded base64 (whitespace not allowed); undefined when `s` is anything else. */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !BASE64.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, 'base64'));
}

/** Every PEM block in `text`, in order. Text outside blocks is ignored, as openssl and Go do. */
export function decodePemBlocks(text: string, source = 'the input'): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec((lines[i] as string).trim());
    if (!begin) continue;
    const label = begin[1] as string;
    const headers: Record<string, string> = {};
    const body: string[] = [];
    let end = -1;
    for (let j = i + 1; j < lines.length; j++) {
      const line = (lines[j] as string).trim();
      const close = END.exec(line);
      if (close) {
        if (close[1] !== label) {
          throw new SealError('input', `malformed PEM in ${source}: BEGIN ${label} is closed by END ${close[1]}`, {
            code: 'BAD_PEM',
          });
        }
        end = j;
        break;
      }
      const header = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (header && body.length === 0) headers[header[1] as string] = header[2] as string;
      else if (line !== '') body.push(line);
    }
    if (end < 0) {
      throw new SealError('input', `truncated PEM in ${source}: ${label} has no END line`, { code: 'BAD_PEM' });
    }
    const der = decodeBase64Strict(body.join(''));
    if (!der) {
      throw new SealError('input', `malformed PEM in ${source}: the body of ${label} is not valid base64`, {
        code: 'BAD_PEM',
      });
    }
    blocks.push({ label, headers, der });
    i = end;
  }
  return blocks;
}

/** One block as Go's pem.EncodeToMemory writes it (no headers). */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${label}-----\n`;
}
