import {
  DelegateBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';

/** The delays of an exponential backoff. */
export interface BackoffDelays {
  /** Ceiling of the first delay; each further retry doubles it. */
  initialDelayMs: number;
  /** The ceiling stops growing here. */
  maxDelayMs: number;
}

/**
 * Exponential backoff with equal jitter: retry `n` (from 1) waits between
 * half and all of `min(maxDelayMs, initialDelayMs × 2^(n-1))`. The fixed
 * half keeps a delay from collapsing to nothing, as full jitter's can; the
 * random half spreads the replicas that failed together.
 */
export function equalJitterBackoff(
  retry: number,
  { initialDelayMs, maxDelayMs }: BackoffDelays,
  random: () => number = Math.random,
): number {
  // Bounded so that a zero initial delay never meets an infinite factor.
  const ceiling = Math.min(
    maxDelayMs,
    initialDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 30),
  );
  return ceiling / 2 + (random() * ceiling) / 2;
}

/**
 * A cockatiel retry backoff: exactly the pause the failure asked for (its
 * `Retry-After`) when it carries one, else `equalJitterBackoff`.
 */
export function retryAfterBackoff(
  delays: BackoffDelays,
  retryAfterOf: (error: unknown) => number | undefined,
  random: () => number = Math.random,
): IBackoffFactory<IRetryBackoffContext<unknown>> {
  return new DelegateBackoff<IRetryBackoffContext<unknown>>(
    ({ attempt, result }) =>
      ('error' in result ? retryAfterOf(result.error) : undefined) ??
      equalJitterBackoff(attempt, delays, random),
  );
}
