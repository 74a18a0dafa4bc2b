// Assertions on what the CLI says on stderr.
import assert from 'node:assert/strict';

/** No stack trace: those are for --verbose only. */
export function noStack(stderr: string): void {
  assert.doesNotMatch(stderr, /\n\s+at .+:\d+:\d+/, `a stack trace was printed:\n${stderr}`);
}
