import type { IRetryBackoffContext } from 'cockatiel';
import { UpstreamFailure, apiBackoff, isRetryable } from './api-resilience.js';

const OPTIONS = {
  initialDelayMs: 100,
  maxDelayMs: 1000,
  maxRetryAfterMs: 30_000,
};

const context = (attempt: number, error: unknown = new Error('x')) =>
  ({
    attempt,
    result: { error },
    signal: new AbortController().signal,
  }) as IRetryBackoffContext<unknown>;

/** The delay of retry `attempt` for the given random draw. */
const delay = (attempt: number, random: number, error?: unknown) =>
  apiBackoff(OPTIONS, () => random).next(context(attempt, error)).duration;

describe('apiBackoff', () => {
  it('doubles the ceiling per retry and keeps at least half of it', () => {
    expect([1, 2, 3].map((attempt) => delay(attempt, 0))).toEqual([
      50, 100, 200,
    ]);
    expect([1, 2, 3].map((attempt) => delay(attempt, 1))).toEqual([
      100, 200, 400,
    ]);
    expect(delay(10, 1)).toBe(1000);
  });

  it('waits exactly what Retry-After asked for', () => {
    expect(delay(1, 0.5, new UpstreamFailure('429', 429, 2500))).toBe(2500);
  });
});

describe('isRetryable', () => {
  const retryable = isRetryable(OPTIONS);

  it('retries outages, not refusals, nor waits beyond the budget', () => {
    expect(retryable(new UpstreamFailure('503', 503))).toBe(true);
    expect(retryable(new UpstreamFailure('429', 429, 30_000))).toBe(true);
    expect(retryable(new UpstreamFailure('429', 429, 30_001))).toBe(false);
    expect(retryable(new Error('other'))).toBe(false);
  });
});
