import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SealError, isSealError } from '../../../../src/errors.ts';
import {
  DEFAULT_RETRY_POLICY,
  attemptsOf,
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  retryDelay,
  withRetry,
  type RetryPolicy,
} from '../../../../src/oci/registry/retry.ts';
import { fakeTransport, silentLog } from './fake.ts';

const policy: RetryPolicy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, retryAfterCapMs: 5000, jitter: 0.2 };
const mid = () => 0.5; // no jitter
const reset = () => new SealError('network', 'connection to h was reset', { code: 'CONNECTION_RESET' });

describe('retry policy', () => {
  it('retries 408, 429 and 5xx except 501/505', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 599]) assert.ok(isRetryableStatus(s), String(s));
    for (const s of [200, 301, 400, 401, 403, 404, 409, 412, 501, 505]) assert.ok(!isRetryableStatus(s), String(s));
  });

  it('backs off exponentially up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, mid)),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('jitters within ±20%', () => {
    assert.equal(
      backoffDelay(2, policy, () => 0),
      160,
    );
    assert.equal(
      backoffDelay(2, policy, () => 1),
      240,
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now), 7000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });

  it('honours Retry-After over the backoff, capped', () => {
    assert.equal(retryDelay(1, { status: 429, retryAfter: '2' }, policy, 0, mid), 2000);
    assert.equal(retryDelay(1, { status: 503, retryAfter: '3600' }, policy, 0, mid), 5000);
    assert.equal(retryDelay(1, { status: 503 }, policy, 0, mid), 100);
  });

  it('stops after the configured retries and on final answers', () => {
    assert.equal(retryDelay(3, { status: 503 }, policy, 0, mid), 400);
    assert.equal(retryDelay(4, { status: 503 }, policy, 0, mid), null);
    assert.equal(retryDelay(1, { status: 404 }, policy), null);
    assert.equal(retryDelay(1, { error: new SealError('network', 'x', { code: 'TLS_UNTRUSTED' }) }, policy), null);
    assert.equal(retryDelay(1, { error: new SealError('network', 'x', { code: 'CONNECTION_REFUSED' }) }, policy), null);
    assert.equal(retryDelay(1, { error: new Error('plain') }, policy), null);
    assert.equal(retryDelay(1, { error: reset() }, policy, 0, mid), 100);
  });

  it('defaults to 5 retries', () => assert.equal(DEFAULT_RETRY_POLICY.retries, 5));
});

describe('withRetry', () => {
  const url = new URL('http://r.test/v2/x/manifests/latest');

  it('retries a GET through 503s and returns the success with its attempt count', async () => {
    let n = 0;
    const t = fakeTransport(() => (++n <= 2 ? { status: 503 } : { status: 200, body: 'ok' }));
    const waits: number[] = [];
    const res = await withRetry(t, { policy, log: silentLog, sleep: async (ms) => void waits.push(ms) })({ method: 'GET', url, headers: {} });
    assert.equal(res.status, 200);
    assert.equal(attemptsOf(res), 3);
    assert.equal(waits.length, 2);
  });

  it('waits what Retry-After says', async () => {
    let n = 0;
    const t = fakeTransport(() => (++n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const waits: number[] = [];
    await withRetry(t, { policy, log: silentLog, sleep: async (ms) => void waits.push(ms) })({ method: 'GET', url, headers: {} });
    assert.deepEqual(waits, [1000]);
  });

  it('gives the last answer back after the retries run out', async () => {
    const t = fakeTransport(() => ({ status: 503 }));
    const res = await withRetry(t, { policy, log: silentLog, sleep: async () => {} })({ method: 'GET', url, headers: {} });
    assert.equal(res.status, 503);
    assert.equal(attemptsOf(res), 4);
    assert.equal(t.requests.length, 4);
  });

  it('says how many attempts a network failure took', async () => {
    const t = fakeTransport(() => reset());
    await assert.rejects(
      withRetry(t, { policy, log: silentLog, sleep: async () => {} })({ method: 'GET', url, headers: {} }),
      (e: unknown) => isSealError(e, 'network') && /gave up after 4 attempts/.test(e.message) && e.code === 'CONNECTION_RESET',
    );
  });

  it('does not retry a PATCH (appending twice is not safe) or a non-transient error', async () => {
    const t = fakeTransport(() => ({ status: 503 }));
    const res = await withRetry(t, { policy, log: silentLog, sleep: async () => {} })({ method: 'PATCH', url, headers: {} });
    assert.equal(res.status, 503);
    assert.equal(t.requests.length, 1);
    const t2 = fakeTransport(() => new SealError('network', 'untrusted', { code: 'TLS_UNTRUSTED' }));
    await assert.rejects(withRetry(t2, { policy, log: silentLog, sleep: async () => {} })({ method: 'GET', url, headers: {} }), /untrusted$/);
    assert.equal(t2.requests.length, 1);
  });

  it('retries a POST its caller marked idempotent, resending the same body', async () => {
    let n = 0;
    const t = fakeTransport(() => (++n === 1 ? reset() : { status: 202 }));
    const body = new TextEncoder().encode('payload');
    await withRetry(t, { policy, log: silentLog, sleep: async () => {} })({ method: 'POST', url, headers: {}, body, idempotent: true });
    assert.equal(t.requests.length, 2);
    assert.deepEqual(t.requests[1]!.body, body);
  });

  it('replays a streamed body by opening it again', async () => {
    let n = 0;
    let opened = 0;
    const t = fakeTransport(() => (++n === 1 ? { status: 500 } : { status: 201 }));
    await withRetry(t, { policy, log: silentLog, sleep: async () => {} })({
      method: 'PUT',
      url,
      headers: {},
      body: {
        length: 3,
        open: async function* () {
          opened++;
          yield new TextEncoder().encode('abc');
        },
      },
    });
    assert.equal(opened, 2);
    assert.equal(Buffer.from(t.requests[1]!.body!).toString(), 'abc');
  });

  it('stops waiting when the signal aborts', async () => {
    const t = fakeTransport(() => ({ status: 503, headers: { 'retry-after': '5' } }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const started = Date.now();
    await assert.rejects(withRetry(t, { policy, log: silentLog })({ method: 'GET', url, headers: {}, signal: ac.signal }), (e: unknown) =>
      isSealError(e, 'interrupted'),
    );
    assert.ok(Date.now() - started < 2000);
  });
});
