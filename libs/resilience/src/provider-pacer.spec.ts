import type { AnswerHeaders } from './answer-headers.js';
import {
  type PacerPermit,
  ProviderPacer,
  type ProviderPacerOptions,
} from './provider-pacer.js';
import { RequestTooLargeError } from './provider-pacer-error.js';
import { isTransient } from './upstream-error.js';

/** Lets every promise chain that waits on nothing but other promises run to its end. */
const settle = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

interface Timer {
  at: number;
  order: number;
  fire(): void;
}

/**
 * A clock and a sleep moved only by the test: each timer fires in turn, and
 * what it starts settles before the next. Counts the timers pending, to
 * check that the pacer keeps one at most.
 */
class FakeTime {
  now = 1_000_000;
  mostPending = 0;
  private order = 0;
  private timers: Timer[] = [];

  readonly clock = (): number => this.now;

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer: Timer = {
        at: this.now + Math.max(0, ms),
        order: this.order++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((other) => other !== timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.mostPending = Math.max(this.mostPending, this.timers.length);
    });

  get pending(): number {
    return this.timers.length;
  }

  /** Moves time on by `ms`, firing the timers that fall due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    await settle();
    for (let next = this.soonest(); next && next.at <= until;) {
      this.timers = this.timers.filter((timer) => timer !== next);
      this.now = Math.max(this.now, next.at);
      next.fire();
      await settle();
      next = this.soonest();
    }
    this.now = until;
    await settle();
  }

  /** Fires timer after timer until `done`; throws past `maxMs` or with nothing left to fire. */
  async runUntil(done: () => boolean, maxMs: number): Promise<void> {
    const deadline = this.now + maxMs;
    await settle();
    while (!done()) {
      const next = this.soonest();
      if (!next) throw new Error('stuck: nothing left to fire');
      if (next.at > deadline) throw new Error(`not done within ${maxMs} ms`);
      await this.advance(next.at - this.now);
    }
  }

  private soonest(): Timer | undefined {
    let soonest: Timer | undefined;
    for (const timer of this.timers)
      if (
        !soonest ||
        timer.at < soonest.at ||
        (timer.at === soonest.at && timer.order < soonest.order)
      )
        soonest = timer;
    return soonest;
  }
}

function fakePacer(options: ProviderPacerOptions = {}) {
  const time = new FakeTime();
  const pacer = new ProviderPacer({
    now: time.clock,
    sleep: time.sleep,
    ...options,
  });
  const events = { throttled: 0, pausedUntil: [] as number[], heldMs: 0 };
  pacer.listen({
    throttled: () => events.throttled++,
    paused: (until) => events.pausedUntil.push(until),
    held: (ms) => (events.heldMs += ms),
  });
  return { time, pacer, events };
}

/**
 * Starts one acquire per entry of `tokens` at once; answers each one's
 * start (ms from now) once the fake time lets it through. Each permit is
 * answered at once with `answer` (default: a 200 without headers).
 */
async function startTimes(
  time: FakeTime,
  pacer: ProviderPacer,
  tokens: number[],
  answer: (permit: PacerPermit) => void = (permit) => permit.observe(200, {}),
): Promise<number[]> {
  const t0 = time.now;
  const started: number[] = [];
  let count = 0;
  tokens.forEach(
    (size, index) =>
      void pacer.acquire({ tokens: size }).then((permit) => {
        started[index] = time.now - t0;
        count++;
        answer(permit);
      }),
  );
  await time.runUntil(() => count === tokens.length, 600_000);
  return started;
}

const requestLimits = (limit: number, remaining: number, reset: string) => ({
  'x-ratelimit-limit-requests': String(limit),
  'x-ratelimit-remaining-requests': String(remaining),
  'x-ratelimit-reset-requests': reset,
});

const tokenLimits = (limit: number, remaining: number, reset: string) => ({
  'x-ratelimit-limit-tokens': String(limit),
  'x-ratelimit-remaining-tokens': String(remaining),
  'x-ratelimit-reset-tokens': reset,
});

/** Takes one permit at once and answers it with `status` and `headers`. */
async function answerOne(
  pacer: ProviderPacer,
  status: number,
  headers: AnswerHeaders,
): Promise<void> {
  const permit = await pacer.acquire({ tokens: 0 });
  permit.observe(status, headers);
}

describe('ProviderPacer', () => {
  describe('rates', () => {
    it('lets requests through at once while nothing is known of the limits', async () => {
      const { time, pacer, events } = fakePacer();
      expect(await startTimes(time, pacer, Array(50).fill(1000))).toEqual(
        Array(50).fill(0),
      );
      expect(pacer.rates()).toEqual({
        requests: { kind: 'unknown' },
        tokens: { kind: 'unknown' },
      });
      expect(pacer.maxRequestTokens()).toBeUndefined();
      expect(events.heldMs).toBe(0);
    });

    it('learns the rate from the headers, a window shorter than a minute too', async () => {
      const { time, pacer } = fakePacer();
      // 60 requests refill in 3 s: 20 a second.
      await answerOne(pacer, 200, requestLimits(60, 59, '50ms'));
      expect(pacer.rates().requests).toEqual({
        kind: 'learned',
        limit: 60,
        perSecond: 20,
      });
      // A burst of 3 (5 % of 60), then one every 1 / (0.9 × 20/s) = 55.6 ms.
      const started = await startTimes(time, pacer, Array(12).fill(1));
      expect(started.slice(0, 3)).toEqual([0, 0, 0]);
      const gaps = started.slice(3).map((at, i) => at - started[i + 2]);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(55);
      for (const gap of gaps) expect(gap).toBeLessThanOrEqual(57);
      expect(started[11]).toBeGreaterThanOrEqual(Math.floor(9 * 55.55));
      expect(started[11]).toBeLessThanOrEqual(9 * 56);
    });

    it('keeps the last rate while the bucket is full, a minute before any', async () => {
      const { pacer } = fakePacer();
      await answerOne(pacer, 200, requestLimits(120, 120, '0s'));
      expect(pacer.rates().requests).toMatchObject({ perSecond: 2 });
      await answerOne(pacer, 200, requestLimits(120, 117, '3s'));
      expect(pacer.rates().requests).toMatchObject({ perSecond: 1 });
      await answerOne(pacer, 200, requestLimits(120, 120, '0s'));
      expect(pacer.rates().requests).toMatchObject({ perSecond: 1 });
    });

    it('trusts each measure of the rate as far as its reset is long', async () => {
      const { pacer } = fakePacer();
      const perSecond = async (remaining: number, reset: string) => {
        await answerOne(pacer, 200, requestLimits(120, remaining, reset));
        return (pacer.rates().requests as { perSecond: number }).perSecond;
      };
      expect(await perSecond(117, '3s')).toBe(1);
      // Less than half as long: its rounding weighs too much.
      expect(await perSecond(119, '1.1s')).toBe(1);
      // About as long: the slower rate wins, as a remaining rounded down makes a rate look faster.
      expect(await perSecond(116, '3.5s')).toBe(1);
      expect(await perSecond(118, '2.5s')).toBe(0.8);
      // More than twice as long: measured anew.
      expect(await perSecond(105, '7.5s')).toBe(2);
      // A new limit is measured anew.
      await answerOne(pacer, 200, requestLimits(240, 238, '250ms'));
      expect(pacer.rates().requests).toMatchObject({
        limit: 240,
        perSecond: 8,
      });
    });

    it('paces by the configured rpm until the headers tell the real limit', async () => {
      const { time, pacer } = fakePacer({ rpm: 600 });
      expect(pacer.rates().requests).toEqual({
        kind: 'configured',
        limit: 600,
        perSecond: 10,
      });
      // A burst of 30, then one every 1 / (0.9 × 10/s) = 111.1 ms.
      const started = await startTimes(time, pacer, Array(40).fill(0));
      expect(started.slice(0, 30)).toEqual(Array(30).fill(0));
      expect(started[30]).toBe(112);
      expect(started[39]).toBeGreaterThanOrEqual(1111);
      expect(started[39]).toBeLessThanOrEqual(1120);
      await time.advance(1000);
      await answerOne(pacer, 200, requestLimits(60, 59, '50ms'));
      expect(pacer.rates().requests).toMatchObject({ kind: 'learned' });
    });

    it('paces by the tokens when they run out first', async () => {
      // 600 requests but only 6000 tokens a minute: 1 request of 100 tokens a second.
      const { time, pacer } = fakePacer({ rpm: 600, tpm: 6000 });
      expect(pacer.maxRequestTokens()).toBe(6000);
      const started = await startTimes(time, pacer, Array(6).fill(100));
      // A burst of 300 tokens, then 100 tokens every 1 / (0.9 × 1/s) = 1.11 s.
      expect(started.slice(0, 3)).toEqual([0, 0, 0]);
      expect(started[3]).toBe(1112);
      expect(started[5]).toBeGreaterThanOrEqual(3333);
      expect(started[5]).toBeLessThanOrEqual(3336);
    });

    it('takes what the answer says is left, less what is still in flight', async () => {
      const { time, pacer } = fakePacer({ rpm: 600 });
      const first = await pacer.acquire({ tokens: 0 });
      await pacer.acquire({ tokens: 0 }); // still in flight, maybe unseen
      // One left as the provider took `first`: the other one in flight takes it.
      first.observe(200, { 'x-ratelimit-remaining-requests': '1' });
      const started = await startTimes(time, pacer, [0]);
      expect(started).toEqual([112]); // one steady interval, from an empty bucket
    });
  });

  describe('429', () => {
    it('pauses every request for retry-after-ms, which wins over Retry-After', async () => {
      const { time, pacer, events } = fakePacer();
      await answerOne(pacer, 429, {
        'retry-after-ms': '1500',
        'retry-after': '9',
      });
      expect(pacer.pauseRemainingMs()).toBe(1500);
      expect(events).toMatchObject({
        throttled: 1,
        pausedUntil: [time.now + 1500],
      });
      expect(await startTimes(time, pacer, [0, 0, 0])).toEqual([
        1500, 1500, 1500,
      ]);
      // Three callers waited through the same 1.5 s: counted once.
      expect(events.heldMs).toBe(1500);
    });

    it('pauses for Retry-After in seconds', async () => {
      const { pacer } = fakePacer();
      await answerOne(pacer, 429, { 'retry-after': '2' });
      expect(pacer.pauseRemainingMs()).toBe(2000);
    });

    it('pauses until the reset of the limit the 429 says is used up', async () => {
      const { pacer } = fakePacer();
      await answerOne(pacer, 429, {
        ...requestLimits(500, 400, '12s'),
        ...tokenLimits(60_000, 0, '6s'),
      });
      expect(pacer.pauseRemainingMs()).toBe(6000);
      // All 60 000 tokens refill in 6 s.
      expect(pacer.rates().tokens).toMatchObject({ perSecond: 10_000 });
    });

    it('empties the bucket of the limit the 429 says is used up: no burst when the pause ends', async () => {
      // 1000 tokens a second, spent at 900.
      const { time, pacer } = fakePacer({ tpm: 60_000 });
      await answerOne(pacer, 429, {
        'retry-after-ms': '100',
        'x-ratelimit-remaining-tokens': '0',
      });
      expect(await startTimes(time, pacer, [900])).toEqual([1000]);
    });

    it('waits a default second that doubles on each 429 in a row, up to a ceiling, from one again after a success', async () => {
      const { time, pacer } = fakePacer({ maxDefaultPauseMs: 3000 });
      const pauses: number[] = [];
      for (const status of [429, 429, 429, 429, 200, 429]) {
        await time.advance(pacer.pauseRemainingMs());
        await answerOne(pacer, status, {});
        pauses.push(pacer.pauseRemainingMs());
      }
      expect(pauses).toEqual([1000, 2000, 3000, 3000, 0, 1000]);
    });

    it('does not double for the 429s of requests sent before the last 429 came back', async () => {
      const { time, pacer, events } = fakePacer();
      const sent = await Promise.all(
        [1, 2, 3].map(() => pacer.acquire({ tokens: 0 })),
      );
      for (const permit of sent) {
        permit.observe(429, {});
        await time.advance(10);
      }
      // The last echo, 20 ms after the first 429, asked for one second again, not four.
      expect(pacer.pauseRemainingMs()).toBe(990);
      expect(events.throttled).toBe(3);
      await time.advance(990);
      await answerOne(pacer, 429, {});
      expect(pacer.pauseRemainingMs()).toBe(2000);
    });
  });

  describe('permits', () => {
    it('gives the reservation back on release', async () => {
      const { time, pacer } = fakePacer({ tpm: 6000 });
      const permit = await pacer.acquire({ tokens: 300 }); // the whole burst
      permit.release();
      permit.release(); // a second settlement counts for nothing
      expect(await startTimes(time, pacer, [300])).toEqual([0]);
      expect(await startTimes(time, pacer, [100])).toEqual([1112]);
    });

    it('keeps the reservation spent for a request that got no answer', async () => {
      const { time, pacer } = fakePacer({ tpm: 6000 });
      (await pacer.acquire({ tokens: 300 })).abandon();
      expect(await startTimes(time, pacer, [100])).toEqual([1112]);
    });
  });

  describe('the queue', () => {
    it('lets callers go in the order they came: a large request is not overtaken', async () => {
      const { time, pacer } = fakePacer({ tpm: 6000 });
      // 300 tokens drain the burst; 1000 is more than the burst: the bucket saves up for it.
      const started = await startTimes(time, pacer, [300, 1000, 10, 10]);
      expect(started[0]).toBe(0);
      expect(started[1]).toBe(Math.ceil(1000 / 0.09));
      expect(started[2]).toBeGreaterThanOrEqual(started[1]);
      expect(started[3]).toBeGreaterThanOrEqual(started[2]);
    });

    it('drops a caller whose signal aborts, and lets the next one go', async () => {
      const { time, pacer } = fakePacer({ tpm: 6000 });
      await pacer.acquire({ tokens: 300 });
      const abort = new AbortController();
      const large = pacer.acquire({ tokens: 1000 }, abort.signal);
      const small = pacer.acquire({ tokens: 10 });
      expect(pacer.waiting).toBe(2);
      abort.abort(new Error('shutting down'));
      await expect(large).rejects.toThrow('shutting down');
      expect(pacer.waiting).toBe(1);
      await time.runUntil(() => pacer.waiting === 0, 1000);
      expect((await small).tokens).toBe(10);
      expect(time.pending).toBe(0);
      await expect(
        pacer.acquire({ tokens: 1 }, AbortSignal.abort(new Error('gone'))),
      ).rejects.toThrow('gone');
    });

    it('rejects a request larger than the token limit, at once or when the limit is learned', async () => {
      const { pacer } = fakePacer({ tpm: 1000 });
      expect(pacer.maxRequestTokens()).toBe(1000);
      const error = await pacer
        .acquire({ tokens: 1001 })
        .catch((error: unknown) => error);
      expect(error).toBeInstanceOf(RequestTooLargeError);
      expect(error).toMatchObject({ tokens: 1001, maxTokens: 1000 });
      expect(isTransient(error)).toBe(false);
      await expect(pacer.acquire({ tokens: -1 })).rejects.toThrow(RangeError);

      const learning = fakePacer().pacer;
      const [first, second] = await Promise.all([
        learning.acquire({ tokens: 10 }),
        learning.acquire({ tokens: 10 }),
      ]);
      first.observe(429, { 'retry-after': '1' });
      const huge = learning.acquire({ tokens: 5000 });
      second.observe(200, tokenLimits(4000, 3000, '15s'));
      await expect(huge).rejects.toThrow(RequestTooLargeError);
      expect(learning.maxRequestTokens()).toBe(4000);
      expect(learning.waiting).toBe(0);
    });

    it('admits a request as large as the token limit once the bucket has saved up for it', async () => {
      const { time, pacer } = fakePacer({ tpm: 6000 });
      expect(await startTimes(time, pacer, [6000])).toEqual([
        Math.ceil(5700 / 0.09),
      ]);
    });

    it('serves many callers at once in order, with one timer at most', async () => {
      const { time, pacer } = fakePacer({ rpm: 600 });
      const order: number[] = [];
      const started = await startTimes(
        time,
        pacer,
        Array.from({ length: 200 }, (_, i) => i),
        (permit) => {
          order.push(permit.tokens);
          permit.observe(200, {});
        },
      );
      expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(time.mostPending).toBe(1);
      expect(time.pending).toBe(0);
      // 30 at once, then 170 at 9 a second.
      expect(started[199]).toBeGreaterThanOrEqual(Math.floor(170 * 111.1));
      expect(started[199]).toBeLessThanOrEqual(170 * 112);
    });
  });
});

/** A deterministic draw in [0, 1): mulberry32. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `1m30.5s`, `56ms`: a duration as OpenAI writes it, rounded up to the millisecond (as the sandbox does). */
function openAiDuration(ms: number): string {
  const whole = Math.ceil(ms - 1e-6);
  if (whole <= 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const hours = Math.floor(whole / 3_600_000);
  const minutes = Math.floor((whole % 3_600_000) / 60_000);
  const seconds = `${(whole % 60_000) / 1000}s`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}`;
  return minutes > 0 ? `${minutes}m${seconds}` : seconds;
}

/** One limit of the simulated provider: a bucket that refills evenly, as OpenAI's do. */
class ServerBucket {
  private level: number;
  private at: number;
  readonly taken: { at: number; amount: number }[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    now: number,
  ) {
    this.level = limit;
    this.at = now;
  }

  refill(now: number): void {
    this.level = Math.min(
      this.limit,
      this.level + ((now - this.at) * this.limit) / this.windowMs,
    );
    this.at = now;
  }

  has(amount: number): boolean {
    return this.level >= amount;
  }

  take(amount: number, now: number): void {
    this.level -= amount;
    this.taken.push({ at: now, amount });
  }

  /** Remaining rounded down, as a server counts whole requests and tokens. */
  headers(name: 'requests' | 'tokens'): Record<string, string> {
    return {
      [`x-ratelimit-limit-${name}`]: String(this.limit),
      [`x-ratelimit-remaining-${name}`]: String(Math.floor(this.level + 1e-6)),
      [`x-ratelimit-reset-${name}`]: openAiDuration(
        ((this.limit - this.level) * this.windowMs) / this.limit,
      ),
    };
  }

  /**
   * The most taken in any span of one window starting at `from` or later,
   * as a share of the limit: a server counting by windows refuses above 1.
   */
  busiestWindowShare(from = -Infinity): number {
    let busiest = 0;
    let sum = 0;
    let first = 0;
    for (const { at, amount } of this.taken) {
      sum += amount;
      while (this.taken[first].at <= at - this.windowMs)
        sum -= this.taken[first++].amount;
      if (at - this.windowMs >= from) busiest = Math.max(busiest, sum);
    }
    return busiest / this.limit;
  }
}

/** A provider that enforces both limits, and tells them in its headers unless `silent`. */
class SimulatedProvider {
  constructor(
    readonly requests: ServerBucket,
    readonly tokens: ServerBucket,
    private readonly silent = false,
  ) {}

  answer(
    tokens: number,
    now: number,
  ): { status: number; headers: AnswerHeaders } {
    this.requests.refill(now);
    this.tokens.refill(now);
    const status = this.requests.has(1) && this.tokens.has(tokens) ? 200 : 429;
    if (status === 200) {
      this.requests.take(1, now);
      this.tokens.take(tokens, now);
    }
    const headers = this.silent
      ? {}
      : {
          ...this.requests.headers('requests'),
          ...this.tokens.headers('tokens'),
        };
    return { status, headers };
  }
}

/** A backlog and the provider it drains to. */
interface Scenario {
  /** Requests and tokens per window of the provider. */
  requests: { limit: number; windowMs: number };
  tokens: { limit: number; windowMs: number };
  /** The provider sends no `x-ratelimit-*` headers. */
  silent?: boolean;
  pacer?: ProviderPacerOptions;
  /** The tokens of each job. */
  jobs: number[];
  concurrency: number;
}

interface Drain {
  /** Share of the answers that were 429s. */
  throttledShare: number;
  /** The drain's time over the time the provider's rates allow (the backlog at the limits, no burst). */
  timeOverIdeal: number;
  /**
   * The most sent in any one window of the binding limit, as a share of it:
   * what a server counting by windows would see. Windows from the end of
   * the first: the provider's bucket starts full.
   */
  busiestWindow: number;
}

/**
 * `concurrency` workers send the jobs through the pacer to the provider,
 * each answer after a latency of 50–400 ms; a 429 puts its job back.
 */
async function drain(scenario: Scenario): Promise<Drain> {
  const { time, pacer } = fakePacer(scenario.pacer);
  const t0 = time.now;
  const requests = new ServerBucket(
    scenario.requests.limit,
    scenario.requests.windowMs,
    t0,
  );
  const tokens = new ServerBucket(
    scenario.tokens.limit,
    scenario.tokens.windowMs,
    t0,
  );
  const provider = new SimulatedProvider(requests, tokens, scenario.silent);
  const random = randomFrom(7);
  const backlog = [...scenario.jobs];
  let done = 0;
  let throttled = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    for (let size = backlog.shift(); size !== undefined;) {
      const permit = await pacer.acquire({ tokens: size });
      const { status, headers } = provider.answer(size, time.now);
      await time.sleep(50 + random() * 350);
      permit.observe(status, headers);
      if (status === 429) throttled++;
      else {
        done++;
        size = backlog.shift();
      }
    }
  };
  for (let i = 0; i < scenario.concurrency; i++)
    worker().catch((error: unknown) => failures.push(error));
  await time.runUntil(
    () => done === scenario.jobs.length || failures.length > 0,
    3_600_000,
  );
  expect(failures).toEqual([]);
  const requestsMs =
    (scenario.jobs.length * requests.windowMs) / requests.limit;
  const tokensMs =
    (scenario.jobs.reduce((sum, size) => sum + size, 0) * tokens.windowMs) /
    tokens.limit;
  const binding = requestsMs >= tokensMs ? requests : tokens;
  return {
    throttledShare: throttled / (throttled + done),
    timeOverIdeal: (time.now - t0) / Math.max(requestsMs, tokensMs),
    busiestWindow: binding.busiestWindowShare(t0 + binding.windowMs),
  };
}

/** `count` job sizes drawn evenly from [min, max). */
function jobSizes(count: number, min: number, max: number): number[] {
  const random = randomFrom(11);
  return Array.from(
    { length: count },
    () => min + Math.floor(random() * (max - min)),
  );
}

const PLENTY = { limit: 100_000_000, windowMs: 60_000 };

describe('ProviderPacer draining a backlog against a simulated provider', () => {
  const scenarios: [string, Scenario][] = [
    [
      'requests learned from the headers, a 3 s window',
      {
        requests: { limit: 60, windowMs: 3_000 },
        tokens: PLENTY,
        jobs: Array(2000).fill(10),
        concurrency: 8,
      },
    ],
    [
      'requests learned, OpenAI-like: 500 a minute',
      {
        requests: { limit: 500, windowMs: 60_000 },
        tokens: PLENTY,
        jobs: Array(2500).fill(10),
        concurrency: 32,
      },
    ],
    [
      'tokens learned and binding: 2000 a second for requests of 200–800',
      {
        requests: { limit: 500, windowMs: 10_000 },
        tokens: { limit: 20_000, windowMs: 10_000 },
        jobs: jobSizes(600, 200, 800),
        concurrency: 16,
      },
    ],
    [
      'both limits near each other',
      {
        requests: { limit: 100, windowMs: 5_000 },
        tokens: { limit: 5_000, windowMs: 5_000 },
        jobs: jobSizes(1000, 20, 80),
        concurrency: 16,
      },
    ],
    [
      'configured rpm and tpm, a provider that tells nothing',
      {
        requests: { limit: 120, windowMs: 60_000 },
        tokens: { limit: 60_000, windowMs: 60_000 },
        silent: true,
        pacer: { rpm: 120, tpm: 60_000 },
        jobs: jobSizes(300, 100, 500),
        concurrency: 8,
      },
    ],
  ];

  it.each(scenarios)(
    '%s: no 429, each window under its limit, within 1.3 × the ideal time',
    async (name, scenario) => {
      const result = await drain(scenario);
      console.info(name, result);
      expect(result.throttledShare).toBe(0);
      expect(result.busiestWindow).toBeLessThanOrEqual(0.96);
      expect(result.timeOverIdeal).toBeGreaterThanOrEqual(1);
      expect(result.timeOverIdeal).toBeLessThanOrEqual(1.3);
    },
  );

  it('keeps 429s rare with a tiny limit, where the first requests go before anything is known', async () => {
    // 3 requests per 3 s, 4 callers: the fourth of the first, unpaced, is refused.
    const result = await drain({
      requests: { limit: 3, windowMs: 3_000 },
      tokens: PLENTY,
      jobs: Array(200).fill(10),
      concurrency: 4,
    });
    console.info('tiny limit', result);
    expect(result.throttledShare).toBeLessThan(0.02);
    expect(result.timeOverIdeal).toBeLessThanOrEqual(1.3);
  });
});
