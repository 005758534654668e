import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CircuitState,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import type OpenAI from 'openai';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { BreakerMonitor, InjectMetric, METRIC } from '@app/observability';
import {
  EmbeddingProvider,
  EmbeddingProviderError,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from './embedding-provider.js';
import {
  OPENAI_CLIENT_FACTORY,
  OPENAI_RETRY_TIMING,
} from '../processors.constants.js';
import {
  type OpenAiClientFactory,
  type OpenAiRetryTiming,
} from './openai-client.js';
import {
  InvalidEmbeddingAnswerError,
  readEmbeddingAnswer,
} from './embedding-answer.js';
import { modelLabel } from './model-label.js';
import { type CallFailure, classifyCall } from './openai-errors.js';
import { openAiPolicies } from './openai-policies.js';

/** The `status` label of `openai_requests_total` for an answer that breaks the contract. */
const INVALID_ANSWER = 'invalid_answer';

/** The base URL without any user:password part, for logs. */
const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
};

/**
 * OpenAI, or any OpenAI-compatible server at `OPENAI_BASE_URL`, through the
 * official SDK with its own retries off: cockatiel retries (honouring
 * `retry-after`) around a breaker, so exactly one retry layer exists.
 */
@Injectable()
export class OpenAiEmbeddingProvider extends EmbeddingProvider {
  readonly description: string;
  private readonly logger = new Logger(OpenAiEmbeddingProvider.name);
  private readonly client: OpenAI;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly policy: IPolicy;
  private readonly timeoutMs: number;
  /** Set while the provider refuses our key: until a call succeeds again. */
  private keyRefusal: string | undefined;

  constructor(
    config: ServiceConfig,
    @Inject(OPENAI_CLIENT_FACTORY) createClient: OpenAiClientFactory,
    @Inject(OPENAI_RETRY_TIMING) timing: OpenAiRetryTiming,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.openaiRequests)
    private readonly requests: Counter<'model' | 'status'>,
  ) {
    super();
    const { provider, baseUrl, timeoutMs } = config.embeddings;
    if (provider.kind !== 'openai') {
      throw new Error(
        'OpenAiEmbeddingProvider needs EMBEDDING_PROVIDER openai',
      );
    }
    this.description = `openai embeddings at ${displayUrl(baseUrl)}: ${provider.reason}`;
    this.timeoutMs = timeoutMs;
    this.client = createClient({
      apiKey: provider.apiKey,
      baseURL: baseUrl,
      timeout: timeoutMs,
      maxRetries: 0,
    });
    const { retryThroughBreaker, breaker } = openAiPolicies(
      config.resilience,
      timing,
      (error) => this.classify(error),
      this.logger,
      breakers,
    );
    this.policy = retryThroughBreaker;
    this.breaker = breaker;
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    let response: EmbeddingResponse;
    try {
      response = await this.policy.execute(() => this.send(request));
    } catch (error) {
      throw this.translate(error, request.model);
    }
    this.keyAccepted();
    return response;
  }

  assertReady(): void {
    if (this.keyRefusal) throw new Error(this.keyRefusal);
    if (this.breaker.state === CircuitState.Open) {
      throw new Error('the openai circuit breaker is open');
    }
  }

  /**
   * One HTTP request, counted in `openai_requests_total` whatever its
   * outcome. The answer is checked here, before anything is used, so that
   * an invalid one is counted as such, not as a success.
   */
  private async send(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    const { model, dimensions, inputs } = request;
    const labels = { model: modelLabel(model) };
    try {
      const answer: unknown = await this.client.embeddings.create({
        model,
        input: [...inputs],
        ...(dimensions === undefined ? {} : { dimensions }),
        // Asked for explicitly, the SDK hands the base64 over undecoded:
        // decodeEmbedding makes a Float32Array of it, not a number array.
        encoding_format: 'base64',
      });
      const response = readEmbeddingAnswer(answer, request);
      this.requests.inc({ ...labels, status: 'success' });
      return response;
    } catch (caught) {
      // The SDK parses a JSON answer whole: a SyntaxError is the body's.
      // Its message quotes the body, which is not repeated.
      const error =
        caught instanceof SyntaxError
          ? new InvalidEmbeddingAnswerError('the body is not JSON')
          : caught;
      const failure = this.classify(error, model);
      this.requests.inc({ ...labels, status: failure?.label ?? 'error' });
      if (error instanceof InvalidEmbeddingAnswerError && failure) {
        this.logger.warn(
          `${failure.message}; ${inputs.length} task(s) released`,
        );
      }
      throw error;
    }
  }

  private classify(error: unknown, model = ''): CallFailure | undefined {
    if (error instanceof InvalidEmbeddingAnswerError) {
      // The provider's defect: the tasks are released, and the breaker
      // counts it. Not retried: the same request would be paid for again
      // for the same answer, and the tasks come back at a later poll.
      return {
        kind: 'unavailable',
        retryable: false,
        label: INVALID_ANSWER,
        message: `the embedding provider answered an invalid embeddings answer: ${error.message}`,
      };
    }
    return classifyCall(error, { model, timeoutMs: this.timeoutMs });
  }

  private translate(error: unknown, model: string): unknown {
    if (isBrokenCircuitError(error)) {
      return new EmbeddingProviderError(
        'unavailable',
        'the openai circuit breaker is open after repeated failures',
      );
    }
    const failure = this.classify(error, model);
    if (!failure) return error;
    if (failure.kind === 'key_refused') this.keyRefused(failure.message);
    return new EmbeddingProviderError(failure.kind, failure.message);
  }

  private keyRefused(message: string): void {
    if (this.keyRefusal) return;
    this.keyRefusal = message;
    this.logger.error(
      `${message}. No embedding can be computed: tasks are released, not failed, until the key is accepted.`,
    );
  }

  private keyAccepted(): void {
    if (!this.keyRefusal) return;
    this.keyRefusal = undefined;
    this.logger.log('the embedding provider accepts our API key again');
  }
}
