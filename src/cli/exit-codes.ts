// The exit-code contract. docs/exit-codes.md mirrors this table; a test keeps the two in step.
import { SealError, type ErrorKind } from '../errors.ts';

export const EXIT = {
  /** Success. */
  OK: 0,
  /** A general failure: unreadable input, a key that cannot be used, a wrong password. */
  ERROR: 1,
  /** The command line was wrong: unknown flag, missing argument, conflicting options. */
  USAGE: 2,
  /** A signature, bundle, envelope or digest did not verify. */
  VERIFICATION: 3,
  /** The network failed: connection refused, DNS, TLS, timeout. */
  NETWORK: 4,
  /** The registry answered with an error: authentication denied, 5xx after retries, refused upload. */
  REGISTRY: 5,
  /** A concurrent writer kept replacing the signature manifest; nothing was removed, retry later. */
  CONFLICT: 6,
  /** cosign 10: the image has no signatures (or attestations) at all. */
  NO_SIGNATURES: 10,
  /** cosign 11: the image or tag does not exist. */
  NOT_FOUND: 11,
  /** cosign 12: signatures exist but none verifies with the given key and constraints. */
  NO_MATCHING: 12,
  /** cosign 13: keyless verification found a signature without a certificate. */
  NO_CERTIFICATE: 13,
  /** Verified content failed a gate or policy (severity, scan age, policy file). */
  POLICY: 14,
  /** Interrupted by a signal (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

const BY_KIND: Record<ErrorKind, number> = {
  usage: EXIT.USAGE,
  input: EXIT.ERROR,
  verification: EXIT.VERIFICATION,
  network: EXIT.NETWORK,
  registry: EXIT.REGISTRY,
  conflict: EXIT.CONFLICT,
  'not-found': EXIT.NOT_FOUND,
  'no-signatures': EXIT.NO_SIGNATURES,
  'no-matching': EXIT.NO_MATCHING,
  'no-certificate': EXIT.NO_CERTIFICATE,
  policy: EXIT.POLICY,
  interrupted: EXIT.INTERRUPTED,
  internal: EXIT.ERROR,
};

export function exitCodeFor(err: unknown): number {
  if (err instanceof SealError) return BY_KIND[err.kind];
  // An AbortSignal's own error (a stream or timer given the signal of SIGINT/SIGTERM).
  if ((err as Error | undefined)?.name === 'AbortError') return EXIT.INTERRUPTED;
  return EXIT.ERROR;
}
