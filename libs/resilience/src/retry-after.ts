/**
 * `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3), in
 * milliseconds from `now`; undefined when absent or unreadable.
 */
export function parseRetryAfter(
  header: unknown,
  now = Date.now(),
): number | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(header)) return Number(header) * 1000;
  if (!/[a-z]/i.test(header)) return undefined; // an HTTP date names its day
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
