import type { z } from 'zod';
import { UpstreamError } from '@app/resilience';

/**
 * What a verification task asks the model for: a JSON schema (written once
 * with zod, sent as a strict Structured Output and used again to check the
 * answer), and the deterministic answer mock mode gives instead.
 */
export interface ChatSchema<T> {
  /** `response_format.json_schema.name`: letters, digits, `_` and `-`, at most 64. */
  readonly name: string;
  readonly schema: z.ZodType<T>;
  /**
   * Mock mode's answer for `text` (the task's text): deterministic, valid
   * against `schema`, computed without leaving the process.
   */
  mockAnswer(text: string): T;
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface ChatRequest<T> {
  model: string;
  messages: readonly ChatMessage[];
  schema: ChatSchema<T>;
  /** The task's text, which mock mode derives its answer from. */
  text: string;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  /** Part of `completionTokens` a reasoning model spent thinking; 0 for others. */
  reasoningTokens: number;
}

export interface ChatAnswer<T> {
  /** The parsed answer, valid against the request's schema. */
  value: T;
  usage: ChatUsage;
}

/**
 * Why a chat request failed, as the rest of the service needs to know it:
 * - `model_refused`: the model declined to answer (a refusal).
 * - `invalid_model_output`: the answer did not match the schema, also on
 *   one more try.
 * - `output_truncated`: the answer was cut off (`finish_reason: length`).
 * - `text_too_long`: the text does not fit in the model's context.
 * - `unknown_model`: the provider does not have the requested model.
 * - `key_refused`: the provider refused our API key (401, 403): our
 *   configuration, never the task's fault.
 * - `unavailable`: down, overloaded, rate limited past the retry budget,
 *   timing out, answering what is not a chat completion, or its breaker is
 *   open.
 */
export type ChatFailureKind =
  | 'model_refused'
  | 'invalid_model_output'
  | 'output_truncated'
  | 'text_too_long'
  | 'unknown_model'
  | 'key_refused'
  | 'unavailable';

const PERMANENT: ReadonlySet<ChatFailureKind> = new Set([
  'model_refused',
  'invalid_model_output',
  'output_truncated',
  'text_too_long',
  'unknown_model',
]);

/** The only error a `ChatProvider` throws for a failed request. */
export class ChatProviderError extends UpstreamError {
  constructor(
    readonly kind: ChatFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'ChatProviderError';
  }

  /** The task is at fault: the same request gets the same answer. */
  get permanent(): boolean {
    return PERMANENT.has(this.kind);
  }

  get transient(): boolean {
    return !this.permanent;
  }
}

/**
 * Answers chat requests with structured output. The service holds exactly
 * one, chosen as the embedding provider is (OpenAI or any compatible
 * server, or the mock).
 */
export abstract class ChatProvider {
  /** For the start-up log: which provider and why, never a secret. */
  abstract readonly description: string;

  /** @throws ChatProviderError */
  abstract complete<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>>;

  /** Readiness: throws an Error saying why the provider cannot work now. */
  abstract assertReady(): void;
}
