// Runs fn over items with at most `limit` in flight; results keep the input order. After a
// failure no further item starts, and the promise rejects (with the first failure) once the
// items already running have finished: nothing keeps working in the background after the caller
// has been told the run failed (a signer would otherwise still be writing while the process exits).
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
