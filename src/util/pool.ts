// Runs fn over items with at most `limit` in flight; results keep the input order. After a
// failure no further item starts, and the promise rejects (with the first failure) once the
// items already running have finished: nothing keeps working in the background after the caller
// has been told the run failed (a signer would otherwise still be writing while the process exits).
import { SealError } from '../errors.ts';

export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
  return results;
}

/**
 * mapPool for items that begin with a read that can run ahead (resolving an image's tag): when
 * item i starts, `prepare` of item i + limit starts too, so that when a slot frees, the item taking
 * it has its first round trip behind it. At most `limit` prepares run ahead of the items; `fn`
 * gets the prepared value. A prepare's failure is the failure of its item, when that item starts;
 * prepares of items that never start (the run failed first) are awaited before the promise settles
 * (nothing keeps running in the background) and their outcome dropped.
 */
export async function mapPoolAhead<T, P, R>(
  items: readonly T[],
  limit: number,
  prepare: (item: T, index: number) => Promise<P>,
  fn: (prepared: P, item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const ahead = new Map<number, Promise<P>>();
  const prepared = (i: number): Promise<P> => {
    let p = ahead.get(i);
    if (!p) {
      p = prepare(items[i]!, i);
      p.catch(() => {}); // awaited by its item, or dropped below
      ahead.set(i, p);
    }
    return p;
  };
  const step = Math.max(1, limit);
  try {
    return await mapPool(items, limit, async (item, i) => {
      // Items start in order, so item i + step has not started yet.
      if (i + step < items.length) void prepared(i + step);
      const p = prepared(i);
      ahead.delete(i);
      return fn(await p, item, i);
    });
  } finally {
    await Promise.allSettled(ahead.values());
  }
}

/**
 * A command's --concurrency (default 4): a whole number from 1, else a usage error. NaN (yargs'
 * value for `--concurrency abc`) would start no worker, and every result would be missing.
 */
export function concurrencyLimit(given: number | undefined, fallback = 4): number {
  if (given === undefined) return fallback;
  if (!Number.isInteger(given) || given < 1) throw new SealError('usage', `invalid --concurrency "${String(given)}": use a whole number from 1`);
  return given;
}
