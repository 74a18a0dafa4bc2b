// Bounded retries for transient failures: connection resets, timeouts, temporary DNS failures,
// 408, 429 and 5xx (not 501/505, which will not change). Exponential backoff with jitter,
// honouring Retry-After (seconds or an HTTP date) up to a cap. Only requests that are safe to
// send again (idempotent, bodies replayable) are retried. Modelled on
// oras-go registry/remote/retry/policy.go and go-containerregistry transport/retry.go.
import { SealError } from '../../errors.ts';
import type { Log } from '../../log.ts';
import { isReplayable, redactUrl, type HttpRequest, type HttpResponse, type Transport } from './http.ts';
import { RETRYABLE_NETWORK_CODES } from './transport.ts';
import { sleep as sleepFor } from '../../util/sleep.ts';

export interface RetryPolicy {
  /** Retries after the first attempt (0 = no retries). */
  retries: number;
  /** The first backoff; it doubles per retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Retry-After values above this are cut to it. */
  retryAfterCapMs: number;
  /** ± fraction of each backoff, so many clients do not retry in step. */
  jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  retryAfterCapMs: 30_000,
  jitter: 0.2,
};

export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);

export function isRetryableError(err: unknown): boolean {
  return err instanceof SealError && err.kind === 'network' && RETRYABLE_NETWORK_CODES.has(err.code);
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Backoff before retry number `retry` (1-based), jittered. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  const factor = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(base * factor);
}

/**
 * The wait before retry number `retry`, or null when the outcome is final: not retryable, or
 * the retries are used up. A Retry-After header wins over the backoff (capped).
 */
export function retryDelay(
  retry: number,
  outcome: { status?: number; retryAfter?: string | null; error?: unknown },
  policy: RetryPolicy,
  now: number = Date.now(),
  random: () => number = Math.random,
): number | null {
  if (retry > policy.retries) return null;
  if (outcome.error !== undefined) return isRetryableError(outcome.error) ? backoffDelay(retry, policy, random) : null;
  if (outcome.status === undefined || !isRetryableStatus(outcome.status)) return null;
  const after = parseRetryAfter(outcome.retryAfter ?? null, now);
  if (after !== undefined) return Math.min(after, policy.retryAfterCapMs);
  return backoffDelay(retry, policy, random);
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  sleepFor(ms, signal, () => new SealError('interrupted', 'interrupted while waiting to retry'));

/** Attempts a response took; upper layers put it into their error messages. */
export const ATTEMPTS = Symbol('attempts');
export type CountedResponse = HttpResponse & { [ATTEMPTS]?: number };

export const attemptsOf = (res: HttpResponse): number => (res as CountedResponse)[ATTEMPTS] ?? 1;

export interface RetryLayerOptions {
  policy: RetryPolicy;
  log: Log;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function withRetry(inner: Transport, opts: RetryLayerOptions): Transport {
  const wait = opts.sleep ?? sleep;
  return async (req: HttpRequest) => {
    const replayable = isReplayable(req);
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse;
      try {
        res = await inner(req);
      } catch (err) {
        const delay = replayable ? retryDelay(attempt, { error: err }, opts.policy) : null;
        if (delay === null) throw attempt > 1 ? withAttempts(err, attempt) : err;
        opts.log.debug(
          `retrying ${req.method} ${redactUrl(req.url)} in ${delay} ms (attempt ${attempt + 1} of ${opts.policy.retries + 1}): ${(err as Error).message}`,
        );
        await wait(delay, req.signal);
        continue;
      }
      const delay = replayable ? retryDelay(attempt, { status: res.status, retryAfter: res.headers.get('retry-after') }, opts.policy) : null;
      if (delay === null) {
        (res as CountedResponse)[ATTEMPTS] = attempt;
        return res;
      }
      res.discard();
      opts.log.debug(
        `retrying ${req.method} ${redactUrl(req.url)} in ${delay} ms (attempt ${attempt + 1} of ${opts.policy.retries + 1}): status ${res.status}`,
      );
      await wait(delay, req.signal);
    }
  };
}

function withAttempts(err: unknown, attempts: number): unknown {
  if (!(err instanceof SealError)) return err;
  return new SealError(err.kind, `${err.message} (gave up after ${attempts} attempts)`, { code: err.code, hint: err.hint, cause: err.cause ?? err });
}
