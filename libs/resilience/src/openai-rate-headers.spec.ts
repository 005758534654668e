import {
  parseOpenAiDuration,
  readOpenAiRateHeaders,
} from './openai-rate-headers.js';

describe('parseOpenAiDuration', () => {
  it('reads the durations OpenAI sends, in milliseconds', () => {
    expect(parseOpenAiDuration('1s')).toBe(1_000);
    expect(parseOpenAiDuration('6m0s')).toBe(360_000);
    expect(parseOpenAiDuration('20ms')).toBe(20);
    expect(parseOpenAiDuration('1m30.5s')).toBe(90_500);
    expect(parseOpenAiDuration('2h0m0s')).toBe(7_200_000);
    expect(parseOpenAiDuration('0s')).toBe(0);
    expect(parseOpenAiDuration('8.64s')).toBeCloseTo(8_640, 9);
    expect(parseOpenAiDuration('1.5ms')).toBe(1.5);
    expect(parseOpenAiDuration('500µs')).toBeCloseTo(0.5, 9);
    expect(parseOpenAiDuration(' 3m ')).toBe(180_000);
  });

  it('reads a bare number as seconds, as some compatible servers send it', () => {
    expect(parseOpenAiDuration('2')).toBe(2_000);
    expect(parseOpenAiDuration('0.25')).toBe(250);
  });

  it('ignores what it cannot read', () => {
    for (const text of [
      undefined,
      '',
      ' ',
      'soon',
      's',
      '1x',
      '-1s',
      '1s soon',
      '1.s',
      '1e3',
      '1m30',
    ])
      expect(parseOpenAiDuration(text)).toBeUndefined();
  });
});

describe('readOpenAiRateHeaders', () => {
  const HEADERS = {
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '120ms',
    'x-ratelimit-limit-tokens': '200000',
    'x-ratelimit-remaining-tokens': '199000',
    'x-ratelimit-reset-tokens': '300ms',
  };

  it('reads both limits, from a fetch Headers or a plain record', () => {
    const expected = {
      requests: { limit: 500, remaining: 499, resetMs: 120 },
      tokens: { limit: 200_000, remaining: 199_000, resetMs: 300 },
    };
    expect(readOpenAiRateHeaders(new Headers(HEADERS))).toEqual(expected);
    expect(readOpenAiRateHeaders(HEADERS)).toEqual(expected);
  });

  it('leaves out what is absent or unreadable', () => {
    expect(
      readOpenAiRateHeaders({
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-limit-requests': 'many',
        'x-ratelimit-reset-requests': 'soon',
      }),
    ).toEqual({
      requests: { limit: undefined, remaining: undefined, resetMs: undefined },
      tokens: { limit: undefined, remaining: 0, resetMs: undefined },
    });
    expect(readOpenAiRateHeaders(undefined).tokens.limit).toBeUndefined();
  });
});
