const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
/**
 * A string field, at any depth, whose name says it holds a secret. Matching
 * the written line costs far less than pino's wildcard paths, which walk
 * every logged object (8 µs per line for 12 paths, docs/performance.md).
 */
const SECRET_FIELD =
  /("(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key|client_?secret|api_?key|access_?token|refresh_?token|id_?token|token|password)"\s*:\s*")(?:[^"\\]|\\.)*/gi;
/**
 * The user:password of a URL (`scheme://user:pass@host`): up to the `@`
 * before any `/`, `?`, `#`, space or end of the JSON string.
 */
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)(?:[^\s/?#@"\\]|\\.)+@/gi;
/**
 * A query or form parameter named for a secret (`?token=`, `&api_key=`,
 * `client_secret=` of a token request body): its value, up to the next
 * `&`, `#`, space or end of the JSON string.
 */
const SECRET_PARAMETER =
  /(\b(?:access_?token|refresh_?token|id_?token|token|api_?key|client_?secret|password)=)(?:[^&#\s"\\]|\\.)*/gi;

/**
 * The last line of defence behind pino's path redaction: whatever object
 * shape a log line takes, the known secrets and anything that looks like a
 * bearer token are replaced before the line is written.
 */
export function makeSecretScrubber(secrets: readonly string[]) {
  const known = secrets.filter((secret) => secret.length >= 4);
  return (line: string): string => {
    let scrubbed = line
      .replace(BEARER, '$1[REDACTED]')
      .replace(SECRET_FIELD, '$1[REDACTED]');
    // Cheap tests first: most lines hold neither (the scrubber runs on every line).
    if (scrubbed.includes('://'))
      scrubbed = scrubbed.replace(URL_CREDENTIALS, '$1[REDACTED]@');
    if (scrubbed.includes('='))
      scrubbed = scrubbed.replace(SECRET_PARAMETER, '$1[REDACTED]');
    for (const secret of known) {
      if (scrubbed.includes(secret))
        scrubbed = scrubbed.replaceAll(secret, '[REDACTED]');
    }
    return scrubbed;
  };
}

/**
 * Paths pino censors structurally, before serialisation: the request logs of
 * the metrics server. Secret fields elsewhere are the scrubber's.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/** The request as pino's standard serializer gives it. */
interface SerializedRequest {
  url?: unknown;
  query?: unknown;
  [field: string]: unknown;
}

/**
 * The request of a request-log line: the path without its query string, and
 * no parsed query. Nothing the metrics server serves takes a query, and a
 * peer may put anything in one (`?access_token=...`).
 */
export function requestForLog<Request extends SerializedRequest>(
  request: Request,
): Request {
  if (typeof request.url === 'string') request.url = request.url.split('?')[0];
  delete request.query;
  return request;
}
