import {
  type ResilienceSettings,
  type UpstreamPolicies,
  upstreamPolicies,
} from '@app/resilience';
import type { BreakerMonitor } from '@app/observability';
import type { OpenAiRetryTiming } from './openai-client.js';
import type { CallFailure } from './openai-errors.js';

/**
 * The one retry layer of embeddings requests, and the provider's breaker
 * (`openai` for OpenAI).
 * Retries: what `classify` calls retryable, pausing as `retry-after-ms` /
 * `retry-after` ask (a longer pause than `maxDelayMs` ends the retries) or
 * exponentially. Breaker: opens on outages and on our key being refused,
 * never on a rejected input or unknown model (the task's fault, not the
 * provider's).
 */
export function openAiPolicies(
  service: string,
  settings: ResilienceSettings,
  timing: OpenAiRetryTiming,
  classify: (error: unknown) => CallFailure | undefined,
  logger: { warn(message: string): unknown },
  breakers: BreakerMonitor,
): UpstreamPolicies {
  return upstreamPolicies(
    {
      service,
      settings,
      delays: timing,
      maxRetryAfterMs: timing.maxDelayMs,
      isRetryable: (error) => classify(error)?.retryable === true,
      retryAfterOf: (error) => classify(error)?.retryAfterMs,
      isBreakerFailure: (error) => {
        const kind = classify(error)?.kind;
        return kind === 'unavailable' || kind === 'key_refused';
      },
      logger,
      describe: (error) =>
        `embeddings request failed (${classify(error)?.message ?? 'unknown error'})`,
    },
    breakers,
  );
}
