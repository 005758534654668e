import {
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
  type IPolicy,
  bulkhead,
  wrap,
} from 'cockatiel';
import type { BreakerMonitor } from '@app/observability';
import {
  type ResilienceSettings,
  messageOf,
  upstreamPolicies,
} from '@app/resilience';
import type { WikidataLimits, WikidataRetryTiming } from './wikidata-limits.js';
import { WikidataRequestFailure } from './wikidata-request-failure.js';

export interface WikidataPolicies {
  /** Retry, around the breaker, around the concurrency bound: each attempt passes all three. */
  run: IPolicy;
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
}

const failureOf = (error: unknown): WikidataRequestFailure | undefined =>
  error instanceof WikidataRequestFailure ? error : undefined;

/**
 * The one retry layer of Wikidata requests, the `wikidata` breaker and the
 * bound on requests in flight.
 *
 * Retries: outages (network, timeout, 408, 429, 5xx, `maxlag`), pausing as
 * `Retry-After` asks (a longer pause than `maxDelayMs` ends the retries) or
 * with equal-jitter backoff. Breaker: opens on outages, on our User-Agent
 * being refused and on invalid answers, never on a refused request.
 * Bulkhead: at most `maxConcurrentRequests` attempts open at Wikidata, the
 * others wait in a queue of `maxQueuedRequests`; it sits inside the
 * breaker, so that an open breaker fails calls without queueing them, and
 * inside the retry, so that a retry waiting for its pause holds no slot.
 */
export function wikidataPolicies(
  settings: ResilienceSettings,
  timing: WikidataRetryTiming,
  limits: Pick<WikidataLimits, 'maxConcurrentRequests' | 'maxQueuedRequests'>,
  logger: { warn(message: string): unknown },
  breakers: BreakerMonitor,
): WikidataPolicies {
  const { retry, breaker } = upstreamPolicies(
    {
      service: 'wikidata',
      settings,
      delays: timing,
      maxRetryAfterMs: timing.maxDelayMs,
      isRetryable: (error) => failureOf(error)?.retryable === true,
      retryAfterOf: (error) => failureOf(error)?.retryAfterMs,
      isBreakerFailure: (error) => failureOf(error)?.breakerFailure === true,
      logger,
      describe: messageOf,
    },
    breakers,
  );
  const requests = bulkhead(
    limits.maxConcurrentRequests,
    limits.maxQueuedRequests,
  );
  return { run: wrap(retry, breaker, requests), breaker, bulkhead: requests };
}
