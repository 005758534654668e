// The injection tokens of @app/api-client, in one place.

/** Injection token of the `ApiRetryBackoff`; tests provide tiny delays. */
export const API_RETRY_BACKOFF = Symbol('API_RETRY_BACKOFF');

/** Injection token of the tasks API's `RateLimitGate`: every call to the API passes it. */
export const API_RATE_LIMIT_GATE = Symbol('API_RATE_LIMIT_GATE');

/**
 * Injection token of the undici `Dispatcher` (a keep-alive `Pool` on the
 * origin of `API_BASE_URL`) that carries every call to the tasks API.
 */
export const TASKS_API_DISPATCHER = Symbol('TASKS_API_DISPATCHER');
