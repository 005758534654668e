// The injection tokens of @app/auth, in one place.

/** Injection token of the `TokenRetryBackoff`; tests provide tiny delays. */
export const TOKEN_RETRY_BACKOFF = Symbol('TOKEN_RETRY_BACKOFF');

/** Injection token of the token cache's `Clock`; tests move time forward. */
export const TOKEN_CLOCK = Symbol('TOKEN_CLOCK');

/** Injection token of the token endpoint's `RateLimitGate`. */
export const AUTH_RATE_LIMIT_GATE = Symbol('AUTH_RATE_LIMIT_GATE');
