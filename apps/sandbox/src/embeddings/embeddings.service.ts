import { Inject, Injectable } from '@nestjs/common';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { SandboxStats } from '../stats.js';
import { OpenAiError } from './openai-error.js';
import { EMBEDDING_MODELS, embeddingVector, toBase64 } from './vectors.js';

/** OpenAI's limits (docs/contract.md §3). */
export const MAX_INPUTS = 2048;
export const MAX_INPUT_TOKENS = 8192;
export const MAX_REQUEST_TOKENS = 300_000;

const FIELDS = new Set([
  'model',
  'input',
  'dimensions',
  'encoding_format',
  'user',
]);
const INVALID_INPUT =
  "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.";
const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() };

export interface EmbeddingsAnswer {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** One input as the endpoint sees it: its text (or token ids) and its token count. */
interface Input {
  key: string;
  tokens: number;
}

/** A request once checked: what the rate limits charge and the answer needs. */
export interface EmbeddingsRequest {
  model: string;
  dimensions: number;
  format: 'float' | 'base64';
  inputs: Input[];
  /** The input tokens, as `usage` counts them. */
  tokens: number;
}

const isTokenArray = (value: unknown): value is number[] =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((token) => Number.isInteger(token) && token >= 0);

/** OpenAI's `POST /v1/embeddings`, deterministic and offline. */
@Injectable()
export class EmbeddingsService {
  constructor(@Inject(SandboxStats) private readonly stats: SandboxStats) {}

  /** Checks a request as OpenAI does (400s and 404s) and counts its tokens. */
  read(body: unknown): EmbeddingsRequest {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new OpenAiError(400, 'The request body must be a JSON object.');
    const request = body as Record<string, unknown>;
    for (const field of Object.keys(request))
      if (!FIELDS.has(field))
        throw new OpenAiError(
          400,
          `Unrecognized request argument supplied: ${field}`,
        );
    const model = this.model(request.model);
    const dimensions = this.dimensions(model, request.dimensions);
    const format = request.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64')
      throw new OpenAiError(
        400,
        `${JSON.stringify(format)} is not one of ['float', 'base64'] - 'encoding_format'`,
        { param: 'encoding_format' },
      );
    const inputs = this.inputs(request.input);
    const tokens = inputs.reduce((sum, input) => sum + input.tokens, 0);
    if (tokens > MAX_REQUEST_TOKENS)
      throw new OpenAiError(
        400,
        `Requested ${tokens} tokens, max ${MAX_REQUEST_TOKENS} tokens per request`,
      );
    return { model, dimensions, format, inputs, tokens };
  }

  /** The vectors of a request that passed its checks (and its provider's limits). */
  answer({
    model,
    dimensions,
    format,
    inputs,
    tokens,
  }: EmbeddingsRequest): EmbeddingsAnswer {
    this.stats.embeddedInputs(
      inputs.map(({ key }) => `${model}\u0000${dimensions}\u0000${key}`),
      tokens,
    );
    return {
      object: 'list',
      data: inputs.map(({ key }, index) => {
        const vector = embeddingVector(key, model, dimensions);
        return {
          object: 'embedding',
          index,
          embedding:
            format === 'base64' ? toBase64(vector) : Array.from(vector),
        };
      }),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    };
  }

  private model(model: unknown): string {
    if (typeof model !== 'string' || !model)
      throw new OpenAiError(400, 'You must provide a model parameter.', {
        param: 'model',
      });
    if (!Object.hasOwn(EMBEDDING_MODELS, model))
      throw new OpenAiError(
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
      );
    return model;
  }

  private dimensions(model: string, dimensions: unknown): number {
    const { dimensions: native, shortenable } = EMBEDDING_MODELS[model];
    if (dimensions === undefined || dimensions === null) return native;
    if (!shortenable)
      throw new OpenAiError(
        400,
        'This model does not support specifying dimensions.',
        { param: 'dimensions' },
      );
    if (
      !Number.isInteger(dimensions) ||
      Number(dimensions) < 1 ||
      Number(dimensions) > native
    )
      throw new OpenAiError(
        400,
        `Invalid value for 'dimensions' = ${JSON.stringify(dimensions)}. Must be an integer between 1 and ${native}.`,
        { param: 'dimensions' },
      );
    return Number(dimensions);
  }

  private inputs(input: unknown): Input[] {
    if (input === undefined)
      throw new OpenAiError(400, "'input' is a required property", {
        param: 'input',
      });
    const items: unknown[] =
      typeof input === 'string' || isTokenArray(input)
        ? [input]
        : Array.isArray(input)
          ? input
          : [];
    if (items.length === 0) throw new OpenAiError(400, INVALID_INPUT);
    if (items.length > MAX_INPUTS)
      throw new OpenAiError(
        400,
        `Too many inputs. The max number of inputs is ${MAX_INPUTS}. We recommend splitting the request.`,
      );
    return items.map((item) => {
      const parsed = this.input(item);
      if (parsed.tokens > MAX_INPUT_TOKENS)
        throw new OpenAiError(
          400,
          `This model's maximum context length is ${MAX_INPUT_TOKENS} tokens, however you requested ${parsed.tokens} tokens (${parsed.tokens} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.`,
        );
      return parsed;
    });
  }

  private input(item: unknown): Input {
    if (typeof item === 'string' && item.length > 0)
      return { key: item, tokens: countTokens(item, NO_SPECIAL_TOKENS) };
    if (isTokenArray(item))
      return { key: `tokens:${item.join(',')}`, tokens: item.length };
    throw new OpenAiError(400, INVALID_INPUT);
  }
}
