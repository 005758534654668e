import {
  formatDuration,
  ProviderRateLimiter,
  rateLimitMessage,
  retryAfterHeaders,
  TokenBucket,
  type RateVerdict,
} from './rate-limit.js';

const refused = (verdict: RateVerdict) => {
  if (verdict.allowed) throw new Error('expected a refusal');
  return verdict;
};

describe('formatDuration (OpenAI’s x-ratelimit-reset-* format)', () => {
  it.each([
    [0, '0s'],
    [0.2, '1ms'],
    [20, '20ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1200, '1.2s'],
    [8640, '8.64s'],
    [2031, '2.031s'],
    [60_000, '1m0s'],
    [90_500, '1m30.5s'],
    [360_000, '6m0s'],
    [3_600_000, '1h0m0s'],
    [3_723_004, '1h2m3.004s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('rounds up to the millisecond', () => {
    expect(formatDuration(1000.1)).toBe('1.001s');
  });
});

describe('TokenBucket', () => {
  it('starts full, refills continuously at the limit per window, never above it', () => {
    const bucket = new TokenBucket(3, 3000, 100);
    expect(bucket.remaining).toBe(3);
    expect(bucket.msUntilFull).toBe(0);
    bucket.take(3);
    expect(bucket.remaining).toBe(0);
    expect(bucket.msUntilFull).toBe(3000);
    bucket.refill(1099);
    expect(bucket.remaining).toBe(0);
    bucket.refill(1100);
    expect(bucket.remaining).toBe(1);
    expect(bucket.msUntil(1)).toBe(0);
    expect(bucket.msUntil(2)).toBe(1000);
    expect(bucket.msUntilFull).toBe(2000);
    bucket.refill(100_000);
    expect(bucket.remaining).toBe(3);
    expect(bucket.used).toBe(0);
  });

  it('ignores a clock going back', () => {
    const bucket = new TokenBucket(10, 1000, 500);
    bucket.take(10);
    bucket.refill(400);
    expect(bucket.remaining).toBe(0);
    bucket.refill(600);
    expect(bucket.remaining).toBe(1);
  });
});

describe('ProviderRateLimiter', () => {
  it('takes 1 request and the tokens, and states the six headers', () => {
    const limiter = new ProviderRateLimiter(
      { rpm: 3, tpm: 1000, windowMs: 3000 },
      0,
    );
    expect(limiter.admit(100, 0)).toEqual({
      allowed: true,
      headers: {
        'x-ratelimit-limit-requests': '3',
        'x-ratelimit-remaining-requests': '2',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '900',
        'x-ratelimit-reset-tokens': '300ms',
      },
    });
    // Remaining decreases and the reset grows with use.
    expect(limiter.admit(400, 0).headers).toMatchObject({
      'x-ratelimit-remaining-requests': '1',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '500',
      'x-ratelimit-reset-tokens': '1.5s',
    });
  });

  it('refuses when the requests run out, consumes nothing, and admits once they refill', () => {
    const limiter = new ProviderRateLimiter(
      { rpm: 2, tpm: 1000, windowMs: 2000 },
      0,
    );
    limiter.admit(10, 0);
    limiter.admit(10, 0);
    const verdict = refused(limiter.admit(10, 500));
    expect(verdict.refusal).toEqual({
      kind: 'requests',
      limit: 2,
      used: 2,
      requested: 1,
      retryAfterMs: 500,
    });
    expect(verdict.headers).toMatchObject({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      // The 20 tokens taken at 0 refilled within 40 ms.
      'x-ratelimit-remaining-tokens': '1000',
    });
    // Refused again at the same instant: still 500 ms, nothing was taken.
    expect(refused(limiter.admit(10, 500)).refusal.retryAfterMs).toBe(500);
    expect(limiter.admit(10, 1000).allowed).toBe(true);
    expect(limiter.view(1000)).toEqual({
      requests: { limit: 2, remaining: 0, resetMs: 2000 },
      tokens: { limit: 1000, remaining: 990, resetMs: 20 },
    });
  });

  it('refuses when the tokens run out, naming the bucket that needs longer', () => {
    const limiter = new ProviderRateLimiter(
      { rpm: 100, tpm: 1000, windowMs: 1000 },
      0,
    );
    limiter.admit(900, 0);
    const verdict = refused(limiter.admit(300, 0));
    expect(verdict.refusal).toEqual({
      kind: 'tokens',
      limit: 1000,
      used: 900,
      requested: 300,
      retryAfterMs: 200,
    });
    expect(verdict.headers).toMatchObject({
      'x-ratelimit-remaining-requests': '99',
      'x-ratelimit-remaining-tokens': '100',
    });
    expect(rateLimitMessage('text-embedding-3-small', verdict.refusal)).toBe(
      'Rate limit reached for text-embedding-3-small in organization org-sandbox on tokens per min (TPM): Limit 1000, Used 900, Requested 300. Please try again in 200ms. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
    expect(retryAfterHeaders(verdict.refusal)).toEqual({
      'retry-after': '1',
      'retry-after-ms': '200',
    });
    expect(limiter.admit(300, 199).allowed).toBe(false);
    expect(limiter.admit(300, 200).allowed).toBe(true);
  });

  it('refuses a request larger than the token bucket for good, with no retry time', () => {
    const limiter = new ProviderRateLimiter(
      { rpm: 5, tpm: 1000, windowMs: 60_000 },
      0,
    );
    const verdict = refused(limiter.admit(1001, 0));
    expect(verdict.refusal).toEqual({
      kind: 'tokens',
      limit: 1000,
      used: 0,
      requested: 1001,
    });
    expect(retryAfterHeaders(verdict.refusal)).toEqual({});
    expect(rateLimitMessage('gpt-4o-mini', verdict.refusal)).toBe(
      'Request too large for gpt-4o-mini in organization org-sandbox on tokens per min (TPM): Limit 1000, Requested 1001. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
    // Nothing was taken; a request of exactly the bucket passes.
    expect(limiter.admit(1000, 0).headers).toMatchObject({
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m0s',
    });
  });

  it('states a limit that is off as the generous one, and never refuses on it', () => {
    const limiter = new ProviderRateLimiter({ rpm: 1, windowMs: 1000 }, 0);
    expect(limiter.admit(5_000_000, 0).headers).toEqual({
      'x-ratelimit-limit-requests': '1',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '10000000',
      'x-ratelimit-remaining-tokens': '5000000',
      'x-ratelimit-reset-tokens': '0s',
    });
    const verdict = refused(limiter.admit(1, 250));
    expect(rateLimitMessage('m', verdict.refusal)).toBe(
      'Rate limit reached for m in organization org-sandbox on requests per min (RPM): Limit 1, Used 1, Requested 1. Please try again in 750ms. Visit https://platform.openai.com/account/rate-limits to learn more.',
    );
    expect(
      new ProviderRateLimiter({ tpm: 10, windowMs: 1 }, 0).view(0),
    ).toEqual({
      requests: null,
      tokens: { limit: 10, remaining: 10, resetMs: 0 },
    });
  });
});
