import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from 'openai';
import { retryAfterMs } from '@app/resilience';
import { causeOf, providerMessage } from '../embeddings/openai-errors.js';
import { boundedText } from './bounded-text.js';
import { shownModel } from './chat-models.js';
import type { ChatFailureKind } from './chat-provider.js';

/** What one failed request to the chat completions endpoint means. */
export interface ChatCallFailure {
  kind: ChatFailureKind;
  /** Worth another attempt after a pause. */
  retryable: boolean;
  /** Counted by the `chat` breaker: the provider (or our key) is the problem, not the task. */
  breakerFailure: boolean;
  /** The `status` label of `llm_requests_total`. */
  label: string;
  message: string;
  /** The pause the provider asked for (`retry-after-ms`, `retry-after`). */
  retryAfterMs?: number;
  /**
   * A 400 refusing `temperature` (reasoning models take only the default):
   * the request is sent again without it, so this is no failure yet.
   */
  temperatureRefused?: boolean;
}

const KEY_REFUSED = new Set([401, 403]);
const RETRYABLE = (status: number) =>
  status === 408 || status === 409 || status === 429 || status >= 500;

/** OpenAI's codes and words for a prompt longer than the model takes. */
const TOO_LONG_CODES = new Set([
  'context_length_exceeded',
  'string_above_max_length',
]);
const TOO_LONG_WORDS = /maximum context length|context window|too many tokens/i;

/** OpenAI's and Azure's codes for a prompt their policy refuses: the text is the cause. */
const POLICY_CODES = new Set([
  'content_policy_violation',
  'content_filter',
  'invalid_prompt',
]);

const TEMPERATURE_CODES = new Set([
  'unsupported_value',
  'unsupported_parameter',
]);

/** What the provider said, bounded: it may quote the task's text at length. */
const said = (error: APIError): string => boundedText(providerMessage(error));

/**
 * Classifies an error of the openai SDK from a chat completions request;
 * undefined for anything else (a bug, which must not be disguised as an
 * outage).
 */
export function classifyChatCall(
  error: unknown,
  context: { model: string; timeoutMs: number },
): ChatCallFailure | undefined {
  if (error instanceof APIConnectionTimeoutError) {
    return {
      kind: 'unavailable',
      retryable: true,
      breakerFailure: true,
      label: 'timeout',
      message: `the chat request timed out after ${context.timeoutMs} ms`,
    };
  }
  if (error instanceof APIConnectionError) {
    return {
      kind: 'unavailable',
      retryable: true,
      breakerFailure: true,
      label: 'connection_error',
      message: `cannot reach the chat provider (${causeOf(error)})`,
    };
  }
  if (!(error instanceof APIError) || error.status === undefined) {
    return undefined;
  }
  const { status } = error;
  const label = String(status);
  const model = shownModel(context.model);
  const permanent = (kind: ChatFailureKind, message: string) => ({
    kind,
    retryable: false,
    breakerFailure: false,
    label,
    message,
  });
  if (
    status === 413 ||
    (status === 400 &&
      (TOO_LONG_CODES.has(error.code ?? '') ||
        TOO_LONG_WORDS.test(providerMessage(error))))
  ) {
    return permanent(
      'text_too_long',
      `the text does not fit in the context of model ${model} (${status}): ${said(error)}`,
    );
  }
  if (status === 400 && POLICY_CODES.has(error.code ?? '')) {
    return permanent(
      'model_refused',
      `the chat provider's policy refused the text (${status}): ${said(error)}`,
    );
  }
  if (
    status === 400 &&
    error.param === 'response_format' &&
    /not supported/i.test(providerMessage(error))
  ) {
    // The task chose a model that cannot answer in a strict schema.
    return permanent(
      'unknown_model',
      `model ${model} does not support Structured Outputs (json_schema): ${said(error)}`,
    );
  }
  if (
    status === 400 &&
    error.param === 'temperature' &&
    TEMPERATURE_CODES.has(error.code ?? '')
  ) {
    return {
      kind: 'unavailable',
      retryable: false,
      breakerFailure: false,
      label,
      message: `model ${model} refuses temperature 0: ${said(error)}`,
      temperatureRefused: true,
    };
  }
  if (KEY_REFUSED.has(status)) {
    // The provider's message may quote part of the key: it is not repeated.
    return {
      kind: 'key_refused',
      retryable: false,
      breakerFailure: true,
      label,
      message: `the chat provider refused our API key (${status}); check OPENAI_API_KEY`,
    };
  }
  if (
    status === 404 &&
    (error.code === 'model_not_found' || /model/i.test(providerMessage(error)))
  ) {
    return permanent(
      'unknown_model',
      `the chat provider does not have model ${model}: ${said(error)}`,
    );
  }
  if (RETRYABLE(status)) {
    return {
      kind: 'unavailable',
      retryable: true,
      breakerFailure: true,
      label,
      message:
        status === 429
          ? `the chat provider is rate limiting us (429): ${said(error)}`
          : `the chat provider answered ${status}: ${said(error)}`,
      retryAfterMs: retryAfterMs(error.headers),
    };
  }
  // Any other 400 or 422 is about the request as this service builds it
  // (a setting, a schema, a parameter the server does not take), and a
  // 404 that names no model most likely a wrong OPENAI_BASE_URL: ours to
  // fix, so never the task's fault. The breaker counts it: every request
  // would get the same answer.
  return {
    kind: 'unavailable',
    retryable: false,
    breakerFailure: true,
    label,
    message:
      status === 404
        ? `the chat provider answered 404 (check OPENAI_BASE_URL): ${said(error)}`
        : `the chat provider refused the request as this service builds it (${status}), a setting or a defect of ours: ${said(error)}`,
  };
}
