import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import {
  type RecordedStubRequest,
  ScriptedOpenAiServer,
  type ScriptedReply,
  errorReply,
} from './scripted-openai-server.js';

export { type ScriptedReply, errorReply } from './scripted-openai-server.js';

/** The body of `POST /v1/embeddings` (docs/contract.md §3). */
export interface EmbeddingsBody {
  model: string;
  input: string | string[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
}

export type RecordedRequest = RecordedStubRequest<EmbeddingsBody>;

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
export class OpenAiStub extends ScriptedOpenAiServer<EmbeddingsBody> {
  private rejected?: (input: string) => boolean;

  private constructor(private readonly options: OpenAiStubOptions) {
    super();
  }

  static async start(options: OpenAiStubOptions = {}): Promise<OpenAiStub> {
    const stub = new OpenAiStub(options);
    await stub.listen();
    return stub;
  }

  /** The inputs of every embeddings request, in arrival order. */
  get batches(): string[][] {
    return this.requests.map(({ body }) => (body ? [body.input].flat() : []));
  }

  /** Answers 400 to any request with an input matching, as OpenAI does. */
  rejectInputs(matches: (input: string) => boolean): this {
    this.rejected = matches;
    return this;
  }

  protected answer(request: RecordedRequest): ScriptedReply {
    const { headers, path, method, body } = request;
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
