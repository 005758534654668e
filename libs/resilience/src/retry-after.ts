import { type AnyAnswerHeaders, headerValue } from './answer-headers.js';

/** A whole or decimal number, nothing else: `Number` alone would read `0x10` and `1e3`. */
const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;

/**
 * `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in
 * milliseconds from `now`; undefined when absent or unreadable. Fractional
 * seconds are read too: some servers send them.
 */
export function parseRetryAfter(
  header: unknown,
  now = Date.now(),
): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (DECIMAL.test(header)) return Number(header) * 1000;
  if (!/[a-z]/i.test(header)) return undefined; // an HTTP date names its day
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The pause an answer asks for, in milliseconds: `retry-after-ms` (OpenAI's,
 * the more precise) wins over `Retry-After`. Undefined when it names none.
 */
export function retryAfterMs(
  headers: AnyAnswerHeaders | undefined,
  now = Date.now(),
): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined && DECIMAL.test(ms)) return Number(ms);
  return parseRetryAfter(headerValue(headers, 'retry-after'), now);
}
