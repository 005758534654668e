import {
  ConsecutiveBreaker,
  DelegateBackoff,
  type CircuitBreakerPolicy,
  type IPolicy,
  type RetryPolicy,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
} from 'cockatiel';
import type { ServiceConfig } from '@app/config';
import type { OpenAiRetryTiming } from './openai-client.js';
import type { CallFailure } from './openai-errors.js';

export interface OpenAiResilience {
  /** Retries around the breaker: run every request through this. */
  policy: IPolicy;
  breaker: CircuitBreakerPolicy;
  retries: RetryPolicy;
}

/**
 * The one retry layer of embeddings requests, and the `openai` breaker.
 * Retries: what `classify` calls retryable, pausing as `retry-after` asks
 * (a longer pause than `maxDelayMs` ends the retries) or exponentially.
 * Breaker: opens on outages and on our key being refused, never on a
 * rejected input or unknown model (the task's fault, not the provider's).
 */
export function openAiResilience(
  { maxRetries, breakerThreshold, breakerResetMs }: ServiceConfig['resilience'],
  timing: OpenAiRetryTiming,
  classify: (error: unknown) => CallFailure | undefined,
): OpenAiResilience {
  const breaker = circuitBreaker(
    handleWhen((error) => {
      const kind = classify(error)?.kind;
      return kind === 'unavailable' || kind === 'key_refused';
    }),
    {
      halfOpenAfter: breakerResetMs,
      breaker: new ConsecutiveBreaker(breakerThreshold),
    },
  );
  const retries = retry(
    handleWhen((error) => {
      const failure = classify(error);
      return (
        failure !== undefined &&
        failure.retryable &&
        (failure.retryAfterMs ?? 0) <= timing.maxDelayMs
      );
    }),
    {
      maxAttempts: maxRetries,
      backoff: new DelegateBackoff((context) => {
        const error =
          'error' in context.result ? context.result.error : undefined;
        const exponential = Math.min(
          timing.maxDelayMs,
          timing.initialDelayMs * 2 ** (context.attempt - 1),
        );
        // Half fixed, half random: spreads replicas that failed together.
        return (
          classify(error)?.retryAfterMs ??
          exponential / 2 + (Math.random() * exponential) / 2
        );
      }),
    },
  );
  return { policy: wrap(retries, breaker), breaker, retries };
}
