import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BulkheadRejectedError,
  CircuitState,
  isBrokenCircuitError,
} from 'cockatiel';
import type OpenAI from 'openai';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
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
  private readonly client: OpenAI;
  private readonly policies: ChatPolicies;
  private readonly timeoutMs: number;
  private readonly modelLabel: (model: string) => string;
  /** Each schema converted once, for the life of the schema object. */
  private readonly strictSchemas = new WeakMap<
    ChatSchema<unknown>,
    JsonSchemaObject
  >();
  /** Models that refused `temperature: 0`: at most MAX_REMEMBERED_MODELS. */
  private readonly noTemperature = new Set<string>();
  /** Set while the provider refuses our key: until a call succeeds again. */
  private keyRefusal: string | undefined;

  constructor(
    config: ServiceConfig,
    @Inject(OPENAI_CLIENT_FACTORY) createClient: OpenAiClientFactory,
    @Inject(OPENAI_RETRY_TIMING) timing: OpenAiRetryTiming,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.llmRequests)
    private readonly requests: Counter<'model' | 'status'>,
    @InjectMetric(METRIC.llmTokens)
    private readonly tokens: Counter<'model' | 'type'>,
  ) {
    super();
    const { provider, baseUrl, timeoutMs, defaultModel } = config.chat;
    if (provider.kind !== 'openai') {
      throw new Error('OpenAiChatProvider needs an OpenAI API key');
    }
    // The configuration keeps only the origin and path: no credentials.
    this.description = `openai chat at ${baseUrl}: ${provider.reason}`;
    this.timeoutMs = timeoutMs;
    this.modelLabel = chatModelLabeller(defaultModel);
    this.client = createClient({
      apiKey: provider.apiKey,
      baseURL: baseUrl,
      timeout: timeoutMs,
      maxRetries: 0,
    });
    this.policies = chatPolicies(
      config.resilience,
      timing,
      config.chat.maxConcurrentRequests,
      (error) => this.classify(error),
      this.logger,
      breakers,
    );
  }

  async complete<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>> {
    try {
      return await this.policies.bulkhead.execute(() => this.answer(request));
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
    if (this.keyRefusal) throw new Error(this.keyRefusal);
    if (this.policies.breaker.state === CircuitState.Open) {
      throw new Error('the chat circuit breaker is open');
    }
  }

  /** The answer, asking once more when the first strays from the schema. */
  private async answer<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>> {
    const first = await this.ask(request);
    let usage = addUsage(NO_USAGE, first.usage);
    let reply = first;
    if (first.kind === 'off_schema') {
      this.logger.warn(
        `${first.message} (model ${shownModel(request.model)}); asking once more`,
      );
      reply = await this.ask(request);
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
  private async ask<T>(request: ChatRequest<T>): Promise<Reply<T>> {
    const schema = this.strictSchema(request.schema);
    const temperature = this.takesTemperature(request.model);
    try {
      return await this.attempt(request, schema, temperature);
    } catch (error) {
      if (!temperature || !this.classify(error)?.temperatureRefused) {
        throw this.translate(error, request.model);
      }
      this.rememberNoTemperature(request.model);
    }
    try {
      return await this.attempt(request, schema, false);
    } catch (error) {
      throw this.translate(error, request.model);
    }
  }

  private async attempt<T>(
    request: ChatRequest<T>,
    schema: JsonSchemaObject,
    temperature: boolean,
  ): Promise<Reply<T>> {
    const reply = await this.policies.retryThroughBreaker.execute(() =>
      this.send(request, schema, temperature),
    );
    this.keyAccepted();
    return reply;
  }

  /**
   * One HTTP request, counted in `llm_requests_total` whatever its
   * outcome. The answer is read and judged here, so that it is counted as
   * what it is (a refusal, a cut-off, an answer off the schema), and its
   * tokens whatever it is: they are paid for.
   */
  private async send<T>(
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
    try {
      const answer: unknown = await this.client.chat.completions.create(body);
      const reading = readChatCompletion(answer);
      recordChatUsage(this.tokens, labels.model, reading.usage);
      const verdict = judgeCompletion(reading, request.schema, maxTokens);
      this.requests.inc({ ...labels, status: VERDICT_STATUS[verdict.kind] });
      return { ...verdict, usage: reading.usage };
    } catch (caught) {
      // The SDK parses a JSON answer whole: a SyntaxError is the body's.
      // Its message quotes the body, which is not repeated.
      const error =
        caught instanceof SyntaxError
          ? new InvalidChatAnswerError('the body is not JSON')
          : caught;
      const failure = this.classify(error, model);
      this.requests.inc({ ...labels, status: failure?.label ?? 'error' });
      throw error;
    }
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

  private translate(error: unknown, model: string): unknown {
    if (isBrokenCircuitError(error)) {
      return new ChatProviderError(
        'unavailable',
        'the chat circuit breaker is open after repeated failures',
      );
    }
    const failure = this.classify(error, model);
    if (!failure) return error;
    if (failure.kind === 'key_refused') this.keyRefused(failure.message);
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

  private keyRefused(message: string): void {
    if (this.keyRefusal) return;
    this.keyRefusal = message;
    this.logger.error(
      `${message}. No chat answer can be had: tasks are released, not failed, until the key is accepted.`,
    );
  }

  private keyAccepted(): void {
    if (!this.keyRefusal) return;
    this.keyRefusal = undefined;
    this.logger.log('the chat provider accepts our API key again');
  }
}
