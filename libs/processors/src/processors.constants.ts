// The injection tokens of @app/processors, in one place.

/** The token of the TaskProcessorMap: every processor of the application, by task type. */
export const TASK_PROCESSORS = Symbol('TASK_PROCESSORS');

/** The `OpenAiClientFactory` the OpenAI provider builds its SDK client with; tests pass a stub. */
export const OPENAI_CLIENT_FACTORY = Symbol('OPENAI_CLIENT_FACTORY');

/** The `OpenAiRetryTiming` between attempts of one embeddings request; tests provide tiny pauses. */
export const OPENAI_RETRY_TIMING = Symbol('OPENAI_RETRY_TIMING');

/** The `StartTokenCountThread` the token-count pool starts its worker thread with. */
export const START_TOKEN_COUNT_THREAD = Symbol('START_TOKEN_COUNT_THREAD');

/** The `TokenCountLimits` of the token-count pool: what is counted inline, threads, timeouts. */
export const TOKEN_COUNT_LIMITS = Symbol('TOKEN_COUNT_LIMITS');

/** The `WikidataLimits` of the Wikidata client: cache size and lifetime, requests at once, maxlag. */
export const WIKIDATA_LIMITS = Symbol('WIKIDATA_LIMITS');

/** The `BackoffDelays` between attempts of one Wikidata request; tests provide tiny pauses. */
export const WIKIDATA_RETRY_TIMING = Symbol('WIKIDATA_RETRY_TIMING');
