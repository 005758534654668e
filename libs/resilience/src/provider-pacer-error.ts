import { UpstreamError } from './upstream-error.js';

/**
 * A request of more tokens than the provider's token bucket holds (its
 * tokens-per-minute limit): no wait would ever admit it, and the provider
 * would refuse it with a 429 that pauses every other request. Not
 * transient: the request must be made smaller (fewer inputs, a shorter
 * prompt, a lower `max_tokens`).
 */
export class RequestTooLargeError extends UpstreamError {
  readonly transient = false;

  constructor(
    readonly tokens: number,
    readonly maxTokens: number,
  ) {
    super(
      `a request of ${tokens} tokens exceeds the provider's limit of ${maxTokens} tokens`,
    );
    this.name = 'RequestTooLargeError';
  }
}
