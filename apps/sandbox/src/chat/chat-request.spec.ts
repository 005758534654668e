import { OpenAiError } from '../embeddings/openai-error.js';
import { isReasoningModel, parseChatRequest } from './chat-request.js';

const base = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Olá, Lula.' }],
};

function refusal(body: unknown): { status: number; error: unknown } {
  try {
    parseChatRequest(body);
  } catch (caught) {
    if (caught instanceof OpenAiError)
      return {
        status: caught.getStatus(),
        error: (caught.getResponse() as { error: unknown }).error,
      };
    throw caught;
  }
  throw new Error('accepted');
}

describe('parseChatRequest', () => {
  it('reads a structured-output request', () => {
    expect(
      parseChatRequest({
        ...base,
        temperature: 0.2,
        max_completion_tokens: 500,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'people',
            strict: true,
            schema: { type: 'object' },
          },
        },
      }),
    ).toEqual({
      ...base,
      temperature: 0.2,
      maxTokens: 500,
      format: {
        type: 'json_schema',
        name: 'people',
        strict: true,
        schema: { type: 'object' },
      },
    });
  });

  it('tells reasoning models apart', () => {
    for (const model of ['o1-mini', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini'])
      expect(isReasoningModel(model)).toBe(true);
    for (const model of ['gpt-4o', 'gpt-4.1-mini', 'llama3'])
      expect(isReasoningModel(model)).toBe(false);
  });

  it('refuses a temperature other than 1 on a reasoning model, with OpenAI’s body', () => {
    expect(refusal({ ...base, model: 'gpt-5-mini', temperature: 0.2 })).toEqual(
      {
        status: 400,
        error: {
          message:
            "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'unsupported_value',
        },
      },
    );
    expect(() =>
      parseChatRequest({ ...base, model: 'o3', temperature: 1 }),
    ).not.toThrow();
    expect(refusal({ ...base, model: 'o3', max_tokens: 10 })).toMatchObject({
      status: 400,
      error: { param: 'max_tokens', code: 'unsupported_parameter' },
    });
  });

  it.each([
    [
      'an embeddings model',
      { model: 'text-embedding-3-small' },
      404,
      'model_not_found',
    ],
    ['no messages', { messages: undefined }, 400, 'missing_required_parameter'],
    ['empty messages', { messages: [] }, 400, 'empty_array'],
    [
      'an unknown role',
      { messages: [{ role: 'robot', content: 'x' }] },
      400,
      'invalid_value',
    ],
    [
      'a temperature above 2',
      { temperature: 3 },
      400,
      'decimal_above_max_value',
    ],
    [
      'max_completion_tokens 0',
      { max_completion_tokens: 0 },
      400,
      'integer_below_min_value',
    ],
    ['an unknown field', { fancy: true }, 400, null],
    [
      'a schema without a name',
      { response_format: { type: 'json_schema', json_schema: {} } },
      400,
      'missing_required_parameter',
    ],
    [
      'json_object without the word',
      { response_format: { type: 'json_object' } },
      400,
      null,
    ],
    [
      'an unknown format',
      { response_format: { type: 'xml' } },
      400,
      'invalid_value',
    ],
  ])('refuses %s', (_, fields, status, code) => {
    expect(refusal({ ...base, ...fields })).toMatchObject({
      status,
      error: { code },
    });
  });
});
