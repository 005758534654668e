import type { IRetryBackoffContext } from 'cockatiel';
import {
  UpstreamFailure,
  apiBackoff,
  isRetryable,
  parseRetryAfter,
} from './api-resilience.js';

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

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

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
