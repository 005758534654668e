import OpenAI, { type ClientOptions } from 'openai';
import type { BackoffDelays } from '@app/resilience';

/**
 * Builds the SDK client the OpenAI provider talks through. Injected, so
 * tests can adjust what the configuration cannot express (a shorter
 * timeout, a custom fetch).
 */
export type OpenAiClientFactory = (options: ClientOptions) => OpenAI;
export const createOpenAiClient: OpenAiClientFactory = (options) =>
  new OpenAI(options);

/**
 * Pauses between attempts of one embeddings request: the first after an
 * error without `retry-after`, doubling each time up to `maxDelayMs`, which
 * also bounds the `retry-after` waited for (a longer one ends the retries).
 */
export type OpenAiRetryTiming = BackoffDelays;
export const DEFAULT_RETRY_TIMING: OpenAiRetryTiming = {
  initialDelayMs: 500,
  maxDelayMs: 60_000,
};
