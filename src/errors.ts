// One error type for every layer. `kind` decides the exit code (src/cli/exit-codes.ts); the
// message is the one line a user sees, so it says what was wrong and, through `hint`, what to do.

export type ErrorKind =
  | 'usage' // bad flags or arguments
  | 'input' // a file, key or document that cannot be used as given
  | 'verification' // a signature, digest or envelope that does not verify
  | 'network' // connection, DNS, TLS or timeout failures
  | 'registry' // the registry answered with an error (auth denied, 5xx after retries, ...)
  | 'not-found' // the image or tag does not exist
  | 'no-signatures' // cosign exit 10
  | 'no-matching' // cosign exit 12
  | 'no-certificate' // cosign exit 13
  | 'policy' // a gate or policy rejected verified content
  | 'conflict' // a concurrent writer kept winning; nothing was lost but the write did not land
  | 'interrupted'
  | 'internal';

export interface SealErrorOptions {
  cause?: unknown;
  hint?: string;
  /** A stable machine-readable code, e.g. 'WRONG_PASSWORD'. */
  code?: string;
}

export class SealError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly code: string;

  constructor(kind: ErrorKind, message: string, options: SealErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SealError';
    this.kind = kind;
    this.hint = options.hint;
    this.code = options.code ?? kind.toUpperCase().replace(/-/g, '_');
  }
}

export const usageError = (message: string, options?: SealErrorOptions): SealError => new SealError('usage', message, options);
export const inputError = (message: string, options?: SealErrorOptions): SealError => new SealError('input', message, options);
export const verificationError = (message: string, options?: SealErrorOptions): SealError => new SealError('verification', message, options);

export function isSealError(err: unknown, kind?: ErrorKind): err is SealError {
  return err instanceof SealError && (kind === undefined || err.kind === kind);
}

/**
 * `s` with control characters and line separators turned into spaces, so text from outside (a
 * registry's answer, a parser's quote of its input) keeps a message on one line.
 */
// eslint-disable-next-line no-control-regex
export const flattenControls = (s: string): string => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');

/** The message of any thrown value, without a stack. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A JSON.parse failure without the excerpt V8 quotes from the input ("Unexpected token '\uFFFD',
 * "\uFFFD\uFFFDG"... is not valid JSON"): a binary file would put its bytes into the message.
 */
export function jsonErrorDetail(err: unknown): string {
  return flattenControls(messageOf(err))
    .replace(/, ".*"(?:\.\.\.)? is not valid JSON$/s, '')
    .replace(/Unexpected token '[^\x20-\x7e]*'/, 'Unexpected non-text byte');
}
