import OpenAI, { type ClientOptions } from 'openai';
import { METRIC } from '@app/observability';
import { metricValue } from '../../../../test/support/metrics.js';
import {
  OpenAiStub,
  errorReply,
  stubVector,
  type OpenAiStubOptions,
} from '../../../../test/support/openai-stub.js';
import { FAILURE_CODE } from '../failure-codes.js';
import {
  logged,
  startProcessors,
  type ProcessorsTestOptions,
} from '../processors.testing.js';
import { retryAfterMs } from './openai-errors.js';

const API_KEY = 'sk-test-key-0123456789';
const MODEL = 'text-embedding-3-small';

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
        MAX_RETRIES: '2',
        ...env,
      },
    });
    closeApp = () => context.app.close();
    return context;
  }

  const withStub = (options: OpenAiStubOptions = {}) =>
    beforeEach(async () => (stub = await OpenAiStub.start(options)));

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
        status: 'succeeded',
        result: stubVector('hello', 8),
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
        results.map((result) => result.status === 'failed' && result.code),
      ).toEqual([
        FAILURE_CODE.invalidContent,
        FAILURE_CODE.unsupportedDimensions,
        FAILURE_CODE.textTooLong,
      ]);
      expect(stub.requests).toHaveLength(0);
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

    it('sends tasks in flight together and isolates an input the provider rejects', async () => {
      stub.rejectInputs((input) => input === 'forbidden');
      const { process } = await start({ EMBEDDING_BATCH_WAIT_MS: '50' });
      const texts = ['alpha', 'beta', 'forbidden', 'gamma', 'delta'];
      const results = await Promise.all(texts.map((text) => process(text)));
      results.forEach((result, i) => {
        if (texts[i] === 'forbidden') {
          expect(result).toMatchObject({
            status: 'failed',
            code: FAILURE_CODE.providerRejectedInput,
            message:
              "the embedding provider rejected the input (400): '$.input' is invalid. Please check the API reference.",
          });
        } else {
          expect(result).toMatchObject({ result: stubVector(texts[i], 8) });
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
      expect(first).toMatchObject({ result: stubVector('one', 8) });
      expect(second).toMatchObject({ result: stubVector('two', 8) });
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
        status: 'succeeded',
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
        status: 'transient',
        reason:
          'the embedding provider is rate limiting us (429): Rate limit reached for requests',
      });
      expect(stub.requests).toHaveLength(1);
    });

    it('answers transient when 500s outlast the retry budget', async () => {
      stub.reply(...Array(3).fill(errorReply(500, 'The server had an error')));
      const { process, embeddingsReadiness } = await start();
      await expect(process('hello')).resolves.toEqual({
        status: 'transient',
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
        status: 'failed',
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
        status: 'failed',
        code: FAILURE_CODE.unknownModel,
        message:
          'the embedding provider does not have model "text-embedding-4": The model `text-embedding-4` does not exist.',
      });
    });

    it('releases on a 404 that names no model: a wrong OPENAI_BASE_URL is ours', async () => {
      stub.reply(errorReply(404, 'Unknown request URL: POST /embeddings.'));
      const { process } = await start();
      await expect(process('hello')).resolves.toMatchObject({
        status: 'transient',
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
        status: 'transient',
        reason,
      });
      await expect(process('two')).resolves.toEqual({
        status: 'transient',
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
        status: 'succeeded',
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
        status: 'transient',
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
        status: 'transient',
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
        status: 'transient',
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
        status: 'transient',
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

describe('retryAfterMs', () => {
  const headers = (init: Record<string, string>) => new Headers(init);

  it('prefers retry-after-ms, then reads seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(
      retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' })),
    ).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(
      retryAfterMs(
        headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }),
        now,
      ),
    ).toBe(5_000);
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });
});
