import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { WikidataLimits } from './wikidata-limits.js';

/**
 * Wikidata's answers by lookup key, for `cacheTtlMs`, at most
 * `cacheMaxEntries` (the least recently used go first), with the lookups in
 * flight shared: concurrent identical lookups make one request. A lookup
 * answered without asking Wikidata (kept, or joining one in flight) counts
 * in `wikidata_cache_hits_total`, one that asks in
 * `wikidata_cache_misses_total`. Failures are not kept.
 *
 * One cache for every kind of lookup: a key's prefix (`search:`, `item:`)
 * fixes the type of its value, which `lookup` trusts.
 */
export class WikidataCache {
  private readonly answers: LRUCache<string, NonNullable<unknown>>;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    limits: Pick<WikidataLimits, 'cacheMaxEntries' | 'cacheTtlMs' | 'clock'>,
    private readonly hits: Counter,
    private readonly misses: Counter,
  ) {
    this.answers = new LRUCache({
      max: limits.cacheMaxEntries,
      ttl: limits.cacheTtlMs,
      perf: limits.clock,
      // lru-cache reuses its last reading of the clock for `ttlResolution`
      // ms of real time; reading it each time keeps expiry exact (one
      // clock read per lookup costs nothing beside a request).
      ttlResolution: 0,
    });
  }

  /** The value of `key`: kept, joined in flight, or loaded (and kept). */
  lookup<V extends NonNullable<unknown>>(
    key: string,
    load: () => Promise<V>,
  ): Promise<V> {
    const known = this.known<V>(key);
    if (known) return known;
    this.misses.inc();
    return this.track(key, load());
  }

  /**
   * The values of `keys` (distinct): those neither kept nor in flight are
   * loaded together, `loadMissing` answering one promise per key it is
   * given.
   */
  async lookupMany<V extends NonNullable<unknown>>(
    keys: readonly string[],
    loadMissing: (keys: string[]) => Map<string, Promise<V>>,
  ): Promise<Map<string, V>> {
    const pending = new Map<string, Promise<V>>();
    const missing: string[] = [];
    for (const key of keys) {
      const known = this.known<V>(key);
      if (known) pending.set(key, known);
      else missing.push(key);
    }
    if (missing.length > 0) {
      this.misses.inc(missing.length);
      const loads = loadMissing(missing);
      for (const key of missing) {
        const load = loads.get(key);
        if (!load) throw new Error(`no load for ${key}`); // a bug
        pending.set(key, this.track(key, load));
      }
    }
    // Every promise is awaited, so that none rejects unobserved.
    const settled = await Promise.allSettled(pending.values());
    const failure = settled.find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    return new Map(
      [...pending.keys()].map((key, at) => [
        key,
        (settled[at] as PromiseFulfilledResult<V>).value,
      ]),
    );
  }

  /** A kept value or the lookup in flight, counted as a hit; undefined otherwise. */
  private known<V>(key: string): Promise<V> | undefined {
    const kept = this.answers.get(key);
    if (kept !== undefined) {
      this.hits.inc();
      return Promise.resolve(kept as V);
    }
    const flying = this.inFlight.get(key);
    if (flying) {
      this.hits.inc();
      return flying as Promise<V>;
    }
    return undefined;
  }

  private track<V extends NonNullable<unknown>>(
    key: string,
    load: Promise<V>,
  ): Promise<V> {
    const tracked = load.then((value) => {
      this.answers.set(key, value);
      return value;
    });
    this.inFlight.set(key, tracked);
    // Removed once settled, whatever the outcome: a failure is not kept.
    void tracked
      .finally(() => {
        if (this.inFlight.get(key) === tracked) this.inFlight.delete(key);
      })
      .catch(() => {});
    return tracked;
  }
}
