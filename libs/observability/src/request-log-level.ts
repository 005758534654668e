/**
 * The level of pino-http's line for a request that is logged at all (probes
 * and scrapes are not). Anything else this server is asked is a client's
 * mistake or a scanner (4xx, mostly 404): a debug line, so that a scan
 * cannot fill the logs at the usual level. Its own failures are errors.
 */
export function requestLogLevel(
  _req: unknown,
  res: { statusCode: number },
  error?: Error,
): 'debug' | 'info' | 'error' {
  if (error || res.statusCode >= 500) return 'error';
  return res.statusCode >= 400 ? 'debug' : 'info';
}
