import {
  isBrokenCircuitError,
  isBulkheadRejectedError,
  isTaskCancelledError,
} from 'cockatiel';
import { isTransient } from '@app/resilience';

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
 * failures, cockatiel's fail-fast errors, and transient errors
 * (`isTransient`: a transient `UpstreamError`, or any error marked
 * `transient: true`). A processor that lets one of these escape still
 * never fails a task.
 */
export function looksLikeOutage(error: unknown): boolean {
  if (
    isBrokenCircuitError(error) ||
    isBulkheadRejectedError(error) ||
    isTaskCancelledError(error)
  ) {
    return true;
  }
  if (isTransient(error)) return true;
  const code = codeOf(error);
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);
