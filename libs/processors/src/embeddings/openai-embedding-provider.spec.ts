import OpenAI, { type ClientOptions } from 'openai';
import { register } from 'prom-client';
import { METRIC } from '@app/observability';
import { metricValue } from '../../../../test/support/metrics.js';
import {
  OpenAiStub,
  errorReply,
  stubVector,
  type OpenAiStubOptions,
  type ScriptedReply,
} from '../../../../test/support/openai-stub.js';
import { FAILURE_CODE } from '../failure-codes.js';
import {
  logged,
  startProcessors,
  type ProcessorsTestOptions,
} from '../testing/index.js';

const API_KEY = 'sk-test-key-0123456789';
const MODEL = 'text-embedding-3-small';
/** The length of text-embedding-3-small's vectors: what the stub answers here. */
const SIZE = 1_536;

/** A 200 answer of the embeddings endpoint with these `data` entries. */
const answer = (data: unknown, usage?: unknown): ScriptedReply => ({
  status: 200,
  body: { object: 'list', model: MODEL, data, usage },
});

/** A `data` entry: the vector as a number array. */
const entry = (index: unknown, values: number[]) => ({
  object: 'embedding',
  index,
  embedding: values,
});

describe('OpenAI embeddings through the SDK', () => {
  let stub: OpenAiStub;
  let closeApp: (() => Promise<void>) | undefined;

  async function start(
    env: Record<string, string> = {},
    options: Omit<ProcessorsTestOptions, 'env'> = {},
  ) {
    const context = await startProcessors({
      ...options,
      env: {
        OPENAI_API_KEY: API_KEY,
        OPENAI_BASE_URL: stub.baseUrl,
        WIKIDATA_USER_AGENT:
          'ai-task-processor-tests/1.0 (https://example.org)',
        MAX_RETRIES: '2',
        ...env,
      },
    });
    closeApp = () => context.app.close();
    return context;
  }

  // Vectors of the model's real length: the provider checks every answer.
  const withStub = (options: OpenAiStubOptions = {}) =>
    beforeEach(
      async () =>
        (stub = await OpenAiStub.start({ dimensions: SIZE, ...options })),
    );

  afterEach(async () => {
    await closeApp?.();
    closeApp = undefined;
    await stub.close();
  });

  const requests = (status: string) =>
    metricValue(METRIC.openaiRequests, { model: MODEL, status });

  describe('answers', () => {
    withStub();

    it('reads base64 answers, which the SDK asks for', async () => {
      const { process, logs } = await start();
      await expect(process({ text: 'hello', model: MODEL })).resolves.toEqual({
        kind: 'succeeded',
        result: stubVector('hello', SIZE),
        usage: { promptTokens: 1, totalTokens: 1 },
      });
      const [request] = stub.requests;
      expect(request.path).toBe('/v1/embeddings');
      expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.body).toEqual({
        model: MODEL,
        input: ['hello'],
        encoding_format: 'base64',
      });
      expect(logged(logs, 'log').join('\n')).toContain(
        `openai embeddings at ${stub.baseUrl}: OPENAI_API_KEY is set`,
      );
      expect(await requests('success')).toBe(1);
    });

    it('passes dimensions when the task gives them', async () => {
      const { process } = await start();
      const result = await process({
        text: 'hello',
        model: 'text-embedding-3-large',
        dimensions: 16,
      });
      expect(result).toMatchObject({ result: stubVector('hello', 16) });
      expect(stub.requests[0].body?.dimensions).toBe(16);
    });

    it('rejects nothing itself that only the server can judge', async () => {
      const { process } = await start();
      await expect(
        process({ text: 'hi', model: 'nomic-embed-text', dimensions: 4 }),
      ).resolves.toMatchObject({ result: stubVector('hi', 4) });
    });

    it('validates every task before any call', async () => {
      const { process } = await start();
      const results = await Promise.all([
        process({ text: '   ' }),
        process({ text: 'x', model: 'text-embedding-ada-002', dimensions: 8 }),
        process('a' + ' a'.repeat(8_192)),
      ]);
      expect(
        results.map((result) => result.kind === 'failed' && result.code),
      ).toEqual([
        FAILURE_CODE.invalidContent,
        FAILURE_CODE.unsupportedDimensions,
        FAILURE_CODE.textTooLong,
      ]);
      expect(stub.requests).toHaveLength(0);
    });

    it('labels every model it does not know `other`: task-chosen names add no series', async () => {
      const { process } = await start({ EMBEDDING_BATCH_WAIT_MS: '0' });
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          process({ text: 'hi', model: `invented-${index}` }),
        ),
      );
      await process({ text: 'hi', model: MODEL });
      const { values } = await register
        .getSingleMetric(METRIC.openaiRequests)!
        .get();
      expect(values.map(({ labels }) => labels)).toEqual([
        { model: 'other', status: 'success' },
        { model: MODEL, status: 'success' },
      ]);
      expect(stub.requests.map(({ body }) => body?.model)).toContain(
        'invented-7',
      );
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
      const options = {
        apiKey: API_KEY,
        baseURL: stub.baseUrl,
        timeout: 7_000,
        maxRetries: 0,
      };
      // The embeddings client, and the chat client of the verification types.
      expect(seen).toEqual([options, options]);
    });

    it('sends tasks in flight together and isolates an input the provider rejects', async () => {
      stub.rejectInputs((input) => input === 'forbidden');
      const { process } = await start({ EMBEDDING_BATCH_WAIT_MS: '50' });
      const texts = ['alpha', 'beta', 'forbidden', 'gamma', 'delta'];
      const results = await Promise.all(texts.map((text) => process(text)));
      results.forEach((result, i) => {
        if (texts[i] === 'forbidden') {
          expect(result).toMatchObject({
            kind: 'failed',
            code: FAILURE_CODE.providerRejectedInput,
            message:
              "the embedding provider rejected the input (400): '$.input' is invalid. Please check the API reference.",
          });
        } else {
          expect(result).toMatchObject({ result: stubVector(texts[i], SIZE) });
        }
      });
      expect(stub.batches[0]).toEqual(texts);
      expect(stub.batches.at(-1)).toEqual(['forbidden']);
      expect(stub.requests.length).toBeLessThanOrEqual(2 * texts.length - 1);
    });
  });

  describe('float answers', () => {
    withStub({ encoding: 'float', reversed: true });

    it('reads number arrays from servers that ignore encoding_format, in index order', async () => {
      const { process } = await start({ EMBEDDING_BATCH_WAIT_MS: '50' });
      const [first, second] = await Promise.all([
        process('one'),
        process('two'),
      ]);
      expect(stub.requests).toHaveLength(1);
      expect(first).toMatchObject({ result: stubVector('one', SIZE) });
      expect(second).toMatchObject({ result: stubVector('two', SIZE) });
    });
  });

  describe('answers that break the contract', () => {
    withStub();

    /** Two tasks in one request, answered with `reply`. */
    async function twoTasksAnswered(
      reply: ScriptedReply,
      content: { model?: string; dimensions?: number } = {},
    ) {
      stub.reply(reply);
      const context = await start({ EMBEDDING_BATCH_WAIT_MS: '50' });
      const results = await Promise.all(
        ['one', 'two'].map((text) => context.process({ text, ...content })),
      );
      expect(stub.batches).toEqual([['one', 'two']]);
      return { ...context, results };
    }

    const vector = (size: number) => Array.from({ length: size }, () => 0.5);

    it.each([
      [
        'a 3-number vector for text-embedding-3-small',
        answer([entry(0, vector(3)), entry(1, vector(3))]),
        'vector 0 has 3 values; text-embedding-3-small answers 1536',
      ],
      [
        'a vector one number short',
        answer([entry(0, vector(SIZE)), entry(1, vector(SIZE - 1))]),
        'vector 1 has 1535 values; text-embedding-3-small answers 1536',
      ],
      [
        'too few vectors',
        answer([entry(0, vector(SIZE))]),
        '1 vector for 2 inputs',
      ],
      [
        'too many vectors',
        answer([0, 1, 2].map((index) => entry(index, vector(SIZE)))),
        '3 vectors for 2 inputs',
      ],
      [
        'a duplicate index',
        answer([entry(0, vector(SIZE)), entry(0, vector(SIZE))]),
        'index 0 appears twice',
      ],
      [
        'a missing index (0 and 2 for two inputs)',
        answer([entry(0, vector(SIZE)), entry(2, vector(SIZE))]),
        'index 2 is not one of 0 to 1',
      ],
      [
        'an index that is not a whole number',
        answer([entry(0, vector(SIZE)), entry('1', vector(SIZE))]),
        'entry 1 has no whole-number index',
      ],
      [
        'a value beyond float32',
        answer([entry(0, vector(SIZE)), entry(1, [1e39, ...vector(SIZE - 1)])]),
        'vector 1 is not a non-empty list of finite float32 numbers',
      ],
      [
        'no data list',
        answer({ embedding: vector(SIZE) }),
        'the answer has no data list',
      ],
      [
        'a JSON string instead of an object',
        { status: 200, body: 'embeddings' },
        'the answer has no data list',
      ],
    ])(
      'releases the tasks of %s, counts invalid_answer and logs it',
      async (_, reply, detail) => {
        const { results, logs, embeddingsReadiness } =
          await twoTasksAnswered(reply);
        const reason = `the embedding provider answered an invalid embeddings answer: ${detail}`;
        expect(results).toEqual([
          { kind: 'transient', reason },
          { kind: 'transient', reason },
        ]);
        // Not retried: the same request would be paid for again, and the
        // tasks come back at a later poll anyway.
        expect(stub.requests).toHaveLength(1);
        expect([
          await requests('invalid_answer'),
          await requests('success'),
        ]).toEqual([1, 0]);
        expect(logged(logs, 'warn')).toContainEqual(
          expect.stringContaining(`${reason}; 2 task(s) released`),
        );
        await expect(embeddingsReadiness()).resolves.toBe('ready');
      },
    );

    it('releases a task whose answers are not JSON, however often (never processor_error)', async () => {
      const { process } = await start(
        {},
        {
          // The stub always sends JSON: a cut-off body comes from a fetch of our own.
          clientFactory: (options) =>
            new OpenAI({
              ...options,
              fetch: () =>
                Promise.resolve(
                  new Response('{"object":"list","data":[{"ind', {
                    status: 200,
                    headers: { 'content-type': 'application/json' },
                  }),
                ),
            }),
        },
      );
      for (let attempt = 1; attempt <= 4; attempt++) {
        await expect(
          process('hello', 'text_embedding', 'task-cut-off'),
        ).resolves.toEqual({
          kind: 'transient',
          reason:
            'the embedding provider answered an invalid embeddings answer: the body is not JSON',
        });
      }
      expect(await requests('invalid_answer')).toBe(4);
    });

    it('checks answers for models it does not know for consistency', async () => {
      const unequal = await twoTasksAnswered(
        answer([entry(0, vector(8)), entry(1, vector(9))]),
        { model: 'nomic-embed-text' },
      );
      expect(unequal.results).toEqual([
        {
          kind: 'transient',
          reason:
            'the embedding provider answered an invalid embeddings answer: vector 1 has 9 values; vector 0 has 8',
        },
        expect.objectContaining({ kind: 'transient' }),
      ]);
    });

    it('checks the dimensions a task asks of a model it does not know', async () => {
      const { results } = await twoTasksAnswered(
        answer([entry(0, vector(5)), entry(1, vector(5))]),
        { model: 'nomic-embed-text', dimensions: 4 },
      );
      expect(results[0]).toEqual({
        kind: 'transient',
        reason:
          'the embedding provider answered an invalid embeddings answer: vector 0 has 5 values; 4 dimensions were asked for',
      });
    });

    it('opens the breaker when the provider keeps answering invalid embeddings', async () => {
      const short = answer([entry(0, vector(3))]);
      stub.reply(short, short);
      const { process, embeddingsReadiness } = await start({
        CIRCUIT_BREAKER_THRESHOLD: '2',
      });
      await process('one');
      await process('two');
      await expect(embeddingsReadiness()).resolves.toBe(
        'the openai circuit breaker is open',
      );
    });

    it('ignores a usage that is not whole non-negative numbers, counting tokens itself', async () => {
      stub.reply(
        answer([entry(0, vector(SIZE))], {
          prompt_tokens: -5,
          total_tokens: 'many',
        }),
      );
      const { process } = await start();
      await expect(process('hello')).resolves.toMatchObject({
        kind: 'succeeded',
        usage: { promptTokens: 1, totalTokens: 1 },
      });
      expect(
        await metricValue(METRIC.openaiTokens, {
          model: MODEL,
          type: 'prompt_tokens',
        }),
      ).toBe(1);
    });
  });

  describe('failures', () => {
    withStub();

    it('retries a 429 after the pause retry-after-ms asks for, then succeeds', async () => {
      stub.reply(
        errorReply(429, 'Rate limit reached for requests', {
          headers: { 'retry-after-ms': '150' },
        }),
      );
      const { process, logs } = await start();
      await expect(process('hello')).resolves.toMatchObject({
        kind: 'succeeded',
      });
      const [limited, retried] = stub.requests;
      expect(retried.receivedAt - limited.receivedAt).toBeGreaterThanOrEqual(
        140,
      );
      expect(logged(logs, 'warn').join('\n')).toContain(
        'retry 1 of 2 in 150 ms',
      );
      expect([await requests('429'), await requests('success')]).toEqual([
        1, 1,
      ]);
    });

    it('gives up at once when retry-after is longer than the longest pause (transient)', async () => {
      stub.reply(
        errorReply(429, 'Rate limit reached for requests', {
          headers: { 'retry-after': '30' },
        }),
      );
      const { process } = await start();
      await expect(process('hello')).resolves.toEqual({
        kind: 'transient',
        reason:
          'the embedding provider is rate limiting us (429): Rate limit reached for requests',
      });
      expect(stub.requests).toHaveLength(1);
    });

    it('answers transient when 500s outlast the retry budget', async () => {
      stub.reply(...Array(3).fill(errorReply(500, 'The server had an error')));
      const { process, embeddingsReadiness } = await start();
      await expect(process('hello')).resolves.toEqual({
        kind: 'transient',
        reason: 'the embedding provider answered 500: The server had an error',
      });
      expect(stub.requests).toHaveLength(3);
      expect(await requests('500')).toBe(3);
      await expect(embeddingsReadiness()).resolves.toBe('ready');
    });

    it('fails the task on a 400 without retrying (provider_rejected_input)', async () => {
      stub.reply(errorReply(400, "'$.input' is invalid."));
      const { process } = await start();
      await expect(process('hello')).resolves.toEqual({
        kind: 'failed',
        code: FAILURE_CODE.providerRejectedInput,
        message:
          "the embedding provider rejected the input (400): '$.input' is invalid.",
      });
      expect(stub.requests).toHaveLength(1);
    });

    it('fails the task when the provider does not have its model (unknown_model)', async () => {
      stub.reply(
        errorReply(404, 'The model `text-embedding-4` does not exist.', {
          code: 'model_not_found',
        }),
      );
      const { process } = await start();
      await expect(
        process({ text: 'hello', model: 'text-embedding-4' }),
      ).resolves.toEqual({
        kind: 'failed',
        code: FAILURE_CODE.unknownModel,
        message:
          'the embedding provider does not have model "text-embedding-4": The model `text-embedding-4` does not exist.',
      });
    });

    it('releases on a 404 that names no model: a wrong OPENAI_BASE_URL is ours', async () => {
      stub.reply(errorReply(404, 'Unknown request URL: POST /embeddings.'));
      const { process } = await start();
      await expect(process('hello')).resolves.toMatchObject({
        kind: 'transient',
      });
    });

    it('never fails a task when our key is refused: transient, not ready, logged once', async () => {
      const refused = errorReply(
        401,
        `Incorrect API key provided: ${API_KEY}.`,
        {
          code: 'invalid_api_key',
        },
      );
      stub.reply(refused, refused);
      const { process, embeddingsReadiness, logs } = await start();
      const reason =
        'the embedding provider refused our API key (401); check OPENAI_API_KEY';
      await expect(process('one')).resolves.toEqual({
        kind: 'transient',
        reason,
      });
      await expect(process('two')).resolves.toEqual({
        kind: 'transient',
        reason,
      });
      expect(stub.requests).toHaveLength(2);
      await expect(embeddingsReadiness()).resolves.toBe(reason);
      const errors = logged(logs, 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        `${reason}. No embedding can be computed: tasks are released, not failed, until the key is accepted.`,
      );

      await expect(process('three')).resolves.toMatchObject({
        kind: 'succeeded',
      });
      await expect(embeddingsReadiness()).resolves.toBe('ready');
      expect(logged(logs, 'log').join('\n')).toContain(
        'the embedding provider accepts our API key again',
      );
      expect(await requests('401')).toBe(2);
      expect(logs.lines.join('\n')).not.toContain(API_KEY);
    });

    it('releases on a 403 too: the key lacks access, not the task', async () => {
      stub.reply(errorReply(403, 'You are not allowed to use this model.'));
      const { process, embeddingsReadiness } = await start();
      await expect(process('hello')).resolves.toEqual({
        kind: 'transient',
        reason:
          'the embedding provider refused our API key (403); check OPENAI_API_KEY',
      });
      await expect(embeddingsReadiness()).resolves.not.toBe('ready');
    });

    it('answers transient when the request times out', async () => {
      stub.reply({ status: 200, hang: true });
      const { process } = await start(
        { MAX_RETRIES: '0' },
        {
          clientFactory: (options) => new OpenAI({ ...options, timeout: 100 }),
        },
      );
      await expect(process('hello')).resolves.toMatchObject({
        kind: 'transient',
        reason: expect.stringContaining('timed out') as string,
      });
      expect(await requests('timeout')).toBe(1);
    });

    it('answers transient when the provider cannot be reached', async () => {
      const gone = await OpenAiStub.start();
      const baseUrl = gone.baseUrl;
      await gone.close();
      const { process } = await start({
        OPENAI_BASE_URL: baseUrl,
        MAX_RETRIES: '1',
      });
      await expect(process('hello')).resolves.toEqual({
        kind: 'transient',
        reason: 'cannot reach the embedding provider (ECONNREFUSED)',
      });
      expect(await requests('connection_error')).toBe(2);
    });

    it('opens the breaker after repeated failures: calls fail fast and readiness fails', async () => {
      stub.reply(...Array(2).fill(errorReply(503, 'Service Unavailable')));
      const { process, embeddingsReadiness } = await start({
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '2',
      });
      await process('one');
      await process('two');
      await expect(process('three')).resolves.toEqual({
        kind: 'transient',
        reason: 'the openai circuit breaker is open after repeated failures',
      });
      expect(stub.requests).toHaveLength(2);
      await expect(embeddingsReadiness()).resolves.toBe(
        'the openai circuit breaker is open',
      );
      expect(
        await metricValue(METRIC.breakerState, { service: 'openai' }),
      ).toBe(1);
    });
  });
});
