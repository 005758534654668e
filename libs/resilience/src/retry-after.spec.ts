import { parseRetryAfter, retryAfterMs } from './retry-after.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('1e3', now)).toBeUndefined();
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const headers = (init: Record<string, string>) => new Headers(init);

  it('prefers retry-after-ms, then reads seconds or an HTTP date', () => {
    expect(
      retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' })),
    ).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(
      retryAfterMs(
        headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }),
        now,
      ),
    ).toBe(5_000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });

  it('reads the header records of undici and axios too, first value first', () => {
    expect(retryAfterMs({ 'retry-after': ['3', '9'] }, now)).toBe(3000);
    expect(retryAfterMs({ 'retry-after-ms': '20', 'retry-after': '1' })).toBe(
      20,
    );
    expect(retryAfterMs({ 'retry-after-ms': 'soon', 'retry-after': '1' })).toBe(
      1000,
    );
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
