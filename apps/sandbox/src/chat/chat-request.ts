import { OpenAiError } from '../embeddings/openai-error.js';
import type { ChatMessage } from './conversation.js';
import type { JsonSchema } from './schema-answer.js';

/** What `POST /v1/chat/completions` was asked, once checked. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  format: ResponseFormat;
  /** Absent when not sent (or sent as null). */
  temperature?: number;
  /** `max_completion_tokens`, or the older `max_tokens`: the most the answer may use, reasoning included. */
  maxTokens?: number;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; strict: boolean; schema: JsonSchema };

/** The fields OpenAI's chat completions accept; anything else is refused by name. */
const FIELDS = new Set([
  'model',
  'messages',
  'response_format',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'n',
  'stop',
  'seed',
  'user',
  'stream',
  'stream_options',
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'verbosity',
  'store',
  'metadata',
  'service_tier',
  'modalities',
  'prediction',
  'audio',
  'web_search_options',
  'prompt_cache_key',
  'safety_identifier',
]);
const ROLES = ['system', 'assistant', 'user', 'function', 'tool', 'developer'];
const SCHEMA_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Reasoning models take no temperature but the default and spend reasoning tokens. */
export const isReasoningModel = (model: string) =>
  /^(o1|o3|o4|gpt-5)/.test(model);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const kindOf = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`;

const missing = (param: string) =>
  new OpenAiError(400, `Missing required parameter: '${param}'.`, {
    param,
    code: 'missing_required_parameter',
  });

const invalidType = (param: string, expected: string, value: unknown) =>
  new OpenAiError(
    400,
    `Invalid type for '${param}': expected ${expected}, but got ${kindOf(value)} instead.`,
    { param, code: 'invalid_type' },
  );

const invalidValue = (param: string, value: unknown, supported: string[]) =>
  new OpenAiError(
    400,
    `Invalid value: '${String(value)}'. Supported values are: ${supported
      .map((s) => `'${s}'`)
      .join(', ')
      .replace(/, ([^,]*)$/, ', and $1')}.`,
    { param, code: 'invalid_value' },
  );

function model(value: unknown): string {
  if (typeof value !== 'string' || !value)
    throw new OpenAiError(400, 'You must provide a model parameter.', {
      param: 'model',
    });
  // Any name passes as a chat model but an embeddings model's (docs/sandbox.md).
  if (value.startsWith('text-embedding'))
    throw new OpenAiError(
      404,
      `The model \`${value}\` does not exist or you do not have access to it.`,
    );
  return value;
}

function messages(value: unknown): ChatMessage[] {
  if (value === undefined) throw missing('messages');
  if (!Array.isArray(value))
    throw invalidType('messages', 'an array of objects', value);
  if (!value.length)
    throw new OpenAiError(
      400,
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      { param: 'messages', code: 'empty_array' },
    );
  return value.map((message: unknown, i) => {
    const param = `messages[${i}]`;
    if (!isRecord(message)) throw invalidType(param, 'an object', message);
    if (message.role === undefined) throw missing(`${param}.role`);
    if (!ROLES.includes(message.role as string))
      throw invalidValue(`${param}.role`, message.role, ROLES);
    const content = message.content;
    if (content === undefined || content === null) {
      // Only an assistant turn (with tool calls) may come without content.
      if (message.role !== 'assistant') throw missing(`${param}.content`);
    } else if (typeof content !== 'string' && !Array.isArray(content))
      throw invalidType(
        `${param}.content`,
        'one of a string or array of objects',
        content,
      );
    return message as unknown as ChatMessage;
  });
}

function decimal(
  name: string,
  value: unknown,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalidType(name, 'a decimal', value);
  if (value < min)
    throw new OpenAiError(
      400,
      `Invalid '${name}': decimal below minimum value. Expected a value >= ${min}, but got ${value} instead.`,
      { param: name, code: 'decimal_below_min_value' },
    );
  if (value > max)
    throw new OpenAiError(
      400,
      `Invalid '${name}': decimal above maximum value. Expected a value <= ${max}, but got ${value} instead.`,
      { param: name, code: 'decimal_above_max_value' },
    );
  return value;
}

function integer(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw invalidType(name, 'an integer', value);
  if (value < 1)
    throw new OpenAiError(
      400,
      `Invalid '${name}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`,
      { param: name, code: 'integer_below_min_value' },
    );
  return value;
}

function responseFormat(
  value: unknown,
  conversation: readonly ChatMessage[],
): ResponseFormat {
  if (value === undefined || value === null) return { type: 'text' };
  if (!isRecord(value))
    throw invalidType('response_format', 'an object', value);
  switch (value.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      if (!JSON.stringify(conversation).toLowerCase().includes('json'))
        throw new OpenAiError(
          400,
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          { param: 'messages' },
        );
      return { type: 'json_object' };
    case 'json_schema': {
      const spec = value.json_schema;
      if (spec === undefined) throw missing('response_format.json_schema');
      if (!isRecord(spec))
        throw invalidType('response_format.json_schema', 'an object', spec);
      if (spec.name === undefined)
        throw missing('response_format.json_schema.name');
      if (typeof spec.name !== 'string' || !SCHEMA_NAME.test(spec.name))
        throw new OpenAiError(
          400,
          "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
          { param: 'response_format.json_schema.name', code: 'invalid_value' },
        );
      const schema = spec.schema ?? {};
      if (!isRecord(schema) && typeof schema !== 'boolean')
        throw invalidType(
          'response_format.json_schema.schema',
          'an object',
          schema,
        );
      return {
        type: 'json_schema',
        name: spec.name,
        strict: spec.strict === true,
        schema: schema as JsonSchema,
      };
    }
    default:
      throw invalidValue('response_format.type', value.type, [
        'json_object',
        'json_schema',
        'text',
      ]);
  }
}

/** Checks a request as OpenAI does, with its error answers (400, or 404 for an embeddings model). */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isRecord(body))
    throw new OpenAiError(400, 'The request body must be a JSON object.');
  for (const field of Object.keys(body))
    if (!FIELDS.has(field))
      throw new OpenAiError(
        400,
        `Unrecognized request argument supplied: ${field}`,
      );
  const name = model(body.model);
  const conversation = messages(body.messages);
  if (body.stream === true)
    throw new OpenAiError(
      400,
      'The sandbox does not stream: send stream false, or leave it out.',
      { param: 'stream' },
    );
  if (body.n !== undefined && body.n !== null && body.n !== 1)
    throw new OpenAiError(400, 'The sandbox answers one choice: n must be 1.', {
      param: 'n',
    });
  const temperature = decimal('temperature', body.temperature, 0, 2);
  const maxCompletionTokens = integer(
    'max_completion_tokens',
    body.max_completion_tokens,
  );
  const maxTokens = integer('max_tokens', body.max_tokens);
  if (isReasoningModel(name)) {
    if (temperature !== undefined && temperature !== 1)
      throw new OpenAiError(
        400,
        `Unsupported value: 'temperature' does not support ${temperature} with this model. Only the default (1) value is supported.`,
        { param: 'temperature', code: 'unsupported_value' },
      );
    if (maxTokens !== undefined)
      throw new OpenAiError(
        400,
        "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        { param: 'max_tokens', code: 'unsupported_parameter' },
      );
  }
  return {
    model: name,
    messages: conversation,
    format: responseFormat(body.response_format, conversation),
    ...(temperature === undefined ? {} : { temperature }),
    ...((maxCompletionTokens ?? maxTokens) === undefined
      ? {}
      : { maxTokens: maxCompletionTokens ?? maxTokens }),
  };
}
