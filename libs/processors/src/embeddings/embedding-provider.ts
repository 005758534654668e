import { UpstreamError } from '@app/resilience';
import type { TokenUsage } from '../task-processor.js';
import { MAX_TOKENS_PER_REQUEST } from './embedding-models.js';

/** One embeddings request: every input shares the model and dimensions. */
export interface EmbeddingRequest {
  model: string;
  dimensions?: number;
  inputs: readonly string[];
  /** cl100k_base tokens of the inputs together, counted beforehand. */
  tokens: number;
}

export interface EmbeddingResponse {
  /** One vector per input, in input order, at the provider's float32 precision. */
  vectors: Float32Array[];
  /** As the provider reported it; some compatible servers report none. */
  usage?: TokenUsage;
}

/**
 * Why a request failed, as the rest of the service needs to know it:
 * - `input_rejected`: the provider refused the request's input (400, 413,
 *   422); with several inputs any of them may be the culprit.
 * - `unknown_model`: the provider does not have the requested model.
 * - `unsupported_dimensions`: the provider cannot answer vectors of the
 *   requested size for the model (the mock's bound, docs/processors.md).
 * - `key_refused`: the provider refused our API key (401, 403): our
 *   configuration, never the task's fault.
 * - `unavailable`: down, overloaded, rate limited past the retry budget,
 *   timing out, or its breaker is open.
 */
export type EmbeddingFailureKind =
  | 'input_rejected'
  | 'unknown_model'
  | 'unsupported_dimensions'
  | 'key_refused'
  | 'unavailable';

/** The only error an `EmbeddingProvider` throws for a failed request. */
export class EmbeddingProviderError extends UpstreamError {
  constructor(
    readonly kind: EmbeddingFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'EmbeddingProviderError';
  }

  /** The input is at fault: the same request gets the same answer. */
  get permanent(): boolean {
    return (
      this.kind === 'input_rejected' ||
      this.kind === 'unknown_model' ||
      this.kind === 'unsupported_dimensions'
    );
  }

  get transient(): boolean {
    return !this.permanent;
  }
}

/**
 * Computes embeddings. The service holds exactly one, chosen from
 * `EMBEDDING_PROVIDER` (OpenAI or any compatible server, or the mock).
 */
export abstract class EmbeddingProvider {
  /** For the start-up log: which provider and why, never a secret. */
  abstract readonly description: string;

  /** @throws EmbeddingProviderError */
  abstract embed(request: EmbeddingRequest): Promise<EmbeddingResponse>;

  /** Readiness: throws an Error saying why the provider cannot work now. */
  abstract assertReady(): void;

  /**
   * The most tokens one request for `model` may carry: OpenAI's 300,000,
   * or less when the provider serving the model takes fewer a minute.
   */
  maxRequestTokens(_model: string): number {
    return MAX_TOKENS_PER_REQUEST;
  }
}
