import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';

/**
 * Every metric of docs/contract.md §4, declared in one place so that the
 * dashboards, the alert rules and the tests have a single list to match.
 * Inject one with `@InjectMetric(METRIC.tasksProcessed)`.
 */
export const METRIC = {
  tasksProcessed: 'ai_tasks_processed_total',
  taskDuration: 'ai_task_processing_duration_seconds',
  tasksInFlight: 'ai_tasks_in_flight',
  claimConflicts: 'ai_task_claim_conflicts_total',
  apiRequests: 'api_requests_total',
  apiRequestDuration: 'api_request_duration_seconds',
  tokenRequests: 'oauth2_token_requests_total',
  openaiRequests: 'openai_requests_total',
  openaiTokens: 'openai_tokens_used_total',
  openaiBatchSize: 'openai_batch_size',
  breakerState: 'circuit_breaker_state',
  lastSuccessfulPoll: 'ai_task_last_successful_poll_timestamp_seconds',
  completionFailures: 'ai_task_completion_failures_total',
  throttled: 'api_throttled_total',
  throttlePause: 'api_throttle_pause_seconds',
  throttledSeconds: 'api_throttled_seconds_total',
  providerRequests: 'provider_requests_total',
  providerPausedSeconds: 'provider_rate_limit_paused_seconds_total',
  llmRequests: 'llm_requests_total',
  llmTokens: 'llm_tokens_used_total',
  wikidataRequests: 'wikidata_requests_total',
  wikidataCacheHits: 'wikidata_cache_hits_total',
  wikidataCacheMisses: 'wikidata_cache_misses_total',
  spendUsd: 'ai_spend_usd_total',
  budgetRemaining: 'ai_budget_remaining',
  budgetExhausted: 'ai_budget_exhausted',
  budgetLimit: 'ai_budget_limit',
} as const;

export const metricProviders = [
  makeCounterProvider({
    name: METRIC.tasksProcessed,
    help: 'Tasks finished by this processor, by outcome',
    labelNames: ['task_type', 'status'],
  }),
  makeHistogramProvider({
    name: METRIC.taskDuration,
    help: 'Time from claim to the task being reported back',
    labelNames: ['task_type'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  }),
  makeGaugeProvider({
    name: METRIC.tasksInFlight,
    help: 'Tasks claimed and not yet reported back',
  }),
  makeCounterProvider({
    name: METRIC.claimConflicts,
    help: 'Claims refused with 409 because another worker took the task',
  }),
  makeCounterProvider({
    name: METRIC.apiRequests,
    help: 'Requests to the tasks API, by route template and answer',
    labelNames: ['endpoint', 'method', 'status_code'],
  }),
  makeHistogramProvider({
    name: METRIC.apiRequestDuration,
    help: 'Duration of requests to the tasks API',
    labelNames: ['endpoint', 'method'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  makeCounterProvider({
    name: METRIC.tokenRequests,
    help: 'Requests to the OAuth2 token endpoint',
    labelNames: ['status'],
  }),
  makeCounterProvider({
    name: METRIC.openaiRequests,
    help: 'Embeddings requests, by model and outcome',
    labelNames: ['model', 'status'],
  }),
  makeCounterProvider({
    name: METRIC.openaiTokens,
    help: 'Tokens reported used by the embedding provider',
    labelNames: ['model', 'type'],
  }),
  makeHistogramProvider({
    name: METRIC.openaiBatchSize,
    help: 'Inputs per embeddings request',
    labelNames: ['model'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048],
  }),
  makeGaugeProvider({
    name: METRIC.breakerState,
    help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open',
    labelNames: ['service'],
  }),
  makeGaugeProvider({
    name: METRIC.lastSuccessfulPoll,
    help: 'Unix time of the last poll of the tasks API that succeeded',
  }),
  makeCounterProvider({
    name: METRIC.completionFailures,
    help: 'Completions the tasks API would not take, reported failed instead (completion_refused, completion_failed)',
    labelNames: ['code'],
  }),
  makeCounterProvider({
    name: METRIC.throttled,
    help: 'Answers 429 (too many requests), by upstream',
    labelNames: ['service'],
  }),
  makeGaugeProvider({
    name: METRIC.throttlePause,
    help: 'Seconds left before calls to the upstream resume after a 429 or a used-up rate window',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: METRIC.throttledSeconds,
    help: 'Wall time during which calls to the upstream were held back by its rate limit',
    labelNames: ['service'],
  }),
  makeCounterProvider({
    name: METRIC.providerRequests,
    help: 'Requests to each AI provider (embeddings and chat), by outcome',
    labelNames: ['provider', 'kind', 'status'],
  }),
  makeCounterProvider({
    name: METRIC.providerPausedSeconds,
    help: 'Wall time requests to the provider were held back by its rate limits (pacing and 429 pauses)',
    labelNames: ['provider'],
  }),
  makeCounterProvider({
    name: METRIC.llmRequests,
    help: 'Chat completion requests of the verification task types, by model and outcome',
    labelNames: ['model', 'status'],
  }),
  makeCounterProvider({
    name: METRIC.llmTokens,
    help: 'Tokens reported used by the chat provider: prompt, completion and (part of completion) reasoning',
    labelNames: ['model', 'type'],
  }),
  makeCounterProvider({
    name: METRIC.wikidataRequests,
    help: 'Requests to the Wikidata action API, by outcome',
    labelNames: ['status'],
  }),
  makeCounterProvider({
    name: METRIC.wikidataCacheHits,
    help: 'Wikidata lookups answered from the cache',
  }),
  makeCounterProvider({
    name: METRIC.wikidataCacheMisses,
    help: 'Wikidata lookups that had to ask Wikidata',
  }),
  makeCounterProvider({
    name: METRIC.spendUsd,
    help: 'US dollars spent on AI providers (price table × tokens reported), by provider and model (`other` outside the price table)',
    labelNames: ['provider', 'model'],
  }),
  makeGaugeProvider({
    name: METRIC.budgetRemaining,
    help: 'What is left of a spending budget this period (tokens or US dollars), as this process last learned it',
    labelNames: ['period', 'unit', 'scope'],
  }),
  makeGaugeProvider({
    name: METRIC.budgetExhausted,
    help: 'Whether a spending budget is used up for this period: 1 used up (work that needs it waits), 0 open',
    labelNames: ['period', 'unit', 'scope'],
  }),
  makeGaugeProvider({
    name: METRIC.budgetLimit,
    help: 'A spending budget per period, in its unit (tokens or US dollars)',
    labelNames: ['period', 'unit', 'scope'],
  }),
];
