import type { BackoffDelays } from '@app/resilience';

/** Delays between retries of a failed token request. */
export type TokenRetryBackoff = BackoffDelays;

export const DEFAULT_TOKEN_RETRY_BACKOFF: TokenRetryBackoff = {
  initialDelayMs: 200,
  maxDelayMs: 10_000,
};

/** Milliseconds since the epoch; decides when a cached token is renewed. */
export type Clock = () => number;
