import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  type IPolicy,
  type IRetryContext,
  type RetryPolicy,
  type TimeoutPolicy,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { BreakerMonitor, BreakerService } from '@app/observability';
import { type BackoffDelays, retryAfterBackoff } from './backoff.js';
import { messageOf } from './error-text.js';
import { UpstreamError } from './upstream-error.js';

/** The settings every upstream shares (`ServiceConfig['resilience']`). */
export interface ResilienceSettings {
  /** Retries after the first attempt (`MAX_RETRIES`). */
  maxRetries: number;
  /** Consecutive failures that open a breaker (`CIRCUIT_BREAKER_THRESHOLD`). */
  breakerThreshold: number;
  /** How long a breaker stays open before a trial call (`CIRCUIT_BREAKER_RESET_SECONDS`). */
  breakerResetMs: number;
}

export interface UpstreamPolicyOptions {
  /** Names the breaker in `circuit_breaker_state{service}` and its log lines. */
  service: BreakerService;
  settings: ResilienceSettings;
  delays: BackoffDelays;
  /** A failure worth another attempt. */
  isRetryable: (error: unknown) => boolean;
  /**
   * A failure the breaker counts. Anything else that passes through it is
   * an answer, and counts as the upstream being up.
   */
  isBreakerFailure: (error: unknown) => boolean;
  /** The pause a failure asked for, waited for exactly (default: an `UpstreamError`'s `retryAfterMs`). */
  retryAfterOf?: (error: unknown) => number | undefined;
  /**
   * An asked-for pause longer than this ends the retries at once: the
   * caller is better served by an error now (default: no limit).
   */
  maxRetryAfterMs?: number;
  /** Where each retry is logged: `<describe(error)>; retry 1 of 3 in 250 ms`. */
  logger: { warn(message: string): unknown };
  describe: (error: unknown) => string;
}

/** One upstream's policies, built once and kept for the life of the process, so that the breaker remembers across calls. */
export interface UpstreamPolicies {
  retry: RetryPolicy;
  breaker: CircuitBreakerPolicy;
  /** The retry around the breaker: each attempt passes both. */
  retryThroughBreaker: IPolicy<IRetryContext>;
}

const askedPause = (error: unknown): number | undefined =>
  error instanceof UpstreamError ? error.retryAfterMs : undefined;

/**
 * Builds an upstream's retry (equal-jitter exponential backoff, or the
 * pause the failure asked for) and consecutive-failure breaker, and
 * registers the breaker with the monitor under the upstream's name.
 */
export function upstreamPolicies(
  options: UpstreamPolicyOptions,
  breakers: BreakerMonitor,
): UpstreamPolicies {
  const { maxRetries, breakerThreshold, breakerResetMs } = options.settings;
  const retryAfterOf = options.retryAfterOf ?? askedPause;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? Number.POSITIVE_INFINITY;
  const retries = retry(
    handleWhen(
      (error) =>
        options.isRetryable(error) &&
        (retryAfterOf(error) ?? 0) <= maxRetryAfterMs,
    ),
    {
      maxAttempts: maxRetries,
      backoff: retryAfterBackoff(options.delays, retryAfterOf),
    },
  );
  retries.onRetry(({ delay, attempt, ...failure }) =>
    options.logger.warn(
      `${options.describe('error' in failure ? failure.error : undefined)}; retry ${attempt} of ${maxRetries} in ${Math.round(delay)} ms`,
    ),
  );
  const breaker = circuitBreaker(handleWhen(options.isBreakerFailure), {
    halfOpenAfter: breakerResetMs,
    breaker: new ConsecutiveBreaker(breakerThreshold),
  });
  breakers.watch(options.service, breaker);
  return {
    retry: retries,
    breaker,
    retryThroughBreaker: wrap(retries, breaker),
  };
}

/**
 * A per-attempt timeout that abandons the attempt when time runs out and
 * aborts its signal. `abortOnReturn: false` skips the abort of an attempt
 * that already returned: only right when every attempt consumes its
 * answer before returning (it saves a DOMException per call).
 */
export function attemptTimeout(
  ms: number,
  { abortOnReturn = true }: { abortOnReturn?: boolean } = {},
): TimeoutPolicy {
  return timeout(ms, { strategy: TimeoutStrategy.Aggressive, abortOnReturn });
}

/** ` (last failure: …)` of a breaker, for the message of a call it refused; empty before any failure. */
export function lastFailureText(breaker: CircuitBreakerPolicy): string {
  const last = breaker.lastFailure;
  return last && 'error' in last
    ? ` (last failure: ${messageOf(last.error)})`
    : '';
}
