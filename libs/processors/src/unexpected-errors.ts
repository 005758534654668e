import {
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTaskCancelledError,
} from 'cockatiel';

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const codeOf = (error: unknown): unknown =>
  typeof error === 'object' && error !== null
    ? ((error as { code?: unknown }).code ??
      codeOf((error as { cause?: unknown }).cause))
    : undefined;

/**
 * True for errors that say "not now" rather than "this is wrong": network
 * failures, cockatiel's fail-fast errors, and any error carrying
 * `transient: true` (the convention of this code base's client errors).
 * A processor that lets one of these escape still never fails a task.
 */
export function looksLikeOutage(error: unknown): boolean {
  if (
    isBrokenCircuitError(error) ||
    isBulkheadRejectedError(error) ||
    isTaskCancelledError(error)
  ) {
    return true;
  }
  if (
    typeof error === 'object' &&
    error !== null &&
    (error as { transient?: unknown }).transient === true
  ) {
    return true;
  }
  const code = codeOf(error);
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Counts unexpected throws per task, so that a processor bug fails a task
 * after a few attempts instead of releasing it forever. Bounded: the
 * oldest entries are forgotten first.
 */
export class StrikeCounter {
  private readonly strikes = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** Records one more strike and answers the total. */
  add(id: string): number {
    const count = (this.strikes.get(id) ?? 0) + 1;
    this.strikes.delete(id);
    this.strikes.set(id, count);
    if (this.strikes.size > this.capacity) {
      this.strikes.delete(this.strikes.keys().next().value!);
    }
    return count;
  }

  clear(id: string): void {
    this.strikes.delete(id);
  }
}
