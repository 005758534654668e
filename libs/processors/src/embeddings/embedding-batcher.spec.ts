import { Counter, Histogram } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { BASE_ENV } from '../testing/index.js';
import { BatchTimer } from './batch-timer.js';
import {
  EmbeddingBatcher,
  type BatchKey,
  type EmbeddingOutcome,
} from './embedding-batcher.js';
import {
  EmbeddingProvider,
  EmbeddingProviderError,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from './embedding-provider.js';

/** The batcher's clock, moved by the test. */
class ManualTimer extends BatchTimer {
  readonly waits: { delayMs: number; fire: () => void; cancelled: boolean }[] =
    [];

  schedule(delayMs: number, fire: () => void): () => void {
    const wait = { delayMs, fire, cancelled: false };
    this.waits.push(wait);
    return () => (wait.cancelled = true);
  }

  get running(): number {
    return this.waits.filter((wait) => !wait.cancelled).length;
  }

  /** Every wait still running ends now. */
  elapse(): void {
    for (const wait of this.waits.splice(0)) {
      if (!wait.cancelled) wait.fire();
    }
  }
}

interface Call {
  request: EmbeddingRequest;
  answer: () => void;
}

/**
 * Answers each request with one-number vectors (the input's length), after
 * `answer()` when `held`, and refuses requests with an input it rejects.
 */
class ScriptedProvider extends EmbeddingProvider {
  readonly description = 'scripted';
  readonly calls: Call[] = [];
  held = false;
  inFlight = 0;
  maxInFlight = 0;
  usage?: (request: EmbeddingRequest) => EmbeddingResponse['usage'];
  rejects: (input: string) => boolean = () => false;
  failure?: Error;
  /** Vectors left out of each answer: a provider defect. */
  missingVectors = 0;

  embed(request: EmbeddingRequest): Promise<EmbeddingResponse> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<EmbeddingResponse>((resolve, reject) => {
      const answer = () => {
        this.inFlight -= 1;
        if (this.failure) return reject(this.failure);
        if (request.inputs.some(this.rejects)) {
          return reject(
            new EmbeddingProviderError('input_rejected', 'input is invalid'),
          );
        }
        resolve({
          vectors: request.inputs
            .slice(this.missingVectors)
            .map((input) => new Float32Array([input.length])),
          usage: this.usage?.(request),
        });
      };
      this.calls.push({ request, answer });
      if (!this.held) answer();
    });
  }

  assertReady(): void {}

  get batches(): string[][] {
    return this.calls.map(({ request }) => [...request.inputs]);
  }
}

const SMALL: BatchKey = { model: 'text-embedding-3-small' };

function setUp(env: Record<string, string> = {}) {
  const config = ServiceConfig.fromEnvironment({
    ...BASE_ENV,
    CONCURRENCY_LIMIT: '256',
    EMBEDDING_BATCH_WAIT_MS: '25',
    ...env,
  });
  const timer = new ManualTimer();
  const provider = new ScriptedProvider();
  const batchSizes = new Histogram({
    name: 'batch_size',
    help: 'test',
    labelNames: ['model'],
    registers: [],
  });
  const tokensUsed = new Counter({
    name: 'tokens',
    help: 'test',
    labelNames: ['model', 'type'],
    registers: [],
  });
  const batcher = new EmbeddingBatcher(
    config,
    provider,
    timer,
    batchSizes,
    tokensUsed,
  );
  const embed = (text: string, key: BatchKey = SMALL, tokens = 1) =>
    batcher.embed(key, { text, tokens });
  return { batcher, timer, provider, embed, batchSizes, tokensUsed };
}

const vectorOf = (outcome: EmbeddingOutcome) =>
  outcome.kind === 'embedded' ? Array.from(outcome.vector) : outcome.error;

describe('EmbeddingBatcher', () => {
  it('waits EMBEDDING_BATCH_WAIT_MS after the first input for company, then sends them together', async () => {
    const { timer, provider, embed } = setUp();
    const outcomes = [embed('a'), embed('bb'), embed('ccc')];
    expect(provider.calls).toHaveLength(0);
    expect(timer.waits.map((wait) => wait.delayMs)).toEqual([25]);
    timer.elapse();
    expect(provider.batches).toEqual([['a', 'bb', 'ccc']]);
    expect((await Promise.all(outcomes)).map(vectorOf)).toEqual([
      [1],
      [2],
      [3],
    ]);
  });

  it('groups inputs by (model, dimensions)', async () => {
    const { timer, provider, embed } = setUp();
    const short: BatchKey = {
      model: 'text-embedding-3-small',
      dimensions: 256,
    };
    const large: BatchKey = { model: 'text-embedding-3-large' };
    const outcomes = [
      embed('a'),
      embed('b', short),
      embed('c', large),
      embed('d'),
      embed('e', short),
    ];
    timer.elapse();
    await Promise.all(outcomes);
    expect(provider.calls.map(({ request }) => request)).toEqual([
      {
        model: 'text-embedding-3-small',
        dimensions: undefined,
        inputs: ['a', 'd'],
        tokens: 2,
      },
      {
        model: 'text-embedding-3-small',
        dimensions: 256,
        inputs: ['b', 'e'],
        tokens: 2,
      },
      {
        model: 'text-embedding-3-large',
        dimensions: undefined,
        inputs: ['c'],
        tokens: 1,
      },
    ]);
  });

  it('sends a batch at once when it holds as many inputs as tasks can be in flight', async () => {
    const { timer, provider, embed } = setUp({ CONCURRENCY_LIMIT: '2' });
    const outcomes = [embed('one'), embed('two')];
    // No wait elapsed: two tasks in flight, both here, nobody left to wait for.
    expect(provider.batches).toEqual([['one', 'two']]);
    expect(timer.running).toBe(0);
    await Promise.all(outcomes);
  });

  it('sends a batch as soon as it holds EMBEDDING_BATCH_SIZE inputs', async () => {
    const { timer, provider, embed } = setUp({ EMBEDDING_BATCH_SIZE: '3' });
    const outcomes = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((text) =>
      embed(text),
    );
    expect(provider.batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    expect(timer.running).toBe(1);
    timer.elapse();
    expect(provider.batches.at(-1)).toEqual(['g']);
    await Promise.all(outcomes);
  });

  it('keeps every request within 300,000 tokens', async () => {
    const { timer, provider, embed } = setUp();
    const outcomes = Array.from({ length: 80 }, (_, i) =>
      embed(`text ${i}`, SMALL, 8_000),
    );
    timer.elapse();
    await Promise.all(outcomes);
    expect(provider.batches.map((batch) => batch.length)).toEqual([37, 37, 6]);
  });

  it('keeps at most OPENAI_MAX_CONCURRENT_REQUESTS requests in flight', async () => {
    const { provider, embed } = setUp({
      EMBEDDING_BATCH_SIZE: '2',
      OPENAI_MAX_CONCURRENT_REQUESTS: '2',
    });
    provider.held = true;
    const outcomes = Array.from({ length: 10 }, (_, i) => embed(`t${i}`));
    expect(provider.calls).toHaveLength(2);
    for (let answered = 0; answered < 5; answered++) {
      provider.calls[answered].answer();
      await outcomes[answered * 2];
    }
    await Promise.all(outcomes);
    expect(provider.calls).toHaveLength(5);
    expect(provider.maxInFlight).toBe(2);
  });

  it('lets a batch waiting for a free slot take more inputs', async () => {
    const { timer, provider, embed } = setUp({
      EMBEDDING_BATCH_SIZE: '4',
      OPENAI_MAX_CONCURRENT_REQUESTS: '1',
    });
    provider.held = true;
    const first = ['a', 'b', 'c', 'd'].map((text) => embed(text));
    const late = [embed('e')];
    timer.elapse(); // e's wait is over, but the only slot is busy
    late.push(embed('f'), embed('g'));
    expect(timer.running).toBe(0);
    provider.calls[0].answer();
    await Promise.all(first);
    expect(provider.batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f', 'g'],
    ]);
    provider.calls[1].answer();
    await Promise.all(late);
  });

  it('isolates rejected inputs by bisection: only they fail', async () => {
    const { timer, provider, embed } = setUp();
    provider.rejects = (input) => input.startsWith('bad');
    const texts = ['t0', 't1', 't2', 'bad3', 't4', 't5', 'bad6', 't7'];
    const pending = texts.map((text) => embed(text));
    timer.elapse();
    const outcomes = await Promise.all(pending);
    expect(outcomes.map((outcome) => outcome.kind === 'embedded')).toEqual(
      texts.map((text) => !text.startsWith('bad')),
    );
    const rejected = outcomes.filter((outcome) => outcome.kind === 'error');
    for (const outcome of rejected) {
      expect(outcome.error).toBeInstanceOf(EmbeddingProviderError);
      expect((outcome.error as EmbeddingProviderError).kind).toBe(
        'input_rejected',
      );
    }
    expect(provider.batches).toEqual([
      texts,
      ['t0', 't1', 't2', 'bad3'],
      ['t4', 't5', 'bad6', 't7'],
      ['t0', 't1'],
      ['t2', 'bad3'],
      ['t4', 't5'],
      ['bad6', 't7'],
      ['t2'],
      ['bad3'],
      ['bad6'],
      ['t7'],
    ]);
  });

  it('attributes the reported usage to tasks in proportion to their tokens', async () => {
    const { timer, provider, batcher, tokensUsed } = setUp();
    provider.usage = () => ({ promptTokens: 20, totalTokens: 10 });
    const pending = [1, 3, 6].map((tokens, i) =>
      batcher.embed(SMALL, { text: `t${i}`, tokens }),
    );
    timer.elapse();
    const usages = (await Promise.all(pending)).map((outcome) =>
      outcome.kind === 'embedded' ? outcome.usage : undefined,
    );
    expect(usages).toEqual([
      { promptTokens: 2, totalTokens: 1 },
      { promptTokens: 6, totalTokens: 3 },
      { promptTokens: 12, totalTokens: 6 },
    ]);
    const counted = (await tokensUsed.get()).values.map(({ labels, value }) => [
      labels.type,
      value,
    ]);
    expect(counted).toEqual([
      ['prompt_tokens', 20],
      ['total_tokens', 10],
    ]);
  });

  it('splits usage in whole tokens that add up, and falls back to its own counts', async () => {
    const { timer, provider, batcher } = setUp();
    provider.usage = () => ({ promptTokens: 10, totalTokens: 10 });
    const even = [1, 1, 1].map((tokens, i) =>
      batcher.embed(SMALL, { text: `t${i}`, tokens }),
    );
    timer.elapse();
    const shares = (await Promise.all(even)).map((outcome) =>
      outcome.kind === 'embedded' ? outcome.usage.promptTokens : 0,
    );
    expect(shares).toEqual([4, 3, 3]);

    provider.usage = undefined;
    const unreported = [2, 5].map((tokens, i) =>
      batcher.embed(SMALL, { text: `u${i}`, tokens }),
    );
    timer.elapse();
    expect(
      (await Promise.all(unreported)).map((outcome) =>
        outcome.kind === 'embedded' ? outcome.usage : undefined,
      ),
    ).toEqual([
      { promptTokens: 2, totalTokens: 2 },
      { promptTokens: 5, totalTokens: 5 },
    ]);
  });

  it('gives every task of a failed batch the failure', async () => {
    const { timer, provider, embed } = setUp();
    provider.failure = new EmbeddingProviderError('unavailable', 'down');
    const pending = [embed('a'), embed('b')];
    timer.elapse();
    for (const outcome of await Promise.all(pending)) {
      expect(outcome).toEqual({ kind: 'error', error: provider.failure });
    }
    expect(provider.calls).toHaveLength(1);
  });

  it('never hands a task a missing vector: an answer short of vectors fails the batch, transient', async () => {
    const { timer, provider, embed } = setUp();
    provider.missingVectors = 1;
    const pending = [embed('a'), embed('b')];
    timer.elapse();
    for (const outcome of await Promise.all(pending)) {
      expect(outcome).toEqual({
        kind: 'error',
        error: new EmbeddingProviderError(
          'unavailable',
          'the embedding provider answered 1 vectors for 2 inputs',
        ),
      });
    }
  });

  it('labels its metrics with known models only, every other as other', async () => {
    const { timer, embed, batchSizes, tokensUsed } = setUp();
    const pending = [
      embed('a'),
      ...['x', 'y', 'z'].map((model) => embed('a', { model })),
    ];
    timer.elapse();
    await Promise.all(pending);
    for (const metric of [batchSizes, tokensUsed]) {
      const { values } = await metric.get();
      expect(new Set(values.map(({ labels }) => labels.model))).toEqual(
        new Set(['text-embedding-3-small', 'other']),
      );
    }
  });

  it('records the size of every request', async () => {
    const { timer, embed, batchSizes } = setUp({ EMBEDDING_BATCH_SIZE: '2' });
    const pending = ['a', 'b', 'c'].map((text) => embed(text));
    timer.elapse();
    await Promise.all(pending);
    const { values } = await batchSizes.get();
    const of = (metricName: string) =>
      values.find((value) => value.metricName === metricName)?.value;
    expect([of('batch_size_count'), of('batch_size_sum')]).toEqual([2, 3]);
  });

  it('stops waiting for company when the module stops', async () => {
    const { batcher, timer, provider, embed } = setUp();
    const pending = embed('a');
    batcher.onModuleDestroy();
    expect(timer.running).toBe(0);
    expect(provider.batches).toEqual([['a']]);
    await pending;
  });
});
