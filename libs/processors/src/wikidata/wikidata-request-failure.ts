import { WikidataUnavailableError } from './wikidata-client.js';

/**
 * The `status` label of `wikidata_requests_total`: a bounded set, one per
 * HTTP request. A non-2xx answer is counted by its status code.
 */
export type WikidataRequestStatus =
  | 'success'
  | 'maxlag'
  | 'api_error'
  | 'timeout'
  | 'connection_error'
  | 'invalid_answer'
  | `${number}`;

export interface FailureTraits {
  /** Worth another attempt after a pause. */
  retryable: boolean;
  /** Counted by the `wikidata` breaker: Wikidata (or our access to it) is failing. */
  breakerFailure: boolean;
  /** The pause Wikidata asked for (`Retry-After`). */
  retryAfterMs?: number;
  /** The answer was larger than `maxAnswerBytes`: the same ids asked in halves may fit. */
  tooLarge?: boolean;
  /** Wikidata refused our User-Agent (403). */
  userAgentRefused?: boolean;
}

/**
 * One failed HTTP request to Wikidata, as the retry and breaker policies
 * need to know it. It is a `WikidataUnavailableError`: once the retries are
 * spent it reaches the caller as it is.
 */
export class WikidataRequestFailure extends WikidataUnavailableError {
  readonly retryable: boolean;
  readonly breakerFailure: boolean;
  override readonly retryAfterMs?: number;
  readonly tooLarge: boolean;
  readonly userAgentRefused: boolean;

  constructor(
    message: string,
    readonly status: WikidataRequestStatus,
    traits: FailureTraits,
  ) {
    super(message);
    this.name = 'WikidataRequestFailure';
    this.retryable = traits.retryable;
    this.breakerFailure = traits.breakerFailure;
    this.retryAfterMs = traits.retryAfterMs;
    this.tooLarge = traits.tooLarge ?? false;
    this.userAgentRefused = traits.userAgentRefused ?? false;
  }
}

/** An outage: retried, and counted by the breaker. */
export const OUTAGE: FailureTraits = { retryable: true, breakerFailure: true };

/** Wikidata, or our configuration, refuses: the same request gets the same answer. */
export const REFUSAL: FailureTraits = {
  retryable: false,
  breakerFailure: true,
};
