/**
 * Base of the errors a client of an upstream (the tasks API, the token
 * endpoint, the embedding provider) throws. Each says whether the failure
 * is transient, an outage after which the same call may succeed, or a
 * refusal of the request itself; whoever handles it asks `isTransient`
 * rather than knowing every client's error.
 */
export abstract class UpstreamError extends Error {
  /** True for an outage: the same call may succeed later. */
  abstract readonly transient: boolean;
  /** The pause the upstream asked for (`Retry-After`), when it named one. */
  declare readonly retryAfterMs?: number;
}

/**
 * True for an error that says "not now" rather than "this is wrong": an
 * `UpstreamError` that is transient, or any error marked `transient: true`,
 * the mark docs/extending.md offers processors that do not import this
 * library.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof UpstreamError) return error.transient;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { transient?: unknown }).transient === true
  );
}
