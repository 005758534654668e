import OpenAI, { type ClientOptions } from 'openai';

/**
 * Builds the SDK client the OpenAI provider talks through. Injected, so
 * tests can adjust what the configuration cannot express (a shorter
 * timeout, a custom fetch).
 */
export type OpenAiClientFactory = (options: ClientOptions) => OpenAI;
export const OPENAI_CLIENT_FACTORY = Symbol('OPENAI_CLIENT_FACTORY');
export const createOpenAiClient: OpenAiClientFactory = (options) =>
  new OpenAI(options);

/** Pauses between attempts of one embeddings request. */
export interface OpenAiRetryTiming {
  /** First pause after an error without `retry-after`; doubles each time. */
  initialDelayMs: number;
  /** Longest pause; a `retry-after` longer than this ends the retries. */
  maxDelayMs: number;
}
export const OPENAI_RETRY_TIMING = Symbol('OPENAI_RETRY_TIMING');
export const DEFAULT_RETRY_TIMING: OpenAiRetryTiming = {
  initialDelayMs: 500,
  maxDelayMs: 60_000,
};
