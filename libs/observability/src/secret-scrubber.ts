const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const TOKEN_FIELD = /("(?:access_token|refresh_token|id_token)"\s*:\s*")[^"]*/g;

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
      .replace(TOKEN_FIELD, '$1[REDACTED]');
    for (const secret of known) {
      if (scrubbed.includes(secret))
        scrubbed = scrubbed.replaceAll(secret, '[REDACTED]');
    }
    return scrubbed;
  };
}

/** Paths pino censors structurally, before serialisation. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.Authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.clientSecret',
  '*.client_secret',
  '*.apiKey',
  '*.api_key',
  '*.accessToken',
  '*.access_token',
  '*.token',
  '*.password',
];
