import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import OpenAI, { APIError, AuthenticationError } from 'openai';
import { call, startSandbox, type Sandbox } from './support/sandbox.js';

const norm = (vector: ArrayLike<number>) =>
  Math.sqrt(Array.from(vector).reduce((sum, value) => sum + value * value, 0));

const fromBase64 = (text: string) => {
  const bytes = Buffer.from(text, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, i) =>
    bytes.readFloatLE(i * 4),
  );
};

describe('sandbox embeddings endpoint, through the official openai SDK', () => {
  let sandbox: Sandbox;
  let openai: OpenAI;

  beforeAll(async () => {
    sandbox = await startSandbox();
    openai = new OpenAI({
      apiKey: 'sk-any-key',
      baseURL: sandbox.embeddingsUrl,
      maxRetries: 0,
    });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    sandbox.updateSwitches({ embeddingsLatencyMs: 0 });
  });

  it('answers float vectors: unit length, the model dimension, deterministic per text', async () => {
    const texts = ['The quick brown fox', 'jumps over the lazy dog'];
    const answer = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts,
      encoding_format: 'float',
    });
    expect(answer.object).toBe('list');
    expect(answer.model).toBe('text-embedding-3-small');
    expect(answer.data.map((item) => item.index)).toEqual([0, 1]);
    const [first, second] = answer.data.map((item) => item.embedding);
    expect(first).toHaveLength(1536);
    expect(norm(first)).toBeCloseTo(1, 5);
    expect(second).not.toEqual(first);
    const tokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
    expect(answer.usage).toEqual({
      prompt_tokens: tokens,
      total_tokens: tokens,
    });
    const again = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: texts[0],
      encoding_format: 'float',
    });
    expect(again.data[0].embedding).toEqual(first);
  });

  it('answers base64 (little-endian float32) that decodes to the float vector', async () => {
    const request = {
      model: 'text-embedding-3-large',
      input: 'Bonjour, café ☕',
    };
    const floats = await openai.embeddings.create({
      ...request,
      encoding_format: 'float',
    });
    const base64 = await openai.embeddings.create({
      ...request,
      encoding_format: 'base64',
    });
    const encoded = base64.data[0].embedding as unknown as string;
    expect(typeof encoded).toBe('string');
    expect(fromBase64(encoded)).toEqual(floats.data[0].embedding);
    expect(floats.data[0].embedding).toHaveLength(3072);
    // The SDK's default asks for base64 and decodes it itself.
    const byDefault = await openai.embeddings.create(request);
    expect(Array.from(byDefault.data[0].embedding)).toEqual(
      floats.data[0].embedding,
    );
  });

  it('shortens text-embedding-3 vectors with dimensions, like OpenAI', async () => {
    const input = 'shorten me';
    const full = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input,
      encoding_format: 'float',
    });
    const short = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input,
      dimensions: 256,
      encoding_format: 'float',
    });
    const vector = short.data[0].embedding;
    expect(vector).toHaveLength(256);
    expect(norm(vector)).toBeCloseTo(1, 5);
    const prefix = full.data[0].embedding.slice(0, 256);
    const scale = norm(prefix);
    vector.forEach((value, i) =>
      expect(value).toBeCloseTo(prefix[i] / scale, 6),
    );
  });

  it('accepts arrays of token arrays', async () => {
    const answer = await openai.embeddings.create({
      model: 'text-embedding-ada-002',
      input: [
        [9906, 1917],
        [15339, 1070, 0],
      ],
      encoding_format: 'float',
    });
    expect(answer.data).toHaveLength(2);
    expect(answer.data[0].embedding).toHaveLength(1536);
    expect(answer.usage.prompt_tokens).toBe(5);
  });

  it.each([
    ['an empty string', { input: '' }, 400],
    ['an empty array', { input: [] }, 400],
    ['an empty string among others', { input: ['fine', ''] }, 400],
    [
      'more than 2,048 inputs',
      { input: Array.from({ length: 2049 }, (_, i) => `text ${i}`) },
      400,
    ],
    ['an input over 8,192 tokens', { input: 'word '.repeat(9000) }, 400],
    [
      'dimensions on ada-002',
      { model: 'text-embedding-ada-002', input: 'x', dimensions: 8 },
      400,
    ],
    [
      'dimensions above the model dimension',
      { input: 'x', dimensions: 1537 },
      400,
    ],
    ['an unknown encoding', { input: 'x', encoding_format: 'hex' }, 400],
    ['an unknown model', { model: 'text-embedding-4', input: 'x' }, 404],
  ])('answers %s with OpenAI’s error shape', async (_, fields, status) => {
    const error = await openai.embeddings
      .create({ model: 'text-embedding-3-small', ...fields } as never)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(APIError);
    const apiError = error as APIError;
    expect(apiError.status).toBe(status);
    expect(apiError.error).toEqual({
      message: expect.any(String),
      type: 'invalid_request_error',
      param: expect.toSatisfy(
        (value) => value === null || typeof value === 'string',
      ),
      code: status === 404 ? 'model_not_found' : null,
    });
    expect(sandbox.stats().embeddings.requests).toBe(0);
  });

  it('requires a bearer key, and only the configured one when set', async () => {
    const missing = await call(`${sandbox.embeddingsUrl}/embeddings`, {
      method: 'POST',
      body: { model: 'text-embedding-3-small', input: 'x' },
    });
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({
      error: { type: 'invalid_request_error' },
    });

    const strict = await startSandbox({ embeddingsApiKey: 'sk-the-right-key' });
    try {
      const wrong = new OpenAI({
        apiKey: 'sk-a-wrong-key',
        baseURL: strict.embeddingsUrl,
        maxRetries: 0,
      });
      const error = await wrong.embeddings
        .create({ model: 'text-embedding-3-small', input: 'x' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).code).toBe('invalid_api_key');
      expect(
        JSON.stringify((error as AuthenticationError).error),
      ).not.toContain('sk-a-wrong-key');
      const right = new OpenAI({
        apiKey: 'sk-the-right-key',
        baseURL: strict.embeddingsUrl,
        maxRetries: 0,
      });
      await expect(
        right.embeddings.create({
          model: 'text-embedding-3-small',
          input: 'x',
        }),
      ).resolves.toBeDefined();
    } finally {
      await strict.close();
    }
  });

  it('reports rate-limit headers', async () => {
    const { response } = await openai.embeddings
      .create({ model: 'text-embedding-3-small', input: 'x' })
      .withResponse();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toMatch(
      /^\d+$/,
    );
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toMatch(
      /^\d+$/,
    );
  });

  it('adds the configured latency', async () => {
    sandbox.updateSwitches({ embeddingsLatencyMs: 150 });
    const started = performance.now();
    await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'slow',
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('counts inputs, tokens and texts embedded more than once', async () => {
    const model = 'text-embedding-3-small';
    await openai.embeddings.create({ model, input: ['a', 'b', 'c'] });
    await openai.embeddings.create({ model, input: ['c', 'd'] });
    await openai.embeddings.create({ model, input: ['c', 'a'] });
    await openai.embeddings.create({ model, input: 'a', dimensions: 64 });
    expect(sandbox.stats().embeddings).toEqual({
      requests: 4,
      inputs: 8,
      tokens: 8,
      distinctTexts: 5,
      textsEmbeddedMoreThanOnce: 2,
    });
  });
});
