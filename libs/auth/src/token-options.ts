/** Delays between retries of a failed token request. */
export interface TokenRetryBackoff {
  /** First delay; each further retry waits up to twice as long, with jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Injection token of the `TokenRetryBackoff`; tests provide tiny delays. */
export const TOKEN_RETRY_BACKOFF = Symbol('TOKEN_RETRY_BACKOFF');

export const DEFAULT_TOKEN_RETRY_BACKOFF: TokenRetryBackoff = {
  initialDelayMs: 200,
  maxDelayMs: 10_000,
};

/** Milliseconds since the epoch; decides when a cached token is renewed. */
export type Clock = () => number;

/** Injection token of the token cache's `Clock`; tests move time forward. */
export const TOKEN_CLOCK = Symbol('TOKEN_CLOCK');
