import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  CircuitState,
  isBrokenCircuitError,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { APIError } from 'openai';
import type OpenAI from 'openai';
import type { Counter } from 'prom-client';
import { RequestOverBudgetError } from '@app/budgets';
import { ServiceConfig, type ProviderSettings } from '@app/config';
import { BreakerMonitor, InjectMetric, METRIC } from '@app/observability';
import { RequestTooLargeError } from '@app/resilience';
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
import { ProviderRoutes } from '../providers/provider-routes.js';
import {
  type Admission,
  BudgetExhaustedError,
  SpendGate,
} from '../providers/spend-gate.js';
import { headersOf } from '../providers/answer-headers.js';
import { MAX_TOKENS_PER_REQUEST } from './embedding-models.js';

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

/** One provider as the embeddings see it: its SDK client, its policies, its key. */
interface Lane {
  provider: ProviderSettings;
  client: OpenAI;
  policy: IPolicy;
  breaker: CircuitBreakerPolicy;
  /** Set while the provider refuses our key: until a call succeeds again. */
  keyRefusal: string | undefined;
}

/** The breaker's `service` label: `openai` as before, a named provider by its name. */
const breakerName = (provider: ProviderSettings): string =>
  provider.name === 'openai' ? 'openai' : `embeddings_${provider.name}`;

/**
 * OpenAI, and any OpenAI-compatible server (`PROVIDER_<NAME>_BASE_URL`),
 * through the official SDK with its own retries off: each request goes to
 * the provider its model's route names (`ProviderRoutes`), through that
 * provider's cockatiel retries (honouring `retry-after`) around its
 * breaker, so exactly one retry layer exists, and through the `SpendGate`
 * (pacing under the provider's rate limits, and the budgets).
 */
@Injectable()
export class OpenAiEmbeddingProvider extends EmbeddingProvider {
  readonly description: string;
  private readonly logger = new Logger(OpenAiEmbeddingProvider.name);
  private readonly lanes = new Map<string, Lane>();
  private readonly timeoutMs: number;

  constructor(
    config: ServiceConfig,
    @Inject(OPENAI_CLIENT_FACTORY) createClient: OpenAiClientFactory,
    @Inject(OPENAI_RETRY_TIMING) timing: OpenAiRetryTiming,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.openaiRequests)
    private readonly requests: Counter<'model' | 'status'>,
    @InjectMetric(METRIC.providerRequests)
    private readonly providerRequests: Counter<'provider' | 'kind' | 'status'>,
    private readonly routes: ProviderRoutes,
    private readonly gate: SpendGate,
  ) {
    super();
    const { provider, timeoutMs } = config.embeddings;
    if (provider.kind !== 'providers') {
      throw new Error('OpenAiEmbeddingProvider needs a provider to call');
    }
    this.timeoutMs = timeoutMs;
    this.description = `${routes.providers
      .map(
        ({ name, baseUrl }) => `${name} embeddings at ${displayUrl(baseUrl)}`,
      )
      .join(', ')}: ${provider.reason}`;
    for (const settings of routes.providers) {
      const { retryThroughBreaker, breaker } = openAiPolicies(
        breakerName(settings),
        config.resilience,
        timing,
        (error) => this.classify(error),
        this.logger,
        breakers,
      );
      this.lanes.set(settings.name, {
        provider: settings,
        client: createClient({
          // Servers without keys (Ollama) take any; the SDK needs one.
          apiKey: settings.apiKey ?? 'none',
          baseURL: settings.baseUrl,
          timeout: timeoutMs,
          maxRetries: 0,
        }),
        policy: retryThroughBreaker,
        breaker,
        keyRefusal: undefined,
      });
    }
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    const lane = this.laneFor(request.model);
    let response: EmbeddingResponse;
    try {
      response = await lane.policy.execute(() => this.send(lane, request));
    } catch (error) {
      throw this.translate(lane, error, request.model);
    }
    this.keyAccepted(lane);
    return response;
  }

  assertReady(): void {
    for (const lane of this.lanes.values()) {
      if (lane.keyRefusal) throw new Error(lane.keyRefusal);
      if (lane.breaker.state === CircuitState.Open) {
        throw new Error(
          `the ${breakerName(lane.provider)} circuit breaker is open`,
        );
      }
    }
  }

  override maxRequestTokens(model: string): number {
    const provider = this.routes.providerFor(model);
    const limit = provider && this.gate.maxRequestTokens(provider.name);
    return Math.min(MAX_TOKENS_PER_REQUEST, limit ?? MAX_TOKENS_PER_REQUEST);
  }

  private laneFor(model: string): Lane {
    const provider = this.routes.providerFor(model);
    const lane = provider && this.lanes.get(provider.name);
    if (!lane) {
      throw new EmbeddingProviderError(
        'unknown_model',
        `no provider serves model "${model}": MODEL_ROUTES matches it with no pattern, and openai has no OPENAI_API_KEY`,
      );
    }
    return lane;
  }

  /**
   * One HTTP request, counted in `openai_requests_total` whatever its
   * outcome. The answer is checked here, before anything is used, so that
   * an invalid one is counted as such, not as a success.
   */
  private async send(
    lane: Lane,
    request: EmbeddingRequest,
  ): Promise<EmbeddingResponse> {
    const { model, dimensions, inputs, tokens } = request;
    const labels = { model: modelLabel(model) };
    const admission = await this.gate.admit({
      provider: lane.provider.name,
      model,
      tokens,
    });
    try {
      const { data: answer, response: raw } = await lane.client.embeddings
        .create({
          model,
          input: [...inputs],
          ...(dimensions === undefined ? {} : { dimensions }),
          // Asked for explicitly, the SDK hands the base64 over undecoded:
          // decodeEmbedding makes a Float32Array of it, not a number array.
          encoding_format: 'base64',
        })
        .withResponse();
      admission.answered(raw.status, headersOf(raw.headers));
      const response = readEmbeddingAnswer(answer, request);
      this.count(lane, labels, 'success');
      await admission.settle({
        promptTokens: response.usage?.promptTokens ?? tokens,
        completionTokens: 0,
      });
      return response;
    } catch (caught) {
      return await this.failed(lane, admission, labels, caught, request);
    }
  }

  private async failed(
    lane: Lane,
    admission: Admission,
    labels: { model: string },
    caught: unknown,
    { model, inputs, tokens }: EmbeddingRequest,
  ): Promise<never> {
    if (caught instanceof APIError && caught.status !== undefined) {
      admission.answered(caught.status, headersOf(caught.headers));
    }
    // The SDK parses a JSON answer whole: a SyntaxError is the body's.
    // Its message quotes the body, which is not repeated.
    const error =
      caught instanceof SyntaxError
        ? new InvalidEmbeddingAnswerError('the body is not JSON')
        : caught;
    // An answer was had (a 200 that fails the checks): it was paid for.
    if (error instanceof InvalidEmbeddingAnswerError) {
      await admission.settle({ promptTokens: tokens, completionTokens: 0 });
    } else {
      await admission.cancel();
    }
    const failure = this.classify(error, model);
    this.count(lane, labels, failure?.label ?? 'error');
    if (error instanceof InvalidEmbeddingAnswerError && failure) {
      this.logger.warn(`${failure.message}; ${inputs.length} task(s) released`);
    }
    throw error;
  }

  private count(lane: Lane, labels: { model: string }, status: string): void {
    this.requests.inc({ ...labels, status });
    this.providerRequests.inc({
      provider: lane.provider.name,
      kind: 'embeddings',
      status,
    });
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

  private translate(lane: Lane, error: unknown, model: string): unknown {
    if (error instanceof BudgetExhaustedError) {
      return new EmbeddingProviderError('unavailable', error.message);
    }
    // Larger than a whole budget, or than the provider takes a minute: it
    // can never be sent, so the request's tasks fail rather than loop.
    if (
      error instanceof RequestOverBudgetError ||
      error instanceof RequestTooLargeError
    ) {
      return new EmbeddingProviderError('input_rejected', error.message);
    }
    if (isBrokenCircuitError(error)) {
      return new EmbeddingProviderError(
        'unavailable',
        `the ${breakerName(lane.provider)} circuit breaker is open after repeated failures`,
      );
    }
    const failure = this.classify(error, model);
    if (!failure) return error;
    if (failure.kind === 'key_refused') this.keyRefused(lane, failure.message);
    return new EmbeddingProviderError(failure.kind, failure.message);
  }

  private keyRefused(lane: Lane, message: string): void {
    if (lane.keyRefusal) return;
    lane.keyRefusal = message;
    const at =
      lane.provider.name === 'openai' ? '' : ` at ${lane.provider.name}`;
    this.logger.error(
      `${message}. No embedding can be computed${at}: tasks are released, not failed, until the key is accepted.`,
    );
  }

  private keyAccepted(lane: Lane): void {
    if (!lane.keyRefusal) return;
    lane.keyRefusal = undefined;
    const at =
      lane.provider.name === 'openai' ? '' : ` at ${lane.provider.name}`;
    this.logger.log(`the embedding provider${at} accepts our API key again`);
  }
}
