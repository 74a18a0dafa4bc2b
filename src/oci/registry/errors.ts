// Registry answers that are errors become one SealError line: what seal was doing, where, the
// status, and the registry's own code and message from the distribution error body
// (https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md#error-codes),
// read up to 64 KiB. 401/403 get a hint about credentials (never the credentials themselves).
import { SealError, flattenControls, type ErrorKind } from '../../errors.ts';
import { ERROR_BODY_LIMIT, type HttpResponse } from './http.ts';
import { attemptsOf } from './retry.ts';

export interface DistributionError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** The `errors` array of a distribution error body; [] when the body is not one. */
export function parseErrorBody(text: string): DistributionError[] {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(parsed?.errors)) return [];
    return parsed.errors
      .filter((e): e is DistributionError => !!e && typeof e === 'object' && typeof (e as DistributionError).code === 'string')
      .map((e) => ({ code: e.code, message: typeof e.message === 'string' ? e.message : undefined, detail: e.detail }));
  } catch {
    return [];
  }
}

export interface ErrorContext {
  /** What seal was doing: `pushing manifest latest`, `reading blob sha256:…`. */
  action: string;
  /** `127.0.0.1:5000/app`. */
  name: string;
  /** Credentials went with the request (for the hint). */
  credentialsUsed: boolean;
}

/** A registry's text as part of one message line: control characters become spaces, at most 200 characters. */
function oneLine(s: string): string {
  const flat = flattenControls(s).trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** One printable line for the body: `MANIFEST_UNKNOWN: manifest unknown`, or the text's first line. */
function describeBody(errors: DistributionError[], text: string): string {
  if (errors.length) {
    return errors
      .slice(0, 3)
      .map((e) => (e.message ? `${oneLine(e.code)}: ${oneLine(e.message)}` : oneLine(e.code)))
      .join('; ');
  }
  const line = oneLine(text.trim().split(/\r\n|\r|\n/)[0] ?? '');
  // HTML error pages from proxies say nothing useful in one line.
  if (/^<(!doctype|html)/i.test(line)) return '';
  return line.slice(0, 200);
}

export async function responseError(res: HttpResponse, ctx: ErrorContext): Promise<SealError> {
  const text = res.status === 0 ? '' : await res.textPrefix(ERROR_BODY_LIMIT);
  const errors = parseErrorBody(text);
  return errorFor(res.status, res.statusText, errors, text, ctx, attemptsOf(res));
}

export function errorFor(status: number, statusText: string, errors: DistributionError[], text: string, ctx: ErrorContext, attempts = 1): SealError {
  const body = describeBody(errors, text);
  const tried = attempts > 1 ? ` (gave up after ${attempts} attempts)` : '';
  const base = `${ctx.action} in ${ctx.name} failed: ${status}${statusText ? ' ' + oneLine(statusText) : ''}${tried}${body ? `: ${body}` : ''}`;
  const code = errors[0]?.code ?? `HTTP_${status}`;
  let kind: ErrorKind = 'registry';
  let hint: string | undefined;
  if (status === 401 || status === 403) {
    hint = ctx.credentialsUsed
      ? 'check the registry credentials (--registry-username/--registry-password, docker login) and that they may access this repository'
      : 'log in with docker login, or pass --registry-username and --registry-password (or SEAL_REGISTRY_PASSWORD)';
  } else if (status === 404) {
    kind = 'not-found';
  } else if (status === 412) {
    kind = 'conflict';
    hint = 'someone changed it at the same time; run the command again';
  } else if (status === 429) {
    hint = 'the registry is rate limiting; wait and try again, or log in for a higher limit';
  } else if (status === 405 && /delet/i.test(ctx.action)) {
    hint = 'the registry does not allow deletes (distribution: storage.delete.enabled)';
  }
  return new SealError(kind, base, { code, hint });
}
