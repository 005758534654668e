import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  CircuitState,
  isBrokenCircuitError,
  isBulkheadRejectedError,
} from 'cockatiel';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { BreakerMonitor, InjectMetric, METRIC } from '@app/observability';
import { lastFailureText } from '@app/resilience';
import {
  WIKIDATA_LIMITS,
  WIKIDATA_RETRY_TIMING,
} from '../processors.constants.js';
import { readEntitiesAnswer, readSearchAnswer } from './wikidata-answers.js';
import { WikidataCache } from './wikidata-cache.js';
import {
  type WikidataCandidate,
  WikidataClient,
  type WikidataItem,
  WikidataUnavailableError,
} from './wikidata-client.js';
import type { WikidataLimits, WikidataRetryTiming } from './wikidata-limits.js';
import {
  MAX_IDS_PER_REQUEST,
  checkedLanguage,
  checkedLimit,
  distinctItemIds,
  itemKey,
  normaliseTerm,
  searchKey,
  searchable,
} from './wikidata-lookup.js';
import {
  type WikidataPolicies,
  wikidataPolicies,
} from './wikidata-policies.js';
import { WikidataRequestFailure } from './wikidata-request-failure.js';
import {
  type WikidataRequest,
  WikidataTransport,
} from './wikidata-transport.js';
import { WikidataUrls, termLanguages } from './wikidata-urls.js';

/** What the cache keeps for an item key: the item, or that Wikidata does not have it. */
type CachedItem = WikidataItem | 'missing';

/** Copies, so that a caller sorting or editing an answer never edits the cache. */
const copyCandidate = (candidate: WikidataCandidate): WikidataCandidate => ({
  ...candidate,
});
const copyItem = (item: WikidataItem): WikidataItem => ({
  ...item,
  aliases: [...item.aliases],
  instanceOf: [...item.instanceOf],
});

/**
 * Wikidata's action API (`WIKIDATA_API_URL`) as Wikimedia asks bots to use
 * it: a descriptive User-Agent, `maxlag` on every request, few requests at
 * once, answers cached. Requests are built by wikibase-sdk and sent by
 * undici; every answer is checked (wikidata-answers.ts). Any failure is a
 * `WikidataUnavailableError`: an outage, never the task's fault.
 */
@Injectable()
export class HttpWikidataClient
  extends WikidataClient
  implements OnApplicationShutdown
{
  readonly description: string;
  private readonly logger = new Logger(HttpWikidataClient.name);
  private readonly urls: WikidataUrls;
  private readonly transport: WikidataTransport;
  private readonly cache: WikidataCache;
  private readonly policies: WikidataPolicies;
  private readonly maxQueuedRequests: number;
  /** Set while Wikidata refuses our User-Agent: until a request succeeds again. */
  private userAgentRefusal: string | undefined;

  constructor(
    config: ServiceConfig,
    @Inject(WIKIDATA_LIMITS) limits: WikidataLimits,
    @Inject(WIKIDATA_RETRY_TIMING) timing: WikidataRetryTiming,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.wikidataRequests) requests: Counter<'status'>,
    @InjectMetric(METRIC.wikidataCacheHits) hits: Counter,
    @InjectMetric(METRIC.wikidataCacheMisses) misses: Counter,
  ) {
    super();
    const { apiUrl, userAgent, requestTimeoutMs } = config.wikidata;
    if (!userAgent) {
      throw new Error('HttpWikidataClient needs WIKIDATA_USER_AGENT');
    }
    this.description = `wikidata at ${apiUrl} as ${JSON.stringify(userAgent)}`;
    this.urls = new WikidataUrls(apiUrl, limits.maxlagSeconds);
    this.transport = new WikidataTransport({
      apiUrl,
      userAgent,
      timeoutMs: requestTimeoutMs,
      maxlagSeconds: limits.maxlagSeconds,
      maxAnswerBytes: limits.maxAnswerBytes,
      connections: limits.maxConcurrentRequests,
      requests,
    });
    this.cache = new WikidataCache(limits, hits, misses);
    this.policies = wikidataPolicies(
      config.resilience,
      timing,
      limits,
      this.logger,
      breakers,
    );
    this.maxQueuedRequests = limits.maxQueuedRequests;
  }

  async search(
    term: string,
    language: string,
    limit: number,
  ): Promise<WikidataCandidate[]> {
    const code = checkedLanguage(language);
    const count = checkedLimit(limit);
    const normalised = normaliseTerm(term);
    if (!searchable(normalised)) return [];
    const candidates = await this.cache.lookup(
      searchKey(code, count, normalised),
      () =>
        this.call(
          {
            action: 'wbsearchentities',
            target: this.urls.search(normalised, code, count),
          },
          (answer) => readSearchAnswer(answer, count),
        ),
    );
    return candidates.map(copyCandidate);
  }

  async items(
    ids: readonly string[],
    language: string,
  ): Promise<Map<string, WikidataItem>> {
    const code = checkedLanguage(language);
    const idOfKey = new Map(
      distinctItemIds(ids).map((id) => [itemKey(code, id), id]),
    );
    const cached = await this.cache.lookupMany<CachedItem>(
      [...idOfKey.keys()],
      (missingKeys) => {
        const loads = new Map<string, Promise<CachedItem>>();
        for (let at = 0; at < missingKeys.length; at += MAX_IDS_PER_REQUEST) {
          const chunk = missingKeys.slice(at, at + MAX_IDS_PER_REQUEST);
          const chunkIds = chunk.map((key) => idOfKey.get(key)!);
          const found = this.entities(chunkIds, code);
          for (const [index, key] of chunk.entries()) {
            loads.set(
              key,
              found.then((items) => items.get(chunkIds[index]!) ?? 'missing'),
            );
          }
        }
        return loads;
      },
    );
    const items = new Map<string, WikidataItem>();
    for (const [key, id] of idOfKey) {
      const item = cached.get(key);
      if (item && item !== 'missing') items.set(id, copyItem(item));
    }
    return items;
  }

  assertReady(): void {
    if (this.userAgentRefusal) throw new Error(this.userAgentRefusal);
    if (this.policies.breaker.state === CircuitState.Open) {
      throw new Error(
        `the wikidata circuit breaker is open${lastFailureText(this.policies.breaker)}`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }

  /**
   * The items of at most 50 ids. An answer too large to read is asked
   * again in halves (a country's statements alone are megabytes); one id
   * whose answer is too large is an outage.
   */
  private async entities(
    ids: string[],
    language: string,
  ): Promise<Map<string, WikidataItem>> {
    try {
      return await this.call(
        { action: 'wbgetentities', target: this.urls.entities(ids, language) },
        (answer) => readEntitiesAnswer(answer, ids, termLanguages(language)),
      );
    } catch (error) {
      const splittable =
        error instanceof WikidataRequestFailure &&
        error.tooLarge &&
        ids.length > 1;
      if (!splittable) throw error;
      const half = Math.ceil(ids.length / 2);
      const halves = await Promise.all([
        this.entities(ids.slice(0, half), language),
        this.entities(ids.slice(half), language),
      ]);
      return new Map(halves.flatMap((items) => [...items]));
    }
  }

  /** One request through the policies; any failure a WikidataUnavailableError. */
  private async call<T>(
    request: WikidataRequest,
    read: (answer: unknown) => T,
  ): Promise<T> {
    let value: T;
    try {
      value = await this.policies.run.execute(() =>
        this.transport.exchange(request, read),
      );
    } catch (error) {
      throw this.translate(error);
    }
    this.userAgentAccepted();
    return value;
  }

  private translate(error: unknown): unknown {
    if (error instanceof WikidataRequestFailure) {
      if (error.userAgentRefused) this.userAgentRefused(error.message);
      return error;
    }
    if (isBrokenCircuitError(error)) {
      return new WikidataUnavailableError(
        `the wikidata circuit breaker is open after repeated failures${lastFailureText(this.policies.breaker)}`,
      );
    }
    if (isBulkheadRejectedError(error)) {
      return new WikidataUnavailableError(
        `more than ${this.maxQueuedRequests} Wikidata requests are waiting for a free slot`,
      );
    }
    return error; // a bug: not disguised as an outage
  }

  private userAgentRefused(message: string): void {
    if (this.userAgentRefusal) return;
    this.userAgentRefusal = message;
    this.logger.error(
      `${message}. No lookup can be made: tasks are released, not failed, until it is accepted.`,
    );
  }

  private userAgentAccepted(): void {
    if (!this.userAgentRefusal) return;
    this.userAgentRefusal = undefined;
    this.logger.log('Wikidata accepts our User-Agent again');
  }
}
