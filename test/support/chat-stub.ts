import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ScriptedReply } from './openai-stub.js';

export type { ScriptedReply } from './openai-stub.js';

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

export interface RecordedChatRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatCompletionBody | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
}

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
export const chatErrorReply = (
  status: number,
  message: string,
  extra: {
    code?: string;
    param?: string;
    headers?: Record<string, string>;
  } = {},
): ScriptedReply => ({
  status,
  headers: extra.headers,
  body: {
    error: {
      message,
      type: status === 429 ? 'requests' : 'invalid_request_error',
      param: extra.param ?? null,
      code: extra.code ?? null,
    },
  },
});

/**
 * A scriptable OpenAI-compatible chat completions endpoint on 127.0.0.1:
 * records every request, answers scripted replies first (`reply`), then
 * the standing answer (`answerWith`; by default a completion of `{}`), and
 * holds answers back on request (`hold`, `release`) to show how many
 * requests the client has in flight.
 */
export class ChatStub {
  readonly requests: RecordedChatRequest[] = [];
  /** Most requests answered at once so far. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly scripted: ScriptedReply[] = [];
  private standing: (body: ChatCompletionBody) => ScriptedReply = () =>
    chatCompletion('{}');
  private gate?: { opened: Promise<void>; open: () => void };
  private readonly hung = new Set<ServerResponse>();
  private readonly arrivals = new Set<() => void>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ChatStub> {
    let stub: ChatStub | undefined;
    const server = createServer((req, res) => void stub!.handle(req, res));
    stub = new ChatStub(server);
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    return stub;
  }

  /** What `OPENAI_BASE_URL` should be. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** The bodies of the chat requests, in arrival order. */
  get bodies(): ChatCompletionBody[] {
    return this.requests.flatMap(({ body }) => (body ? [body] : []));
  }

  /** Answers the next requests with these, in order, then as usual. */
  reply(...replies: ScriptedReply[]): this {
    this.scripted.push(...replies);
    return this;
  }

  /** The answer of every request nothing is scripted for. */
  answerWith(answer: (body: ChatCompletionBody) => ScriptedReply): this {
    this.standing = answer;
    return this;
  }

  /** Holds every answer back until `release()`. */
  hold(): this {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gate = { opened, open };
    return this;
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Resolves once `count` requests have arrived (bounded by the test's timeout). */
  waitForRequests(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.requests.length < count) return;
        this.arrivals.delete(check);
        resolve();
      };
      this.arrivals.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.release();
    this.hung.forEach((res) => res.destroy());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let body: ChatCompletionBody | undefined;
    try {
      body = raw ? (JSON.parse(raw) as ChatCompletionBody) : undefined;
    } catch {
      body = undefined;
    }
    const request: RecordedChatRequest = {
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0],
      headers: req.headers,
      body,
      receivedAt: performance.now(),
    };
    this.requests.push(request);
    this.arrivals.forEach((check) => check());
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate?.opened;
      const reply = this.answer(request);
      if (reply.hang) {
        this.hung.add(res);
        return;
      }
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        ...reply.headers,
      });
      res.end(
        typeof reply.body === 'string'
          ? reply.body
          : JSON.stringify(reply.body ?? {}),
      );
    } finally {
      this.inFlight -= 1;
    }
  }

  private answer(request: RecordedChatRequest): ScriptedReply {
    const scripted = this.scripted.shift();
    if (scripted) return scripted;
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
