/** Injection token of the tasks API's `RateLimitGate`: every call to the API passes it. */
export const API_RATE_LIMIT_GATE = Symbol('API_RATE_LIMIT_GATE');
