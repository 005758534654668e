import { type AnyAnswerHeaders, headerValue } from './answer-headers.js';

/** A whole or decimal number, nothing else: `Number` alone would read `0x10` and `1e3`. */
const DECIMAL = /^\d+(\.\d+)?$/;

/** One `<number><unit>` of a duration; `ms` before `m`, or `20ms` would read as 20 minutes and a stray `s`. */
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)/y;

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3, // U+00B5 MICRO SIGN, as Go prints it
  μs: 1e-3, // U+03BC GREEK SMALL LETTER MU
  ns: 1e-6,
};

/**
 * An OpenAI duration (`1s`, `6m0s`, `20ms`, `1m30.5s`, `2h0m0s`: Go's
 * notation, parts largest first) in milliseconds; undefined when absent or
 * unreadable. A bare number is read as seconds: some OpenAI-compatible
 * servers send the reset that way.
 */
export function parseOpenAiDuration(
  text: string | undefined,
): number | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  if (DECIMAL.test(trimmed)) return Number(trimmed) * 1000;
  let ms = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < trimmed.length) {
    const part = DURATION_PART.exec(trimmed);
    if (!part) return undefined;
    ms += Number(part[1]) * UNIT_MS[part[2]];
  }
  return ms;
}

/** What an answer says of one of the provider's limits; each field undefined when its header is absent or unreadable. */
export interface RateWindowReading {
  /** The most the bucket holds: `x-ratelimit-limit-*`. */
  limit: number | undefined;
  /** What is left of it as the provider took the request: `x-ratelimit-remaining-*`. */
  remaining: number | undefined;
  /** Milliseconds until the bucket is full again: `x-ratelimit-reset-*`. */
  resetMs: number | undefined;
}

/** OpenAI's two limits as an answer reports them. */
export interface OpenAiRateHeaders {
  requests: RateWindowReading;
  tokens: RateWindowReading;
}

/** A header as a non-negative number, or undefined. */
function countHeader(
  headers: AnyAnswerHeaders | undefined,
  name: string,
): number | undefined {
  const value = headerValue(headers, name)?.trim();
  return value !== undefined && DECIMAL.test(value) ? Number(value) : undefined;
}

function readWindow(
  headers: AnyAnswerHeaders | undefined,
  dimension: 'requests' | 'tokens',
): RateWindowReading {
  return {
    limit: countHeader(headers, `x-ratelimit-limit-${dimension}`),
    remaining: countHeader(headers, `x-ratelimit-remaining-${dimension}`),
    resetMs: parseOpenAiDuration(
      headerValue(headers, `x-ratelimit-reset-${dimension}`),
    ),
  };
}

/** The `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` headers of an OpenAI (or compatible) answer. */
export function readOpenAiRateHeaders(
  headers: AnyAnswerHeaders | undefined,
): OpenAiRateHeaders {
  return {
    requests: readWindow(headers, 'requests'),
    tokens: readWindow(headers, 'tokens'),
  };
}
