import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OpenAiError } from '../embeddings/openai-error.js';
import { SandboxStats } from '../stats.js';
import { Faults, type ChatFaultKind } from '../traffic/faults.js';
import { isReasoningModel, type ChatRequest } from './chat-request.js';
import { estimateTokens, type Conversation } from './conversation.js';
import { schemaAnswer } from './schema-answer.js';

/** The context window of every chat model of the sandbox, in estimated tokens. */
const CONTEXT_LIMIT_TOKENS = 128_000;
/** What a reasoning model spends thinking before any answer, besides a token per visible token. */
const REASONING_BASE_TOKENS = 64;
const REFUSAL = "I'm sorry, but I can't help with that request.";
/** Valid JSON that no schema of the service asks for. */
const OFF_SCHEMA_CONTENT = '{"unexpected":true}';

/** OpenAI's chat completion object, as the official SDK reads it. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: string | null;
      annotations: unknown[];
    };
    logprobs: null;
    finish_reason: 'stop' | 'length';
  }[];
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details: { cached_tokens: number; audio_tokens: number };
    completion_tokens_details: {
      reasoning_tokens: number;
      audio_tokens: number;
      accepted_prediction_tokens: number;
      rejected_prediction_tokens: number;
    };
  };
  service_tier: string;
  system_fingerprint: string;
}

export interface ChatOutcome {
  completion: ChatCompletion;
  /** The chat fault shown, if any. */
  fault?: ChatFaultKind;
}

/** OpenAI's `POST /v1/chat/completions` with Structured Outputs, deterministic and offline. */
@Injectable()
export class ChatService {
  constructor(
    @Inject(SandboxStats) private readonly stats: SandboxStats,
    @Inject(Faults) private readonly faults: Faults,
  ) {}

  /** OpenAI's 400 for a conversation over the context window. */
  checkContext(conversation: Conversation): void {
    if (conversation.promptTokens > CONTEXT_LIMIT_TOKENS)
      throw new OpenAiError(
        400,
        `This model's maximum context length is ${CONTEXT_LIMIT_TOKENS} tokens. However, your messages resulted in ${conversation.promptTokens} tokens. Please reduce the length of the messages.`,
        { param: 'messages', code: 'context_length_exceeded' },
      );
  }

  /**
   * The answer, showing the misbehaviour the conversation's marker asks for,
   * else the injected chat fault in force (which this answer counts against).
   */
  complete(request: ChatRequest, conversation: Conversation): ChatOutcome {
    const marked = conversation.marker;
    const fault: ChatFaultKind | undefined =
      marked && marked.kind !== 'error'
        ? marked.kind
        : this.faults.takeChatFault();
    const full = this.content(request, conversation);
    let content: string | null = full;
    let refusal: string | null = null;
    let finish: 'stop' | 'length' = 'stop';
    if (fault === 'refuse') {
      content = null;
      refusal = REFUSAL;
    } else if (fault === 'truncate') {
      // Half of a JSON document is never a whole one.
      content = full.slice(0, Math.max(1, Math.floor(full.length / 2)));
      finish = 'length';
    } else if (fault === 'off_schema') content = OFF_SCHEMA_CONTENT;

    const visible = estimateTokens((content ?? refusal ?? '').length);
    let reasoning = isReasoningModel(request.model)
      ? REASONING_BASE_TOKENS + visible
      : 0;
    // Over max_completion_tokens the model stops where the budget ends,
    // reasoning first: a reasoning model with a small budget answers "".
    if (
      content !== null &&
      request.maxTokens !== undefined &&
      reasoning + visible > request.maxTokens
    ) {
      reasoning = Math.min(reasoning, request.maxTokens);
      content = content.slice(0, (request.maxTokens - reasoning) * 4);
      finish = 'length';
    }
    const completionTokens =
      reasoning + estimateTokens((content ?? refusal ?? '').length);
    this.stats.chatCompleted(
      {
        prompt: conversation.promptTokens,
        completion: completionTokens,
        reasoning,
      },
      fault,
    );
    return {
      fault,
      completion: {
        id: `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 29)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal, annotations: [] },
            logprobs: null,
            finish_reason: finish,
          },
        ],
        usage: {
          prompt_tokens: conversation.promptTokens,
          completion_tokens: completionTokens,
          total_tokens: conversation.promptTokens + completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: {
            reasoning_tokens: reasoning,
            audio_tokens: 0,
            accepted_prediction_tokens: 0,
            rejected_prediction_tokens: 0,
          },
        },
        service_tier: 'default',
        system_fingerprint: 'fp_sandbox',
      },
    };
  }

  /** What a well-behaved model answers. */
  private content(request: ChatRequest, conversation: Conversation): string {
    switch (request.format.type) {
      case 'json_schema':
        return JSON.stringify(
          schemaAnswer(request.format.schema, conversation),
        );
      case 'json_object':
        return JSON.stringify({ answer: conversation.excerpt() });
      default:
        return `The sandbox read: ${conversation.excerpt()}`;
    }
  }
}
