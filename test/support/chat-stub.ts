import {
  type RecordedStubRequest,
  ScriptedOpenAiServer,
  type ScriptedReply,
  errorReply,
} from './scripted-openai-server.js';

export type { ScriptedReply } from './scripted-openai-server.js';

/** The body of `POST /v1/chat/completions`, as far as the tests read it. */
export interface ChatCompletionBody {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: {
    type: string;
    json_schema?: { name: string; strict?: boolean; schema: unknown };
  };
  temperature?: number;
  max_completion_tokens?: number;
  max_tokens?: number;
  [other: string]: unknown;
}

export type RecordedChatRequest = RecordedStubRequest<ChatCompletionBody>;

export interface ChatCompletionOptions {
  finishReason?: string;
  refusal?: string | null;
  /** `usage` as sent; default 12 prompt, 5 completion, 0 reasoning tokens. */
  usage?: unknown;
  model?: string;
}

/** A 200 answer of the chat completions endpoint with this message content. */
export const chatCompletion = (
  content: string | null,
  options: ChatCompletionOptions = {},
): ScriptedReply => ({
  status: 200,
  body: {
    id: 'chatcmpl-stub',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: options.model ?? 'gpt-4o-mini',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal: options.refusal ?? null,
        },
        finish_reason: options.finishReason ?? 'stop',
      },
    ],
    usage: options.usage ?? {
      prompt_tokens: 12,
      completion_tokens: 5,
      total_tokens: 17,
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  },
});

/** An OpenAI-style error answer, with the `param` and `code` OpenAI sets. */
export const chatErrorReply = errorReply;

/**
 * A scriptable OpenAI-compatible chat completions endpoint on 127.0.0.1:
 * records every request, answers scripted replies first (`reply`), then
 * the standing answer (`answerWith`; by default a completion of `{}`), and
 * holds answers back on request (`hold`, `release`) to show how many
 * requests the client has in flight.
 */
export class ChatStub extends ScriptedOpenAiServer<ChatCompletionBody> {
  private standing: (body: ChatCompletionBody) => ScriptedReply = () =>
    chatCompletion('{}');

  static async start(): Promise<ChatStub> {
    const stub = new ChatStub();
    await stub.listen();
    return stub;
  }

  /** The bodies of the chat requests, in arrival order. */
  get bodies(): ChatCompletionBody[] {
    return this.requests.flatMap(({ body }) => (body ? [body] : []));
  }

  /** A string body is sent as it is, so that tests can answer what is not JSON. */
  protected override encode(body: unknown): string {
    return typeof body === 'string' ? body : super.encode(body);
  }

  /** The answer of every request nothing is scripted for. */
  answerWith(answer: (body: ChatCompletionBody) => ScriptedReply): this {
    this.standing = answer;
    return this;
  }

  protected answer(request: RecordedChatRequest): ScriptedReply {
    const { method, path, body } = request;
    if (method !== 'POST' || path !== '/v1/chat/completions') {
      return chatErrorReply(404, `Unknown request URL: ${method} ${path}`);
    }
    if (!body || typeof body.model !== 'string') {
      return chatErrorReply(400, "'model' is required", { param: 'model' });
    }
    return this.standing(body);
  }
}
