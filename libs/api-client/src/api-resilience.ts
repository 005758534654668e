import { type BackoffDelays, UpstreamError } from '@app/resilience';

/**
 * Delays between retries of a failed call to the tasks API. A `Retry-After`
 * longer than `maxRetryAfterMs` ends the retries instead of waiting.
 */
export type ApiRetryBackoff = BackoffDelays & { maxRetryAfterMs: number };

export const DEFAULT_API_RETRY_BACKOFF: ApiRetryBackoff = {
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/**
 * An outage of the tasks API: a network error, a timeout, 408, 5xx, or 429s
 * past patience. Retried (within `MAX_RETRIES`) and counted by the breaker;
 * the client turns it into a `TasksApiError` of kind `outage`.
 */
export class UpstreamFailure extends UpstreamError {
  override name = 'UpstreamFailure';
  readonly transient = true;

  constructor(
    message: string,
    readonly status?: number,
    /** What the answer's `Retry-After` asked for. */
    override readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
