import { delay } from './abortable.js';

/**
 * Delays of the lifecycle that are not settings of the contract, and the
 * clock and timer they are measured with. Tests inject small delays, or a
 * manual clock whose `delay` only elapses when the test moves time on.
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
  /**
   * Waits `ms` of `now`'s time; resolves false at once when `signal`
   * aborts first. Every wait of the lifecycle goes through it.
   */
  delay: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

export const LIFECYCLE_TIMINGS = Symbol('LIFECYCLE_TIMINGS');

export const defaultLifecycleTimings: LifecycleTimings = {
  deliveryRetryBaseMs: 250,
  deliveryRetryMaxMs: 5_000,
  pollRetryBaseMs: 1_000,
  staleSweepIntervalMs: 5 * 60_000,
  releaseGraceMs: 5_000,
  now: () => Date.now(),
  delay,
};
