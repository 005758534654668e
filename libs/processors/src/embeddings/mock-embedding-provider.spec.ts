import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { register } from 'prom-client';
import { METRIC } from '@app/observability';
import { metricValue } from '../../../../test/support/metrics.js';
import { OpenAiStub } from '../../../../test/support/openai-stub.js';
import { FAILURE_CODE } from '../failure-codes.js';
import { logged, startProcessors } from '../testing/index.js';
import { EmbeddingProvider } from './embedding-provider.js';
import { mockVector } from './mock-embedding-provider.js';

/** The values a label takes across a metric's samples. */
async function labelValues(name: string, label: string): Promise<Set<string>> {
  const { values } = await register.getSingleMetric(name)!.get();
  return new Set(values.map((value) => String(value.labels[label])));
}

const norm = (vector: ArrayLike<number>) =>
  Math.sqrt(Array.from(vector).reduce((sum, value) => sum + value * value, 0));

describe('mock embeddings', () => {
  it('answers the same unit vector for the same (text, model, dimensions)', () => {
    const once = mockVector('Text to embed', 'text-embedding-3-small', 1536);
    expect(mockVector('Text to embed', 'text-embedding-3-small', 1536)).toEqual(
      once,
    );
    expect(norm(once)).toBeCloseTo(1, 6);
    expect(
      mockVector('Text to embed.', 'text-embedding-3-small', 1536),
    ).not.toEqual(once);
    expect(
      mockVector('Text to embed', 'text-embedding-3-large', 1536),
    ).not.toEqual(once);
  });

  it('shortens vectors as OpenAI does: the renormalised prefix', () => {
    const full = mockVector('abc', 'text-embedding-3-large', 3072);
    const short = mockVector('abc', 'text-embedding-3-large', 256);
    const prefixNorm = norm(full.slice(0, 256));
    short.forEach((value, i) =>
      expect(value).toBeCloseTo(full[i]! / prefixNorm, 7),
    );
  });

  it.each([
    [{ model: 'text-embedding-3-small' }, 1536],
    [{ model: 'text-embedding-ada-002' }, 1536],
    [{ model: 'text-embedding-3-large' }, 3072],
    [{ model: 'text-embedding-3-large', dimensions: 1024 }, 1024],
    [{ model: 'text-embedding-3-small', dimensions: 8 }, 8],
    [{}, 1536],
  ])('answers %o with %i unit-length dimensions', async (content, size) => {
    const { app, process } = await startProcessors();
    const first = await process({ text: 'Text to embed', ...content });
    const again = await process({ text: 'Text to embed', ...content });
    if (first.kind !== 'succeeded' || !(first.result instanceof Float32Array))
      throw new Error(JSON.stringify(first));
    expect(first.result).toHaveLength(size);
    expect(norm(first.result)).toBeCloseTo(1, 6);
    expect(again).toEqual(first);
    await app.close();
  });

  it('answers 1536 dimensions for a model it does not know, and says so once', async () => {
    const { app, process, logs } = await startProcessors();
    for (const text of ['a', 'b']) {
      const result = await process({ text, model: 'nomic-embed-text' });
      expect(result).toMatchObject({ kind: 'succeeded' });
      if (result.kind === 'succeeded') expect(result.result).toHaveLength(1536);
    }
    const warnings = logged(logs, 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'mock embeddings: unknown model "nomic-embed-text", answering 1536 dimensions',
    );
    await app.close();
  });

  it("answers at most 3072 dimensions, the largest real model's: above, the task fails unsupported_dimensions", async () => {
    const { app, process } = await startProcessors();
    const largest = await process({
      text: 'a',
      model: 'nomic-embed-text',
      dimensions: 3072,
    });
    expect(largest.kind === 'succeeded' && largest.result).toHaveLength(3072);
    await expect(
      process({ text: 'a', model: 'nomic-embed-text', dimensions: 3073 }),
    ).resolves.toEqual({
      kind: 'failed',
      code: FAILURE_CODE.unsupportedDimensions,
      message:
        'mock embeddings answer at most 3072 dimensions, the most of any real embedding model (got 3073)',
    });
    // Far above: refused before a single number is computed.
    await expect(
      process({ text: 'a', model: 'nomic-embed-text', dimensions: 2 ** 30 }),
    ).resolves.toMatchObject({ code: FAILURE_CODE.unsupportedDimensions });
    await app.close();
  });

  it('remembers a bounded number of unknown models: 1,000 invented ones cost a bounded warning count and no new series', async () => {
    const { app, process, logs } = await startProcessors({
      env: { EMBEDDING_BATCH_WAIT_MS: '0' },
    });
    await process({ text: 'a', model: 'text-embedding-3-large' });
    await Promise.all(
      Array.from({ length: 1_000 }, (_, model) =>
        process({ text: 'a', model: `invented-${model}` }),
      ),
    );
    for (const name of [
      METRIC.openaiRequests,
      METRIC.openaiTokens,
      METRIC.openaiBatchSize,
    ])
      expect(await labelValues(name, 'model'), name).toEqual(
        new Set(['text-embedding-3-large', 'other']),
      );
    const warnings = logged(logs, 'warn');
    expect(warnings.length).toBeLessThanOrEqual(101);
    expect(warnings.at(-1)).toContain(
      'mock embeddings: more than 100 unknown models; the others are not named',
    );
    await app.close();
  });

  it('reports token usage counted by the real tokenizer, without tokenizing again', async () => {
    const { app, process } = await startProcessors();
    const text = 'The quick brown fox jumps over the lazy dog';
    const result = await process({ text, model: 'text-embedding-3-small' });
    const tokens = countTokens(text);
    expect(result).toMatchObject({
      kind: 'succeeded',
      usage: { promptTokens: tokens, totalTokens: tokens },
    });
    // The provider itself reports none: the batcher's counts are used.
    const { usage } = await app.get(EmbeddingProvider).embed({
      model: 'text-embedding-3-small',
      inputs: [text],
      tokens,
    });
    expect(usage).toBeUndefined();
    await app.close();
  });

  describe('with a usable key and EMBEDDING_PROVIDER=mock', () => {
    let stub: OpenAiStub;
    beforeEach(async () => (stub = await OpenAiStub.start()));
    afterEach(() => stub.close());

    it('makes no network call, and counts its work in the openai metrics', async () => {
      const fetchSpy = vi.spyOn(globalThis, 'fetch');
      const { app, process, logs, embeddingsReadiness } = await startProcessors(
        {
          env: {
            EMBEDDING_PROVIDER: 'mock',
            OPENAI_API_KEY: 'sk-a-real-looking-key',
            OPENAI_BASE_URL: stub.baseUrl,
          },
        },
      );
      const results = await Promise.all(
        ['one', 'two', 'three'].map((text) => process(text)),
      );
      expect(results.map((result) => result.kind)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      expect(stub.requests).toHaveLength(0);
      expect(fetchSpy).not.toHaveBeenCalled();
      expect(logged(logs, 'log').join('\n')).toContain(
        'mock embeddings: EMBEDDING_PROVIDER is mock',
      );
      await expect(embeddingsReadiness()).resolves.toBe('ready');
      expect(
        await metricValue(METRIC.openaiRequests, {
          model: 'text-embedding-3-small',
          status: 'success',
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        await metricValue(METRIC.openaiTokens, {
          model: 'text-embedding-3-small',
          type: 'prompt_tokens',
        }),
      ).toBe(3);
      await app.close();
      fetchSpy.mockRestore();
    });
  });

  it('says why it is active at start-up', async () => {
    const { app, logs } = await startProcessors({
      env: { OPENAI_API_KEY: 'your_openai_api_key_here' },
    });
    expect(logged(logs, 'log').join('\n')).toContain(
      'mock embeddings: OPENAI_API_KEY is the placeholder',
    );
    await app.close();
  });
});
