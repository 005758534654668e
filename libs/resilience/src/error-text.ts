/** What an error says, for a log line or another error's message. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** `30 s`, or `1500 ms` when not a whole number of seconds. */
export const formatDuration = (ms: number): string =>
  ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
