// A wait that a signal (SIGINT/SIGTERM, --timeout) cuts short: the caller says what was interrupted.
export function sleep(ms: number, signal: AbortSignal | undefined, interrupted: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted());
    const onAbort = () => {
      clearTimeout(timer);
      reject(interrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
