import OpenAI, { type ClientOptions } from 'openai';
import { register } from 'prom-client';
import { z } from 'zod';
import { METRIC } from '@app/observability';
import {
  ChatStub,
  chatCompletion,
  chatErrorReply,
} from '../../../../test/support/chat-stub.js';
import { metricValue } from '../../../../test/support/metrics.js';
import { type ChatTestOptions, logged, startChat } from '../testing/index.js';
import {
  type ChatProvider,
  ChatProviderError,
  type ChatSchema,
} from './chat-provider.js';
import { strictJsonSchema } from './strict-json-schema.js';

const API_KEY = 'sk-test-key-0123456789';
const MODEL = 'gpt-4o-mini';

interface Verdict {
  severity: 'low' | 'high';
  reasons: string[];
  note: string | null;
}

const VERDICT: ChatSchema<Verdict> = {
  name: 'severity_verdict',
  schema: z.object({
    severity: z.enum(['low', 'high']),
    reasons: z.array(z.string()),
    note: z.string().nullable(),
  }),
  mockAnswer: () => ({ severity: 'low', reasons: [], note: null }),
};

const ANSWER: Verdict = { severity: 'high', reasons: ['a claim'], note: null };
const answered = (value: unknown = ANSWER, options = {}) =>
  chatCompletion(JSON.stringify(value), options);

const MESSAGES = [
  { role: 'system', content: 'Rate the severity of the claim.' },
  { role: 'user', content: 'The moon is made of cheese.' },
] as const;

describe('OpenAI chat through the SDK', () => {
  let stub: ChatStub;
  let closeApp: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    stub = await ChatStub.start();
    stub.answerWith(() => answered());
  });

  afterEach(async () => {
    await closeApp?.();
    closeApp = undefined;
    await stub.close();
  });

  async function start(
    env: Record<string, string> = {},
    options: Omit<ChatTestOptions, 'env'> = {},
  ) {
    const context = await startChat({
      ...options,
      env: {
        OPENAI_API_KEY: API_KEY,
        OPENAI_BASE_URL: stub.baseUrl,
        WIKIDATA_USER_AGENT: 'tests/1.0 (https://example.org)',
        MAX_RETRIES: '2',
        ...env,
      },
    });
    closeApp = () => context.app.close();
    return context;
  }

  const ask = (provider: ChatProvider, model = MODEL) =>
    provider.complete({
      model,
      messages: MESSAGES,
      schema: VERDICT,
      text: 'The moon is made of cheese.',
    });

  /** The ChatProviderError `promise` rejects with. */
  async function failure(
    promise: Promise<unknown>,
  ): Promise<ChatProviderError> {
    const error: unknown = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ChatProviderError);
    return error as ChatProviderError;
  }

  const requests = (status: string, model = MODEL) =>
    metricValue(METRIC.llmRequests, { model, status });
  const tokens = (type: string, model = MODEL) =>
    metricValue(METRIC.llmTokens, { model, type });

  describe('answers', () => {
    it('parses and validates a structured answer, and counts it', async () => {
      const { provider, logs } = await start();
      await expect(ask(provider)).resolves.toEqual({
        value: ANSWER,
        usage: { promptTokens: 12, completionTokens: 5, reasoningTokens: 0 },
      });
      expect(stub.requests).toHaveLength(1);
      const [request] = stub.requests;
      expect(request.path).toBe('/v1/chat/completions');
      expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(logged(logs, 'log').join('\n')).toContain(
        `openai chat at ${stub.baseUrl}: OPENAI_API_KEY is set`,
      );
      expect([
        await requests('success'),
        await tokens('prompt'),
        await tokens('completion'),
        await tokens('reasoning'),
      ]).toEqual([1, 12, 5, 0]);
    });

    it('asks for a strict json_schema answer with the converted schema, deterministically', async () => {
      const { provider } = await start();
      await ask(provider);
      expect(stub.bodies[0]).toEqual({
        model: MODEL,
        messages: MESSAGES,
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'severity_verdict',
            strict: true,
            schema: strictJsonSchema(VERDICT.schema),
          },
        },
        max_completion_tokens: 4_096,
        temperature: 0,
      });
      expect(stub.bodies[0].response_format?.json_schema?.schema).toEqual({
        type: 'object',
        properties: {
          severity: { type: 'string', enum: ['low', 'high'] },
          reasons: { type: 'array', items: { type: 'string' } },
          note: { type: ['string', 'null'] },
        },
        required: ['severity', 'reasons', 'note'],
        additionalProperties: false,
      });
    });

    it.each([
      'o3',
      'o3-mini',
      'o4-mini',
      'o1',
      'gpt-5',
      'gpt-5-nano',
      'openai/o3',
    ])(
      'sends reasoning model %s no temperature, and room to think',
      async (model) => {
        const { provider } = await start();
        await ask(provider, model);
        expect(stub.bodies[0]).not.toHaveProperty('temperature');
        expect(stub.bodies[0].max_completion_tokens).toBe(16_384);
        expect(stub.bodies[0]).not.toHaveProperty('max_tokens');
      },
    );

    it.each(['gpt-4o-mini', 'gpt-4.1', 'llama3.1'])(
      'sends %s temperature 0',
      async (model) => {
        const { provider } = await start();
        await ask(provider, model);
        expect(stub.bodies[0].temperature).toBe(0);
      },
    );

    it('sends again without temperature when the model refuses it, and remembers the model', async () => {
      stub.reply(
        chatErrorReply(
          400,
          "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.",
          { param: 'temperature', code: 'unsupported_value' },
        ),
      );
      const { provider, logs, chatReadiness } = await start({
        CIRCUIT_BREAKER_THRESHOLD: '1',
      });
      await expect(ask(provider, 'thinker-2')).resolves.toMatchObject({
        value: ANSWER,
      });
      await expect(ask(provider, 'thinker-2')).resolves.toMatchObject({
        value: ANSWER,
      });
      expect(stub.bodies.map((body) => body.temperature)).toEqual([
        0,
        undefined,
        undefined,
      ]);
      // Other models still get it.
      await ask(provider, 'gpt-4.1');
      expect(stub.bodies[3].temperature).toBe(0);
      expect(logged(logs, 'warn')).toEqual([
        expect.stringContaining(
          'model "thinker-2" refuses temperature 0: sending none from now on',
        ),
      ]);
      // Not the provider failing: the breaker (threshold 1) stays closed.
      await expect(chatReadiness()).resolves.toBe('ready');
      expect(
        await metricValue(METRIC.llmRequests, {
          model: 'other',
          status: '400',
        }),
      ).toBe(1);
    });

    it('labels models it does not know `other`, but names LLM_DEFAULT_MODEL', async () => {
      const { provider } = await start({ LLM_DEFAULT_MODEL: 'house-model' });
      for (const model of ['invented-1', 'invented-2', 'house-model', 'o3']) {
        await ask(provider, model);
      }
      const { values } = await register
        .getSingleMetric(METRIC.llmRequests)!
        .get();
      expect(values.map(({ labels, value }) => [labels.model, value])).toEqual([
        ['other', 2],
        ['house-model', 1],
        ['o3', 1],
      ]);
    });

    it('counts reasoning tokens, and ignores counts that are not whole numbers ≥ 0', async () => {
      stub.reply(
        answered(ANSWER, {
          usage: {
            prompt_tokens: 30,
            completion_tokens: 900,
            completion_tokens_details: { reasoning_tokens: 850 },
          },
        }),
        answered(ANSWER, {
          usage: { prompt_tokens: -3, completion_tokens: 'many' },
        }),
      );
      const { provider } = await start();
      await expect(ask(provider, 'o3')).resolves.toMatchObject({
        usage: {
          promptTokens: 30,
          completionTokens: 900,
          reasoningTokens: 850,
        },
      });
      await expect(ask(provider, 'o3')).resolves.toMatchObject({
        usage: { promptTokens: 0, completionTokens: 0, reasoningTokens: 0 },
      });
      expect([
        await tokens('prompt', 'o3'),
        await tokens('completion', 'o3'),
        await tokens('reasoning', 'o3'),
      ]).toEqual([30, 900, 850]);
    });

    it('builds the client with the SDK retries off and the configured timeout', async () => {
      const seen: ClientOptions[] = [];
      await start(
        { OPENAI_TIMEOUT: '7' },
        {
          clientFactory: (options) => {
            seen.push(options);
            return new OpenAI(options);
          },
        },
      );
      expect(seen).toEqual([
        {
          apiKey: API_KEY,
          baseURL: stub.baseUrl,
          timeout: 7_000,
          maxRetries: 0,
        },
      ]);
    });

    it('has at most OPENAI_MAX_CONCURRENT_REQUESTS requests in flight; the others wait their turn', async () => {
      let started = 0;
      const { provider } = await start(
        { OPENAI_MAX_CONCURRENT_REQUESTS: '3' },
        {
          clientFactory: (options) =>
            new OpenAI({
              ...options,
              fetch: (input, init) => {
                started += 1;
                return fetch(input, init);
              },
            }),
        },
      );
      stub.hold();
      const answers = Promise.all(
        Array.from({ length: 10 }, () => ask(provider)),
      );
      // Answered three at a time: while three are held at the server, no
      // fourth request has even been started.
      for (const arrived of [3, 6, 9, 10]) {
        await stub.waitForRequests(arrived);
        expect(started).toBe(arrived);
        stub.release();
        if (arrived < 10) stub.hold();
      }
      expect(await answers).toHaveLength(10);
      expect(stub.requests).toHaveLength(10);
      expect(stub.maxInFlight).toBe(3);
    });

    it('converts each schema once, however many requests use it', async () => {
      let reads = 0;
      const counted: ChatSchema<Verdict> = {
        ...VERDICT,
        get schema() {
          reads += 1;
          return VERDICT.schema;
        },
      };
      const { provider } = await start();
      for (let request = 0; request < 3; request++) {
        await provider.complete({
          model: MODEL,
          messages: MESSAGES,
          schema: counted,
          text: '',
        });
      }
      // Once to convert, and once per answer to check it.
      expect(reads).toBe(1 + 3);
      expect(stub.bodies[2].response_format).toEqual(
        stub.bodies[0].response_format,
      );
    });

    it('refuses a schema name the API would refuse, before any request (a defect, not an outage)', async () => {
      const { provider } = await start();
      const promise = provider.complete({
        model: MODEL,
        messages: MESSAGES,
        schema: { ...VERDICT, name: 'severity verdict' },
        text: '',
      });
      await expect(promise).rejects.toThrow(
        'chat schema name "severity verdict" is not 1 to 64 letters, digits, _ or -',
      );
      await expect(promise).rejects.not.toBeInstanceOf(ChatProviderError);
      expect(stub.requests).toHaveLength(0);
    });
  });

  describe("answers the model gives instead of the schema's", () => {
    it('fails model_refused on a refusal, quoting it bounded, without asking again', async () => {
      const long = `I can't help with that. ${'x'.repeat(500)}`;
      stub.reply(chatCompletion(null, { refusal: long }));
      const { provider } = await start();
      const error = await failure(ask(provider));
      expect(error).toMatchObject({ kind: 'model_refused', permanent: true });
      expect(error.message).toMatch(
        /^the model refused to answer: "I can't help with that\. x+…"$/,
      );
      expect(error.message.length).toBeLessThan(260);
      expect(stub.requests).toHaveLength(1);
      expect([await requests('refused'), await tokens('prompt')]).toEqual([
        1, 12,
      ]);
    });

    it('fails model_refused when the content filter stopped the answer', async () => {
      stub.reply(chatCompletion('', { finishReason: 'content_filter' }));
      const { provider } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'model_refused',
        message: "the chat provider's content filter stopped the answer",
      });
    });

    it('fails output_truncated when the answer was cut off, without asking again', async () => {
      stub.reply(chatCompletion('{"severity":"hi', { finishReason: 'length' }));
      const { provider } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'output_truncated',
        message: 'the answer was cut off at the output limit (4096 tokens)',
      });
      expect(stub.requests).toHaveLength(1);
      expect(await requests('truncated')).toBe(1);
    });

    it('asks once more when an answer strays from the schema, and adds up the usage', async () => {
      stub.reply(answered({ severity: 'medium', reasons: [], note: null }));
      const { provider, logs } = await start();
      await expect(ask(provider)).resolves.toEqual({
        value: ANSWER,
        usage: { promptTokens: 24, completionTokens: 10, reasoningTokens: 0 },
      });
      expect(stub.requests).toHaveLength(2);
      expect([await requests('off_schema'), await requests('success')]).toEqual(
        [1, 1],
      );
      expect(logged(logs, 'warn').join('\n')).toContain(
        'the answer does not match schema severity_verdict at severity',
      );
    });

    it('fails invalid_model_output when the second answer strays too, naming the first problem', async () => {
      stub.answerWith(() => answered({ severity: 'high', reasons: [7] }));
      const { provider } = await start();
      const error = await failure(ask(provider));
      expect(error).toMatchObject({
        kind: 'invalid_model_output',
        permanent: true,
      });
      expect(error.message).toMatch(
        /^the answer does not match schema severity_verdict at reasons\.0: .*expected string.*, twice$/,
      );
      expect(stub.requests).toHaveLength(2);
      expect(await requests('off_schema')).toBe(2);
    });

    it.each([
      ['not JSON', 'The severity is high.', 'the answer is not JSON'],
      ['no content', null, 'the answer has no content'],
    ])(
      'fails invalid_model_output for an answer that is %s twice',
      async (_, content, message) => {
        stub.answerWith(() => chatCompletion(content));
        const { provider } = await start();
        await expect(failure(ask(provider))).resolves.toMatchObject({
          kind: 'invalid_model_output',
          message: `${message}, twice`,
        });
        expect(stub.requests).toHaveLength(2);
      },
    );
  });

  describe('answers that are not chat completions', () => {
    it.each([
      ['no choices', { object: 'chat.completion', choices: [] }],
      ['a message that is not an object', { choices: [{ message: 'hi' }] }],
      [
        'content that is not a string',
        { choices: [{ message: { content: 5 } }] },
      ],
      ['a JSON string', JSON.stringify('completion')],
    ])(
      'releases (unavailable) on %s, counts invalid_answer, does not retry',
      async (_, body) => {
        stub.reply({ status: 200, body });
        const { provider, logs, chatReadiness } = await start();
        const error = await failure(ask(provider));
        expect(error).toMatchObject({ kind: 'unavailable', transient: true });
        expect(error.message).toMatch(
          /^the chat provider answered what is not a chat completion: not a chat completion \(/,
        );
        expect(stub.requests).toHaveLength(1);
        expect(await requests('invalid_answer')).toBe(1);
        expect(logged(logs, 'warn').join('\n')).toContain(
          `${error.message}; the task is released`,
        );
        await expect(chatReadiness()).resolves.toBe('ready');
      },
    );

    it('releases on a body that is not JSON, never quoting it', async () => {
      stub.reply({ status: 200, body: '{"choices":[{"mess' });
      const { provider } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        message:
          'the chat provider answered what is not a chat completion: the body is not JSON',
      });
      expect(await requests('invalid_answer')).toBe(1);
    });
  });

  describe('errors', () => {
    it('fails text_too_long on context_length_exceeded, without retrying or opening the breaker', async () => {
      stub.reply(
        chatErrorReply(
          400,
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.",
          { code: 'context_length_exceeded', param: 'messages' },
        ),
      );
      const { provider, chatReadiness } = await start({
        CIRCUIT_BREAKER_THRESHOLD: '1',
      });
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'text_too_long',
        permanent: true,
        message:
          'the text does not fit in the context of model "gpt-4o-mini" (400): This model\'s maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.',
      });
      expect(stub.requests).toHaveLength(1);
      await expect(chatReadiness()).resolves.toBe('ready');
    });

    it('fails text_too_long on a 413', async () => {
      stub.reply(chatErrorReply(413, 'Request too large'));
      const { provider } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'text_too_long',
      });
    });

    it('fails unknown_model when the provider does not have the model', async () => {
      stub.reply(
        chatErrorReply(404, 'The model `gpt-9` does not exist.', {
          code: 'model_not_found',
        }),
      );
      const { provider } = await start();
      await expect(failure(ask(provider, 'gpt-9'))).resolves.toMatchObject({
        kind: 'unknown_model',
        permanent: true,
        message:
          'the chat provider does not have model "gpt-9": The model `gpt-9` does not exist.',
      });
      expect(stub.requests).toHaveLength(1);
    });

    it('fails unknown_model when the model cannot answer in a strict schema', async () => {
      stub.reply(
        chatErrorReply(
          400,
          "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
          { param: 'response_format' },
        ),
      );
      const { provider } = await start();
      await expect(
        failure(ask(provider, 'gpt-3.5-turbo')),
      ).resolves.toMatchObject({
        kind: 'unknown_model',
        message: expect.stringContaining(
          'model "gpt-3.5-turbo" does not support Structured Outputs',
        ) as string,
      });
    });

    it('releases a request the provider refuses as built (ours to fix), logged as an error', async () => {
      stub.reply(
        chatErrorReply(400, "Unrecognized request argument supplied: 'foo'"),
      );
      const { provider, logs } = await start();
      const error = await failure(ask(provider));
      expect(error).toMatchObject({ kind: 'unavailable', transient: true });
      expect(error.message).toBe(
        "the chat provider refused the request as this service builds it (400), a setting or a defect of ours: Unrecognized request argument supplied: 'foo'",
      );
      expect(stub.requests).toHaveLength(1);
      expect(logged(logs, 'error').join('\n')).toContain(
        `${error.message}; the task is released`,
      );
    });

    it('never fails a task when our key is refused: released, not ready, no key quoted, until a call succeeds', async () => {
      const refused = chatErrorReply(
        401,
        `Incorrect API key provided: ${API_KEY}.`,
        { code: 'invalid_api_key' },
      );
      stub.reply(refused, refused);
      const { provider, chatReadiness, logs } = await start();
      const reason =
        'the chat provider refused our API key (401); check OPENAI_API_KEY';
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(failure(ask(provider))).resolves.toMatchObject({
          kind: 'key_refused',
          transient: true,
          message: reason,
        });
      }
      expect(stub.requests).toHaveLength(2);
      await expect(chatReadiness()).resolves.toBe(reason);
      expect(logged(logs, 'error')).toEqual([
        expect.stringContaining(
          `${reason}. No chat answer can be had: tasks are released, not failed, until the key is accepted.`,
        ),
      ]);

      await expect(ask(provider)).resolves.toMatchObject({ value: ANSWER });
      await expect(chatReadiness()).resolves.toBe('ready');
      expect(logged(logs, 'log').join('\n')).toContain(
        'the chat provider accepts our API key again',
      );
      expect(await requests('401')).toBe(2);
      expect(logs.lines.join('\n')).not.toContain(API_KEY);
    });

    it('releases on a 403 too', async () => {
      stub.reply(chatErrorReply(403, 'You are not allowed to use this model.'));
      const { provider, chatReadiness } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'key_refused',
      });
      await expect(chatReadiness()).resolves.not.toBe('ready');
    });

    it.each([
      ['retry-after-ms', '100', 100],
      ['retry-after', '0.1', 100],
    ])(
      'retries a 429 after the pause %s asks for, then succeeds: one retry layer',
      async (header, value, pause) => {
        stub.reply(
          chatErrorReply(429, 'Rate limit reached for requests', {
            headers: { [header]: value },
          }),
        );
        const { provider, logs } = await start();
        await expect(ask(provider)).resolves.toMatchObject({ value: ANSWER });
        expect(stub.requests).toHaveLength(2);
        const [limited, retried] = stub.requests;
        expect(retried.receivedAt - limited.receivedAt).toBeGreaterThanOrEqual(
          pause - 10,
        );
        expect(logged(logs, 'warn').join('\n')).toContain(
          `chat request failed (the chat provider is rate limiting us (429): Rate limit reached for requests); retry 1 of 2 in ${pause} ms`,
        );
        expect([await requests('429'), await requests('success')]).toEqual([
          1, 1,
        ]);
      },
    );

    it('gives up at once when retry-after is longer than the longest pause', async () => {
      stub.reply(
        chatErrorReply(429, 'Rate limit reached for requests', {
          headers: { 'retry-after': '30' },
        }),
      );
      const { provider } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        message:
          'the chat provider is rate limiting us (429): Rate limit reached for requests',
      });
      expect(stub.requests).toHaveLength(1);
    });

    it('fails unavailable when 500s outlast the retry budget', async () => {
      stub.reply(
        ...Array(3).fill(chatErrorReply(500, 'The server had an error')),
      );
      const { provider, chatReadiness } = await start();
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        transient: true,
        message: 'the chat provider answered 500: The server had an error',
      });
      expect(stub.requests).toHaveLength(3);
      expect(await requests('500')).toBe(3);
      await expect(chatReadiness()).resolves.toBe('ready');
    });

    it('opens the chat breaker after repeated failures: calls fail fast and readiness fails', async () => {
      stub.reply(...Array(2).fill(chatErrorReply(503, 'Service Unavailable')));
      const { provider, chatReadiness } = await start({
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '2',
      });
      await failure(ask(provider));
      await failure(ask(provider));
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        message: 'the chat circuit breaker is open after repeated failures',
      });
      expect(stub.requests).toHaveLength(2);
      await expect(chatReadiness()).resolves.toBe(
        'the chat circuit breaker is open',
      );
      expect(await metricValue(METRIC.breakerState, { service: 'chat' })).toBe(
        1,
      );
    });

    it('fails unavailable when the request times out', async () => {
      stub.reply({ status: 200, hang: true });
      const { provider } = await start(
        { MAX_RETRIES: '0' },
        {
          clientFactory: (options) => new OpenAI({ ...options, timeout: 100 }),
        },
      );
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        message: expect.stringContaining('timed out') as string,
      });
      expect(await requests('timeout')).toBe(1);
    });

    it('fails unavailable when the provider cannot be reached, after retrying', async () => {
      const gone = await ChatStub.start();
      const baseUrl = gone.baseUrl;
      await gone.close();
      const { provider } = await start({
        OPENAI_BASE_URL: baseUrl,
        MAX_RETRIES: '1',
      });
      await expect(failure(ask(provider))).resolves.toMatchObject({
        kind: 'unavailable',
        message: 'cannot reach the chat provider (ECONNREFUSED)',
      });
      expect(await requests('connection_error')).toBe(2);
    });
  });
});
