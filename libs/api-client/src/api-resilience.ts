import {
  DelegateBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel';

/** Delays between retries of a failed call to the tasks API. */
export interface ApiRetryBackoff {
  /** Delay before the first retry; each further one doubles, with jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this ends the retries instead of waiting. */
  maxRetryAfterMs: number;
}

/** Injection token of the `ApiRetryBackoff`; tests provide tiny delays. */
export const API_RETRY_BACKOFF = Symbol('API_RETRY_BACKOFF');

export const DEFAULT_API_RETRY_BACKOFF: ApiRetryBackoff = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/**
 * An outage of the tasks API: a network error, a timeout, 408, 429 or 5xx.
 * Retried (within `MAX_RETRIES`) and counted by the breaker.
 */
export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';

  constructor(
    message: string,
    readonly status?: number,
    /** What the answer's `Retry-After` asked for. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const retryAfterOf = (context: IRetryBackoffContext<unknown>) =>
  'error' in context.result && context.result.error instanceof UpstreamFailure
    ? context.result.error.retryAfterMs
    : undefined;

/**
 * Exponential backoff with "equal jitter" (half fixed, half random, so the
 * delay never collapses to zero), or exactly what `Retry-After` asked for.
 */
export function apiBackoff(
  options: ApiRetryBackoff,
  random: () => number = Math.random,
): IBackoffFactory<IRetryBackoffContext<unknown>> {
  return new DelegateBackoff<IRetryBackoffContext<unknown>>((context) => {
    const asked = retryAfterOf(context);
    if (asked !== undefined) return asked;
    const ceiling = Math.min(
      options.maxDelayMs,
      options.initialDelayMs * 2 ** (context.attempt - 1),
    );
    return ceiling / 2 + (random() * ceiling) / 2;
  });
}

/** Whether the retry policy may try a failed attempt again. */
export const isRetryable =
  (options: ApiRetryBackoff) =>
  (error: unknown): boolean =>
    error instanceof UpstreamFailure &&
    (error.retryAfterMs ?? 0) <= options.maxRetryAfterMs;
