import { type BulkheadPolicy, bulkhead } from 'cockatiel';
import type { BreakerMonitor, BreakerService } from '@app/observability';
import {
  type ResilienceSettings,
  type UpstreamPolicies,
  upstreamPolicies,
} from '@app/resilience';
import type { OpenAiRetryTiming } from '../embeddings/openai-client.js';
import type { ChatCallFailure } from './chat-errors.js';

/**
 * Chat requests waiting for a free slot, at most. Callers are tasks in
 * flight (`CONCURRENCY_LIMIT`), far fewer in any sane setting: the bound
 * only keeps a runaway caller from queueing without end.
 */
export const MAX_QUEUED_CHAT_REQUESTS = 10_000;

export interface ChatPolicies extends UpstreamPolicies {
  /** At most `maxConcurrentRequests` chat requests at once; the others wait their turn. */
  bulkhead: BulkheadPolicy;
}

/**
 * The one retry layer of chat requests, the `chat` breaker and the bound
 * on requests in flight. Retries: what `classify` calls retryable, pausing
 * as `retry-after-ms` / `retry-after` ask (a longer pause than `maxDelayMs`
 * ends the retries) or exponentially. Breaker: opens on outages, on our key
 * being refused and on requests the provider refuses as built, never on
 * what the task causes (a refusal, a text too long, an unknown model).
 */
export function chatPolicies(
  service: BreakerService,
  settings: ResilienceSettings,
  timing: OpenAiRetryTiming,
  maxConcurrentRequests: number,
  classify: (error: unknown) => ChatCallFailure | undefined,
  logger: { warn(message: string): unknown },
  breakers: BreakerMonitor,
): ChatPolicies {
  const policies = upstreamPolicies(
    {
      service,
      settings,
      delays: timing,
      maxRetryAfterMs: timing.maxDelayMs,
      isRetryable: (error) => classify(error)?.retryable === true,
      retryAfterOf: (error) => classify(error)?.retryAfterMs,
      isBreakerFailure: (error) => classify(error)?.breakerFailure === true,
      logger,
      describe: (error) =>
        `chat request failed (${classify(error)?.message ?? 'unknown error'})`,
    },
    breakers,
  );
  return {
    ...policies,
    bulkhead: bulkhead(maxConcurrentRequests, MAX_QUEUED_CHAT_REQUESTS),
  };
}
