/**
 * Delays of the lifecycle that are not settings of the contract. Tests
 * inject small ones; the clock is injectable so age checks are testable.
 */
export interface LifecycleTimings {
  /** First wait before re-delivering a result the API did not take. */
  deliveryRetryBaseMs: number;
  /** Longest wait between delivery attempts. */
  deliveryRetryMaxMs: number;
  /** First wait before polling again after a failed poll. */
  pollRetryBaseMs: number;
  /** How often stuck `in_progress` tasks are looked for. */
  staleSweepIntervalMs: number;
  /** After the grace period, how long releasing what is left may take. */
  releaseGraceMs: number;
  now: () => number;
}

export const LIFECYCLE_TIMINGS = Symbol('LIFECYCLE_TIMINGS');

export const defaultLifecycleTimings: LifecycleTimings = {
  deliveryRetryBaseMs: 250,
  deliveryRetryMaxMs: 5_000,
  pollRetryBaseMs: 1_000,
  staleSweepIntervalMs: 5 * 60_000,
  releaseGraceMs: 5_000,
  now: () => Date.now(),
};

/** Exponential backoff with full jitter, capped. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
