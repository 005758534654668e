import type { IRetryBackoffContext } from 'cockatiel';
import { equalJitterBackoff, retryAfterBackoff } from './backoff.js';

const DELAYS = { initialDelayMs: 100, maxDelayMs: 1000 };

const context = (attempt: number, error: unknown = new Error('x')) =>
  ({
    attempt,
    result: { error },
    signal: new AbortController().signal,
  }) as IRetryBackoffContext<unknown>;

/** The delay of retry `attempt` for the given random draw. */
const delay = (attempt: number, random: number, error?: unknown) =>
  retryAfterBackoff(
    DELAYS,
    (failure) => (failure as { retryAfterMs?: number }).retryAfterMs,
    () => random,
  ).next(context(attempt, error)).duration;

describe('equalJitterBackoff', () => {
  it('doubles the ceiling per retry and keeps at least half of it', () => {
    expect(
      [1, 2, 3].map((retry) => equalJitterBackoff(retry, DELAYS, () => 0)),
    ).toEqual([50, 100, 200]);
    expect(
      [1, 2, 3].map((retry) => equalJitterBackoff(retry, DELAYS, () => 1)),
    ).toEqual([100, 200, 400]);
    expect(equalJitterBackoff(10, DELAYS, () => 1)).toBe(1000);
  });

  it('stays within the ceiling however many retries', () => {
    expect(equalJitterBackoff(5000, DELAYS, () => 1)).toBe(1000);
    expect(
      equalJitterBackoff(5000, { initialDelayMs: 0, maxDelayMs: 10 }, () => 1),
    ).toBe(0);
  });
});

describe('retryAfterBackoff', () => {
  it('backs off exponentially with equal jitter', () => {
    expect([1, 2, 3].map((attempt) => delay(attempt, 0))).toEqual([
      50, 100, 200,
    ]);
    expect(delay(10, 1)).toBe(1000);
  });

  it('waits exactly what Retry-After asked for', () => {
    expect(delay(1, 0.5, { retryAfterMs: 2500 })).toBe(2500);
  });
});
