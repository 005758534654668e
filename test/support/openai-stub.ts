import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';

/** The body of `POST /v1/embeddings` (docs/contract.md §3). */
export interface EmbeddingsBody {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: EmbeddingsBody | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
}

/** One scripted answer; `hang` never answers (for client timeouts). */
export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface OpenAiStubOptions {
  /** The one key accepted; any other gets 401. Any key when omitted. */
  apiKey?: string;
  /** Vector length when the request has no `dimensions`; default 8. */
  dimensions?: number;
  /**
   * `as-requested` answers base64 when asked (as OpenAI does); `float`
   * always answers number arrays (as some compatible servers do).
   */
  encoding?: 'as-requested' | 'float';
  /** Lists `data` last input first (clients must order by `index`). */
  reversed?: boolean;
}

/** An OpenAI-style error answer. */
export const errorReply = (
  status: number,
  message: string,
  extra: { code?: string; headers?: Record<string, string> } = {},
): ScriptedReply => ({
  status,
  headers: extra.headers,
  body: {
    error: {
      message,
      type: status === 429 ? 'requests' : 'invalid_request_error',
      param: null,
      code: extra.code ?? null,
    },
  },
});

/**
 * The vector the stub answers for `text`: deterministic, and exact in
 * float32 so that base64 answers decode to the same numbers.
 */
export function stubVector(text: string, size: number): Float32Array {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0;
  }
  return Float32Array.from(
    { length: size },
    (_, i) => (((hash + i * 7919) % 2001) - 1000) / 1000,
  );
}

const toBase64 = (vector: Float32Array): string =>
  Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString(
    'base64',
  );

/**
 * A scriptable OpenAI-compatible embeddings endpoint on 127.0.0.1: answers
 * like OpenAI by default (vectors, usage counted with cl100k_base), records
 * every request, and misbehaves on request (scripted replies, rejected
 * inputs, a refused key, answers held back).
 */
export class OpenAiStub {
  readonly requests: RecordedRequest[] = [];
  /** Most requests answered at once so far. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly scripted: ScriptedReply[] = [];
  private rejected?: (input: string) => boolean;
  private gate?: { opened: Promise<void>; open: () => void };
  private readonly hung = new Set<ServerResponse>();
  private readonly arrivals = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    private readonly options: OpenAiStubOptions,
  ) {}

  static async start(options: OpenAiStubOptions = {}): Promise<OpenAiStub> {
    let stub: OpenAiStub | undefined;
    const server = createServer((req, res) => void stub!.handle(req, res));
    stub = new OpenAiStub(server, options);
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

  /** The inputs of every embeddings request, in arrival order. */
  get batches(): string[][] {
    return this.requests.map(({ body }) => (body ? [body.input].flat() : []));
  }

  /** Answers the next requests with these, in order, then as usual. */
  reply(...replies: ScriptedReply[]): this {
    this.scripted.push(...replies);
    return this;
  }

  /** Answers 400 to any request with an input matching, as OpenAI does. */
  rejectInputs(matches: (input: string) => boolean): this {
    this.rejected = matches;
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
    const path = (req.url ?? '').split('?')[0];
    let body: EmbeddingsBody | undefined;
    try {
      body = raw ? (JSON.parse(raw) as EmbeddingsBody) : undefined;
    } catch {
      body = undefined;
    }
    const request: RecordedRequest = {
      method: req.method ?? '',
      path,
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
      res.end(JSON.stringify(reply.body ?? {}));
    } finally {
      this.inFlight -= 1;
    }
  }

  private answer(request: RecordedRequest): ScriptedReply {
    const { headers, path, method, body } = request;
    const scripted = this.scripted.shift();
    if (scripted) return scripted;
    if (method !== 'POST' || path !== '/v1/embeddings') {
      return errorReply(404, `Unknown request URL: ${method} ${path}`);
    }
    const key = headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      // OpenAI quotes part of the refused key: the client must not repeat it.
      return errorReply(401, `Incorrect API key provided: ${key}.`, {
        code: 'invalid_api_key',
      });
    }
    if (!body || typeof body.model !== 'string') {
      return errorReply(400, "'model' is required");
    }
    const inputs = [body.input].flat();
    if (inputs.some((input) => input === '')) {
      return errorReply(400, "'$.input' is invalid: empty string");
    }
    if (this.rejected && inputs.some((input) => this.rejected!(input))) {
      return errorReply(
        400,
        "'$.input' is invalid. Please check the API reference.",
      );
    }
    return { status: 200, body: this.embeddings(body, inputs) };
  }

  private embeddings(body: EmbeddingsBody, inputs: string[]) {
    const size = body.dimensions ?? this.options.dimensions ?? 8;
    const base64 =
      (this.options.encoding ?? 'as-requested') === 'as-requested' &&
      body.encoding_format === 'base64';
    const tokens = inputs.reduce(
      (sum, input) =>
        sum + countTokens(input, { disallowedSpecial: new Set() }),
      0,
    );
    const data = inputs.map((input, index) => {
      const vector = stubVector(input, size);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? toBase64(vector) : Array.from(vector),
      };
    });
    return {
      object: 'list',
      model: body.model,
      data: this.options.reversed ? data.reverse() : data,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
