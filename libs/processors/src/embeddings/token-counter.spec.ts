import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { countTokensWithin } from './embedding-models.js';
import {
  DEFAULT_TOKEN_COUNT_LIMITS,
  TokenCountPool,
  TokenCountingStopped,
  type TokenCountLimits,
} from './token-count-pool.js';
import {
  type StartTokenCountThread,
  startTokenCountThread,
} from './token-count-thread.js';
import { Cl100kTokenCounter } from './token-counter.js';

/** Lowercase letters without a space: one piece whose merge is quadratic in its length. */
function letterRun(length: number): string {
  let text = '';
  // A fixed linear congruential sequence: the same letters every run.
  for (let index = 0, state = 1; index < length; index++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    text += String.fromCharCode(97 + (state % 26));
  }
  return text;
}

const prose = (length: number) =>
  'The quick brown fox jumps over the lazy dog. '
    .repeat(Math.ceil(length / 45))
    .slice(0, length);

/** A thread that takes every text and never answers. */
const silentThread: StartTokenCountThread = () =>
  new Worker(
    "require('node:worker_threads').parentPort.on('message', () => {})",
    { eval: true },
  );

/** A thread that answers 42 tokens to every text, at once. */
const answeringThread: StartTokenCountThread = () =>
  new Worker(
    "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => parentPort.postMessage({ tokens: 42 }))",
    { eval: true },
  );

/** A thread that dies at its first text. */
const dyingThread: StartTokenCountThread = () =>
  new Worker(
    "require('node:worker_threads').parentPort.on('message', () => process.exit(7))",
    { eval: true },
  );

/** Starts threads from `factories` in turn (the last one again and again), keeping each. */
function threads(...factories: StartTokenCountThread[]) {
  const started: Worker[] = [];
  const start: StartTokenCountThread = () => {
    const factory = factories[Math.min(started.length, factories.length - 1)];
    const worker = factory();
    started.push(worker);
    return worker;
  };
  return { start, started };
}

const expected = (text: string, limit: number) => {
  const tokens = countTokensWithin(text, limit);
  return tokens === false
    ? { kind: 'over_limit' }
    : { kind: 'counted', tokens };
};

describe('token counting', () => {
  const pools: TokenCountPool[] = [];
  const setUp = (
    start: StartTokenCountThread,
    limits: Partial<TokenCountLimits> = {},
  ) => {
    const settings = { ...DEFAULT_TOKEN_COUNT_LIMITS, ...limits };
    const pool = new TokenCountPool(settings, start);
    pools.push(pool);
    return { pool, counter: new Cl100kTokenCounter(settings, pool) };
  };
  afterEach(async () => {
    await Promise.all(
      pools.splice(0).map((pool) => pool.onApplicationShutdown()),
    );
  });

  it('counts short texts of ordinary words at once on the event loop, without a thread', async () => {
    const { start, started } = threads(startTokenCountThread);
    const { counter } = setUp(start);
    const words = (count: number) =>
      letterRun(64 * count).replace(/(.{64})/g, '$1 ');
    for (const text of ['Text to embed', prose(2_000), words(30)])
      await expect(counter.countWithin(text, 8_192)).resolves.toEqual(
        expected(text, 8_192),
      );
    expect(started).toHaveLength(0);
  });

  it('counts longer texts, and any with a run of more than 64 characters, in a thread, exactly as the tokenizer does', async () => {
    const { start, started } = threads(startTokenCountThread);
    const { counter } = setUp(start);
    const texts = [
      prose(20_000),
      'a' + ' a'.repeat(8_191),
      'a' + ' a'.repeat(8_192),
      `short, but ${letterRun(65)}`,
      `short, but ${' '.repeat(65)}spaced`,
    ];
    for (const text of texts)
      await expect(counter.countWithin(text, 8_192)).resolves.toEqual(
        expected(text, 8_192),
      );
    expect(started).toHaveLength(1);
  });

  it('keeps the event loop turning while a thread counts a long run without spaces', async () => {
    const { counter } = setUp(threads(startTokenCountThread).start);
    // Tens of milliseconds on the loop, a moment after the last; the run
    // itself takes the thread hundreds of milliseconds.
    const text = letterRun(30_000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 5);
    try {
      const count = await counter.countWithin(text, 8_192);
      expect(count).toEqual({ kind: 'over_limit' });
    } finally {
      clearInterval(ticker);
    }
    expect(turns).toBeGreaterThan(0);
  });

  it('answers texts queued for the one thread in turn', async () => {
    const { start, started } = threads(startTokenCountThread);
    const { counter } = setUp(start);
    const texts = [prose(5_000), prose(6_000), prose(7_000)];
    await expect(
      Promise.all(texts.map((text) => counter.countWithin(text, 8_192))),
    ).resolves.toEqual(texts.map((text) => expected(text, 8_192)));
    expect(started).toHaveLength(1);
  });

  it('gives a text up after the timeout, stops its thread, and counts the next text in a new one', async () => {
    const { start, started } = threads(silentThread, answeringThread);
    const { counter } = setUp(start, { timeoutMs: 50 });
    await expect(counter.countWithin(prose(2_500), 8_192)).resolves.toEqual({
      kind: 'too_slow',
      timeoutMs: 50,
    });
    await once(started[0], 'exit');

    await expect(counter.countWithin(prose(3_000), 8_192)).resolves.toEqual({
      kind: 'counted',
      tokens: 42,
    });
    expect(started).toHaveLength(2);
  });

  it('rejects the text of a thread that died, as a bug, and starts another for the next', async () => {
    const { start, started } = threads(dyingThread, startTokenCountThread);
    const { counter } = setUp(start);
    const failure = await counter
      .countWithin(prose(2_500), 8_192)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(TokenCountingStopped);
    expect((failure as Error).message).toBe(
      'the token counting thread exited with code 7',
    );

    const next = prose(3_000);
    await expect(counter.countWithin(next, 8_192)).resolves.toEqual(
      expected(next, 8_192),
    );
    expect(started).toHaveLength(2);
  });

  it('rejects the text, as a bug, when no thread can be started', async () => {
    const { counter } = setUp(() => {
      throw new Error('no such file: token-count.worker.js');
    });
    await expect(counter.countWithin(prose(2_500), 8_192)).rejects.toThrow(
      'no such file: token-count.worker.js',
    );
    await expect(counter.countWithin(prose(3_000), 8_192)).rejects.toThrow(
      'no such file',
    );
  });

  it('stops an idle thread, and starts one again when a long text comes', async () => {
    const { start, started } = threads(startTokenCountThread);
    const { counter } = setUp(start, { idleMs: 10 });
    await counter.countWithin(prose(2_500), 8_192);
    await once(started[0], 'exit');
    await counter.countWithin(prose(2_500), 8_192);
    expect(started).toHaveLength(2);
  });

  it('at shutdown, stops its threads and answers every waiting text with a transient error', async () => {
    const { start, started } = threads(silentThread);
    const { pool, counter } = setUp(start);
    const failureOf = (text: string) =>
      counter.countWithin(text, 8_192).catch((error: unknown) => error);
    const running = failureOf(prose(2_500));
    const queued = failureOf(prose(3_000));
    const exited = once(started[0], 'exit');

    await pool.onApplicationShutdown();
    await exited;
    for (const failure of [running, queued, failureOf(prose(4_000))]) {
      const error = await failure;
      expect(error).toBeInstanceOf(TokenCountingStopped);
      expect(error).toMatchObject({ transient: true });
    }
    // Short texts need no thread: they are still counted.
    await expect(counter.countWithin('still fine', 8_192)).resolves.toEqual(
      expected('still fine', 8_192),
    );
  });
});
