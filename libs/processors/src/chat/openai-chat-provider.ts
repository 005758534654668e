import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BulkheadRejectedError,
  CircuitState,
  isBrokenCircuitError,
} from 'cockatiel';
import { APIError } from 'openai';
import type OpenAI from 'openai';
import type { Counter } from 'prom-client';
import { RequestOverBudgetError } from '@app/budgets';
import { ServiceConfig, type ProviderSettings } from '@app/config';
import { RequestTooLargeError } from '@app/resilience';
import { BreakerMonitor, InjectMetric, METRIC } from '@app/observability';
import {
  OPENAI_CLIENT_FACTORY,
  OPENAI_RETRY_TIMING,
} from '../processors.constants.js';
import type {
  OpenAiClientFactory,
  OpenAiRetryTiming,
} from '../embeddings/openai-client.js';
import {
  type ChatVerdict,
  type ReportedUsage,
  InvalidChatAnswerError,
  VERDICT_STATUS,
  judgeCompletion,
  readChatCompletion,
} from './chat-answer.js';
import { type ChatCallFailure, classifyChatCall } from './chat-errors.js';
import {
  chatModelLabeller,
  isReasoningModel,
  maxCompletionTokens,
  shownModel,
} from './chat-models.js';
import { type ChatPolicies, chatPolicies } from './chat-policies.js';
import {
  type ChatAnswer,
  ChatProvider,
  ChatProviderError,
  type ChatRequest,
  type ChatSchema,
  type ChatUsage,
} from './chat-provider.js';
import {
  type JsonSchemaObject,
  strictJsonSchema,
} from './strict-json-schema.js';
import { recordChatUsage } from './chat-usage.js';
import { headersOf } from '../providers/answer-headers.js';
import { ProviderRoutes } from '../providers/provider-routes.js';
import { BudgetExhaustedError, SpendGate } from '../providers/spend-gate.js';

/** One provider as the chat sees it: its SDK client, its policies, its key. */
interface Lane {
  provider: ProviderSettings;
  client: OpenAI;
  policies: ChatPolicies;
  /** Set while the provider refuses our key: until a call succeeds again. */
  keyRefusal: string | undefined;
}

/** The breaker's `service` label: `chat` for OpenAI, `chat_<name>` for the others. */
const breakerName = (provider: ProviderSettings): string =>
  provider.name === 'openai' ? 'chat' : `chat_${provider.name}`;

/** Tokens a prompt is taken to hold before any count: 4 characters a token, rounded up. */
const estimatedTokens = (messages: readonly { content: string }[]): number =>
  Math.ceil(messages.reduce((sum, { content }) => sum + content.length, 0) / 4);

/** The `status` label of `llm_requests_total` for an answer that is not a chat completion. */
const INVALID_ANSWER = 'invalid_answer';

/** Models remembered as refusing `temperature`; past this many, each new one costs a 400 again. */
export const MAX_REMEMBERED_MODELS = 100;

/** `response_format.json_schema.name` as the API takes it. */
const SCHEMA_NAME = /^[\w-]{1,64}$/;

/** One HTTP request's outcome: a verdict on a chat completion, and its tokens. */
type Reply<T> = ChatVerdict<T> & { usage: ReportedUsage };

const addUsage = (total: ChatUsage, usage: ReportedUsage): ChatUsage => ({
  promptTokens: total.promptTokens + (usage.promptTokens ?? 0),
  completionTokens: total.completionTokens + (usage.completionTokens ?? 0),
  reasoningTokens: total.reasoningTokens + (usage.reasoningTokens ?? 0),
});

const NO_USAGE: ChatUsage = {
  promptTokens: 0,
  completionTokens: 0,
  reasoningTokens: 0,
};

/**
 * OpenAI's chat completions with strict Structured Outputs, or any
 * OpenAI-compatible server at `OPENAI_BASE_URL`, through the official SDK
 * with its own retries off: cockatiel retries (honouring `retry-after`)
 * around the `chat` breaker, so exactly one retry layer exists, inside a
 * bulkhead of `maxConcurrentRequests`.
 *
 * Beyond that layer, a request is sent again at most once, for one of two
 * reasons: the answer strayed from the schema (models do, rarely, even in
 * strict mode, and compatible servers may not enforce it), or the model
 * refused `temperature` (then it is remembered, and never sent one again).
 */
@Injectable()
export class OpenAiChatProvider extends ChatProvider {
  readonly description: string;
  private readonly logger = new Logger(OpenAiChatProvider.name);
  private readonly lanes = new Map<string, Lane>();
  private readonly timeoutMs: number;
  private readonly modelLabel: (model: string) => string;
  /** Each schema converted once, for the life of the schema object. */
  private readonly strictSchemas = new WeakMap<
    ChatSchema<unknown>,
    JsonSchemaObject
  >();
  /** Models that refused `temperature: 0`: at most MAX_REMEMBERED_MODELS. */
  private readonly noTemperature = new Set<string>();
  constructor(
    config: ServiceConfig,
    @Inject(OPENAI_CLIENT_FACTORY) createClient: OpenAiClientFactory,
    @Inject(OPENAI_RETRY_TIMING) timing: OpenAiRetryTiming,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.llmRequests)
    private readonly requests: Counter<'model' | 'status'>,
    @InjectMetric(METRIC.llmTokens)
    private readonly tokens: Counter<'model' | 'type'>,
    @InjectMetric(METRIC.providerRequests)
    private readonly providerRequests: Counter<'provider' | 'kind' | 'status'>,
    private readonly routes: ProviderRoutes,
    private readonly gate: SpendGate,
  ) {
    super();
    const { provider, timeoutMs, defaultModel } = config.chat;
    if (provider.kind !== 'providers') {
      throw new Error('OpenAiChatProvider needs a provider to call');
    }
    // The configuration keeps only the origin and path: no credentials.
    this.description = `${routes.providers
      .map(({ name, baseUrl }) => `${name} chat at ${baseUrl}`)
      .join(', ')}: ${provider.reason}`;
    this.timeoutMs = timeoutMs;
    this.modelLabel = chatModelLabeller(defaultModel);
    for (const settings of routes.providers) {
      this.lanes.set(settings.name, {
        provider: settings,
        client: createClient({
          // Servers without keys (Ollama) take any; the SDK needs one.
          apiKey: settings.apiKey ?? 'none',
          baseURL: settings.baseUrl,
          timeout: timeoutMs,
          maxRetries: 0,
        }),
        policies: chatPolicies(
          breakerName(settings),
          config.resilience,
          timing,
          config.chat.maxConcurrentRequests,
          (error) => this.classify(error),
          this.logger,
          breakers,
        ),
        keyRefusal: undefined,
      });
    }
  }

  async complete<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>> {
    const lane = this.laneFor(request.model);
    try {
      return await lane.policies.bulkhead.execute(() =>
        this.answer(lane, request),
      );
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw new ChatProviderError(
          'unavailable',
          'too many chat requests are waiting for a free slot',
        );
      }
      throw error;
    }
  }

  assertReady(): void {
    for (const lane of this.lanes.values()) {
      if (lane.keyRefusal) throw new Error(lane.keyRefusal);
      if (lane.policies.breaker.state === CircuitState.Open) {
        throw new Error(
          `the ${breakerName(lane.provider)} circuit breaker is open`,
        );
      }
    }
  }

  private laneFor(model: string): Lane {
    const provider = this.routes.providerFor(model);
    const lane = provider && this.lanes.get(provider.name);
    if (!lane) {
      throw new ChatProviderError(
        'unknown_model',
        `no provider serves model "${model}": MODEL_ROUTES matches it with no pattern, and openai has no OPENAI_API_KEY`,
      );
    }
    return lane;
  }

  /** The answer, asking once more when the first strays from the schema. */
  private async answer<T>(
    lane: Lane,
    request: ChatRequest<T>,
  ): Promise<ChatAnswer<T>> {
    const first = await this.ask(lane, request);
    let usage = addUsage(NO_USAGE, first.usage);
    let reply = first;
    if (first.kind === 'off_schema') {
      this.logger.warn(
        `${first.message} (model ${shownModel(request.model)}); asking once more`,
      );
      reply = await this.ask(lane, request);
      usage = addUsage(usage, reply.usage);
    }
    switch (reply.kind) {
      case 'answer':
        return { value: reply.value, usage };
      case 'refused':
        throw new ChatProviderError('model_refused', reply.message);
      case 'truncated':
        throw new ChatProviderError('output_truncated', reply.message);
      case 'off_schema':
        throw new ChatProviderError(
          'invalid_model_output',
          `${reply.message}, twice`,
        );
    }
  }

  /**
   * One request through the retry layer; sent once more without
   * `temperature` when the model refuses it.
   */
  private async ask<T>(lane: Lane, request: ChatRequest<T>): Promise<Reply<T>> {
    const schema = this.strictSchema(request.schema);
    const temperature = this.takesTemperature(request.model);
    try {
      return await this.attempt(lane, request, schema, temperature);
    } catch (error) {
      if (!temperature || !this.classify(error)?.temperatureRefused) {
        throw this.translate(lane, error, request.model);
      }
      this.rememberNoTemperature(request.model);
    }
    try {
      return await this.attempt(lane, request, schema, false);
    } catch (error) {
      throw this.translate(lane, error, request.model);
    }
  }

  private async attempt<T>(
    lane: Lane,
    request: ChatRequest<T>,
    schema: JsonSchemaObject,
    temperature: boolean,
  ): Promise<Reply<T>> {
    const reply = await lane.policies.retryThroughBreaker.execute(() =>
      this.send(lane, request, schema, temperature),
    );
    this.keyAccepted(lane);
    return reply;
  }

  /**
   * One HTTP request, counted in `llm_requests_total` whatever its
   * outcome. The answer is read and judged here, so that it is counted as
   * what it is (a refusal, a cut-off, an answer off the schema), and its
   * tokens whatever it is: they are paid for.
   */
  private async send<T>(
    lane: Lane,
    request: ChatRequest<T>,
    schema: JsonSchemaObject,
    temperature: boolean,
  ): Promise<Reply<T>> {
    const { model } = request;
    const labels = { model: this.modelLabel(model) };
    const maxTokens = maxCompletionTokens(model);
    const body: OpenAI.Chat.ChatCompletionCreateParamsNonStreaming = {
      model,
      messages: request.messages.map(({ role, content }) => ({
        role,
        content,
      })),
      response_format: {
        type: 'json_schema',
        json_schema: { name: request.schema.name, strict: true, schema },
      },
      max_completion_tokens: maxTokens,
      // The same text, the same answer, as far as a model allows.
      ...(temperature ? { temperature: 0 } : {}),
    };
    const provider = lane.provider.name;
    const promptTokens = estimatedTokens(request.messages);
    const admission = await this.gate.admit({
      provider,
      model,
      tokens: promptTokens + maxTokens,
    });
    try {
      const { data: answer, response } = await lane.client.chat.completions
        .create(body)
        .withResponse();
      admission.answered(response.status, headersOf(response.headers));
      const reading = readChatCompletion(answer as unknown);
      recordChatUsage(this.tokens, labels.model, reading.usage);
      await admission.settle({
        promptTokens: reading.usage.promptTokens ?? promptTokens,
        completionTokens: reading.usage.completionTokens ?? maxTokens,
      });
      const verdict = judgeCompletion(reading, request.schema, maxTokens);
      this.count(lane, labels, VERDICT_STATUS[verdict.kind]);
      return { ...verdict, usage: reading.usage };
    } catch (caught) {
      if (caught instanceof APIError && caught.status !== undefined) {
        admission.answered(caught.status, headersOf(caught.headers));
      }
      // The SDK parses a JSON answer whole: a SyntaxError is the body's.
      // Its message quotes the body, which is not repeated.
      const error =
        caught instanceof SyntaxError
          ? new InvalidChatAnswerError('the body is not JSON')
          : caught;
      // An answer that was had, however wrong, was paid for.
      if (error instanceof InvalidChatAnswerError) {
        await admission.settle({ promptTokens, completionTokens: maxTokens });
      } else {
        await admission.cancel();
      }
      const failure = this.classify(error, model);
      this.count(lane, labels, failure?.label ?? 'error');
      throw error;
    }
  }

  private count(lane: Lane, labels: { model: string }, status: string): void {
    this.requests.inc({ ...labels, status });
    this.providerRequests.inc({
      provider: lane.provider.name,
      kind: 'chat',
      status,
    });
  }

  private classify(error: unknown, model = ''): ChatCallFailure | undefined {
    if (error instanceof InvalidChatAnswerError) {
      // The provider's defect: the task is released, and the breaker
      // counts it. Not retried: the same request would be paid for again
      // for the same answer, and the task comes back at a later poll.
      return {
        kind: 'unavailable',
        retryable: false,
        breakerFailure: true,
        label: INVALID_ANSWER,
        message: `the chat provider answered what is not a chat completion: ${error.message}`,
      };
    }
    return classifyChatCall(error, { model, timeoutMs: this.timeoutMs });
  }

  private translate(lane: Lane, error: unknown, model: string): unknown {
    if (error instanceof BudgetExhaustedError) {
      return new ChatProviderError('unavailable', error.message);
    }
    // Larger than a whole budget, or than the provider takes a minute: it
    // can never be sent, so the task fails rather than loops.
    if (
      error instanceof RequestOverBudgetError ||
      error instanceof RequestTooLargeError
    ) {
      return new ChatProviderError('text_too_long', error.message);
    }
    if (isBrokenCircuitError(error)) {
      return new ChatProviderError(
        'unavailable',
        `the ${breakerName(lane.provider)} circuit breaker is open after repeated failures`,
      );
    }
    const failure = this.classify(error, model);
    if (!failure) return error;
    if (failure.kind === 'key_refused') this.keyRefused(lane, failure.message);
    else if (failure.label === INVALID_ANSWER) {
      this.logger.warn(`${failure.message}; the task is released`);
    } else if (failure.kind === 'unavailable' && !failure.retryable) {
      // Not an outage that passes: a request the provider refuses as
      // built (a setting, a defect of ours) needs a person.
      this.logger.error(`${failure.message}; the task is released`);
    }
    return new ChatProviderError(failure.kind, failure.message);
  }

  /** The schema in strict form, converted at its first use. */
  private strictSchema(schema: ChatSchema<unknown>): JsonSchemaObject {
    const known = this.strictSchemas.get(schema);
    if (known) return known;
    if (!SCHEMA_NAME.test(schema.name)) {
      throw new Error(
        `chat schema name ${JSON.stringify(schema.name)} is not 1 to 64 letters, digits, _ or -`,
      );
    }
    let strict: JsonSchemaObject;
    try {
      strict = strictJsonSchema(schema.schema);
    } catch (error) {
      throw new Error(
        `chat schema ${schema.name} cannot be a strict Structured Output: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.strictSchemas.set(schema, strict);
    return strict;
  }

  private takesTemperature(model: string): boolean {
    return !isReasoningModel(model) && !this.noTemperature.has(model);
  }

  private rememberNoTemperature(model: string): void {
    if (this.noTemperature.size >= MAX_REMEMBERED_MODELS) return;
    this.noTemperature.add(model);
    this.logger.warn(
      `model ${shownModel(model)} refuses temperature 0: sending none from now on`,
    );
  }

  private keyRefused(lane: Lane, message: string): void {
    if (lane.keyRefusal) return;
    lane.keyRefusal = message;
    const at =
      lane.provider.name === 'openai' ? '' : ` at ${lane.provider.name}`;
    this.logger.error(
      `${message}. No chat answer can be had${at}: tasks are released, not failed, until the key is accepted.`,
    );
  }

  private keyAccepted(lane: Lane): void {
    if (!lane.keyRefusal) return;
    lane.keyRefusal = undefined;
    const at =
      lane.provider.name === 'openai' ? '' : ` at ${lane.provider.name}`;
    this.logger.log(`the chat provider${at} accepts our API key again`);
  }
}
