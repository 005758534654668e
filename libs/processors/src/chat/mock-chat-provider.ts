import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import { firstIssue } from './chat-answer.js';
import { chatModelLabeller } from './chat-models.js';
import {
  type ChatAnswer,
  ChatProvider,
  type ChatRequest,
  type ChatUsage,
} from './chat-provider.js';
import { recordChatUsage } from './chat-usage.js';

/**
 * Characters a token stands for, roughly, in English and Portuguese text:
 * the mock's usage is an estimate, the same for the same request.
 */
const CHARACTERS_PER_TOKEN = 4;

const estimatedTokens = (text: string): number =>
  Math.ceil(text.length / CHARACTERS_PER_TOKEN);

/** What the mock reports used: from the prompt's and the answer's lengths, no reasoning. */
export function mockUsage(
  request: Pick<ChatRequest<unknown>, 'messages'>,
  answer: unknown,
): ChatUsage {
  return {
    promptTokens: estimatedTokens(
      request.messages.map(({ content }) => content).join('\n'),
    ),
    completionTokens: estimatedTokens(JSON.stringify(answer)),
    reasoningTokens: 0,
  };
}

/**
 * Mock mode: each schema's own deterministic answer for the task's text
 * (`ChatSchema.mockAnswer`), checked against the schema as a model's
 * would be, with a usage estimated from lengths. No call leaves the
 * process; the work is counted in the chat metrics like the real
 * provider's.
 */
@Injectable()
export class MockChatProvider extends ChatProvider {
  readonly description: string;
  private readonly modelLabel: (model: string) => string;

  constructor(
    config: ServiceConfig,
    @InjectMetric(METRIC.llmRequests)
    private readonly requests: Counter<'model' | 'status'>,
    @InjectMetric(METRIC.llmTokens)
    private readonly tokens: Counter<'model' | 'type'>,
  ) {
    super();
    this.description = `mock chat: ${config.chat.provider.reason}`;
    this.modelLabel = chatModelLabeller(config.chat.defaultModel);
  }

  // async: a mock answer that throws rejects, as any provider's failure does.
  async complete<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>> {
    const { schema, text, model } = request;
    const checked = schema.schema.safeParse(schema.mockAnswer(text));
    if (!checked.success) {
      // The schema's own mock answer: a defect of the schema, not of the task.
      throw new Error(
        `the mock answer of chat schema ${schema.name} does not match it at ${firstIssue(checked.error)}`,
      );
    }
    const usage = mockUsage(request, checked.data);
    const label = this.modelLabel(model);
    this.requests.inc({ model: label, status: 'success' });
    recordChatUsage(this.tokens, label, usage);
    return { value: checked.data, usage };
  }

  assertReady(): void {}
}
