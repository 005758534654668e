import type { BackoffDelays } from '@app/resilience';

/**
 * How much the Wikidata client keeps, asks at once and reads
 * (`WIKIDATA_LIMITS`). Not configurable through the environment: the
 * defaults suit Wikidata, and tests provide their own.
 */
export interface WikidataLimits {
  /** Lookups kept: one search (term, language, limit) or one item (id, language) each. */
  cacheMaxEntries: number;
  /** How long a kept lookup is reused, "no match" included. */
  cacheTtlMs: number;
  /** Requests open at Wikidata at once, whatever the number of tasks in flight. */
  maxConcurrentRequests: number;
  /**
   * Requests waiting for one of those slots; past this many a lookup fails
   * as an outage at once. Far above what the tasks in flight ask for, so it
   * only ever refuses a runaway.
   */
  maxQueuedRequests: number;
  /** `maxlag` sent with every request: Wikimedia asks bots to back off when replicas lag more. */
  maxlagSeconds: number;
  /**
   * The largest answer read. `wbgetentities` answers every statement of an
   * item (a country's is megabytes): a larger answer for several ids is
   * asked again in halves, for one id it is an outage.
   */
  maxAnswerBytes: number;
  /** The clock the cache's lifetimes are measured on (lru-cache's `perf`); tests advance their own. */
  clock: { now(): number };
}

export const DEFAULT_WIKIDATA_LIMITS: WikidataLimits = {
  cacheMaxEntries: 10_000,
  cacheTtlMs: 24 * 60 * 60 * 1000,
  maxConcurrentRequests: 4,
  maxQueuedRequests: 1_000,
  maxlagSeconds: 5,
  maxAnswerBytes: 8 * 1024 * 1024,
  clock: performance,
};

/**
 * Pauses between attempts of one Wikidata request (`WIKIDATA_RETRY_TIMING`):
 * the first after a failure without `Retry-After`, doubling up to
 * `maxDelayMs`, which also bounds the `Retry-After` waited for (a longer one
 * ends the retries). Above `maxlagSeconds`, so that a lagged answer's
 * `Retry-After` (Wikidata's is 5 s) is waited for.
 */
export type WikidataRetryTiming = BackoffDelays;

export const DEFAULT_WIKIDATA_RETRY_TIMING: WikidataRetryTiming = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
};
