import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from 'openai';
import { retryAfterMs } from '@app/resilience';
import type { EmbeddingFailureKind } from './embedding-provider.js';

/** What one failed call to the embeddings endpoint means. */
export interface CallFailure {
  kind: EmbeddingFailureKind;
  /** Worth another attempt after a pause. */
  retryable: boolean;
  /** The `status` label of `openai_requests_total`. */
  label: string;
  message: string;
  /** The pause the provider asked for (`retry-after-ms`, `retry-after`). */
  retryAfterMs?: number;
}

const INPUT_REJECTED = new Set([400, 413, 422]);
const KEY_REFUSED = new Set([401, 403]);
const RETRYABLE = (status: number) =>
  status === 408 || status === 409 || status === 429 || status >= 500;

export const providerMessage = (error: APIError): string => {
  const body = error.error as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : error.message;
};

/** The innermost system error code (fetch wraps it twice), else a message. */
export function causeOf(error: Error): string {
  let message = error.message;
  let cause = error.cause as { code?: unknown; cause?: unknown } | undefined;
  // Bounded: cause chains are short, but a cycle must not hang the service.
  for (
    let depth = 0;
    depth < 5 && typeof cause === 'object' && cause;
    depth++
  ) {
    if (typeof cause.code === 'string') return cause.code;
    const { message: text } = cause as { message?: unknown };
    if (typeof text === 'string') message = text;
    cause = cause.cause as typeof cause;
  }
  return message;
}

/**
 * Classifies an error of the openai SDK; undefined for anything else (a
 * bug, which must not be disguised as an outage).
 */
export function classifyCall(
  error: unknown,
  context: { model: string; timeoutMs: number },
): CallFailure | undefined {
  if (error instanceof APIConnectionTimeoutError) {
    return {
      kind: 'unavailable',
      retryable: true,
      label: 'timeout',
      message: `the embeddings request timed out after ${context.timeoutMs} ms`,
    };
  }
  if (error instanceof APIConnectionError) {
    return {
      kind: 'unavailable',
      retryable: true,
      label: 'connection_error',
      message: `cannot reach the embedding provider (${causeOf(error)})`,
    };
  }
  if (!(error instanceof APIError) || error.status === undefined) {
    return undefined;
  }
  const { status } = error;
  const label = String(status);
  if (INPUT_REJECTED.has(status)) {
    return {
      kind: 'input_rejected',
      retryable: false,
      label,
      message: `the embedding provider rejected the input (${status}): ${providerMessage(error)}`,
    };
  }
  if (KEY_REFUSED.has(status)) {
    // The provider's message may quote part of the key: it is not repeated.
    return {
      kind: 'key_refused',
      retryable: false,
      label,
      message: `the embedding provider refused our API key (${status}); check OPENAI_API_KEY`,
    };
  }
  if (
    status === 404 &&
    (error.code === 'model_not_found' || /model/i.test(providerMessage(error)))
  ) {
    return {
      kind: 'unknown_model',
      retryable: false,
      label,
      message: `the embedding provider does not have model "${context.model}": ${providerMessage(error)}`,
    };
  }
  if (RETRYABLE(status)) {
    return {
      kind: 'unavailable',
      retryable: true,
      label,
      message:
        status === 429
          ? `the embedding provider is rate limiting us (429): ${providerMessage(error)}`
          : `the embedding provider answered ${status}: ${providerMessage(error)}`,
      retryAfterMs: retryAfterMs(error.headers),
    };
  }
  // 404 without a model complaint and other 4xx: most likely a wrong
  // OPENAI_BASE_URL, our configuration, so never the task's fault.
  return {
    kind: 'unavailable',
    retryable: false,
    label,
    message: `the embedding provider answered ${status} (check OPENAI_BASE_URL): ${providerMessage(error)}`,
  };
}
