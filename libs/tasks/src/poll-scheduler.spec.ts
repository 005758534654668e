import { Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import type { TaskPage } from '@app/api-client';
import { CapturingLogger } from '@app/observability/testing';
import { PollScheduler, type PollTarget } from './poll-scheduler.js';
import type { PageIntake } from './task-buffer.js';
import {
  FakeTasksApiClient,
  ManualClock,
  testConfig,
} from './testing/index.js';

const INTERVAL_MS = 30_000;
const RETRY_BASE_MS = 1_000;
const BREAKER_OPEN = 'tasks API circuit breaker open';

/**
 * The poller as the scheduler sees it, reduced to what a test sets: room,
 * readiness, and what it takes of a page (every task, claimed at once, by
 * default).
 */
class FakeTarget implements PollTarget {
  roomLeft = 4;
  ready = true;
  moreWork = false;
  giveUpAfter = Number.POSITIVE_INFINITY;
  /** What `take` answers instead of taking every task of the page. */
  intake: PageIntake | undefined;
  readonly pages: { ids: string[]; cycle: number }[] = [];
  readonly events: string[] = [];

  constructor(private readonly api: FakeTasksApiClient) {}

  room = () => this.roomLeft;
  readyForWork = () => this.ready;
  wantsMoreWork = () => this.moreWork;
  take = (page: TaskPage, cycle: number): PageIntake => {
    this.pages.push({ ids: page.tasks.map(({ id }) => id), cycle });
    this.events.push('take');
    if (this.intake) return this.intake;
    for (const { id } of page.tasks) void this.api.claim(id);
    return { buffered: page.tasks.length, ours: 0 };
  };
  intervalElapsed = () => {
    this.events.push('interval');
  };
  keepsTrying = (failures: number) => failures < this.giveUpAfter;
  pollSettled = () => {
    this.events.push('settled');
  };
}

describe('PollScheduler', () => {
  let clock: ManualClock;
  let api: FakeTasksApiClient;
  let target: FakeTarget;
  let gauge: Gauge;
  let logs: CapturingLogger;
  let scheduler: PollScheduler;

  beforeEach(() => {
    clock = new ManualClock();
    api = new FakeTasksApiClient(clock.now);
    target = new FakeTarget(api);
    gauge = new Gauge({ name: 'last_poll', help: 'test', registers: [] });
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
    scheduler = new PollScheduler(
      testConfig({ POLLING_INTERVAL_SECONDS: String(INTERVAL_MS / 1000) }),
      api,
      clock.timings({ pollRetryBaseMs: RETRY_BASE_MS }),
      gauge,
    );
  });

  // No test may leave the poller asking the API in a loop.
  afterEach(() => expect(api.spinDetected).toBe(false));

  const start = async () => {
    scheduler.start(target);
    await clock.advance(0);
  };

  it('polls at start and then once per interval, the interval first telling the target', async () => {
    await start();
    expect(api.polls).toEqual([4]);

    await clock.advance(INTERVAL_MS - 1);
    expect(api.polls).toHaveLength(1);
    await clock.advance(1);
    expect(api.polls).toHaveLength(2);
    await clock.advance(INTERVAL_MS);
    expect(api.polls).toHaveLength(3);
    expect(target.events.filter((event) => event !== 'settled')).toEqual([
      'take',
      'interval',
      'take',
      'interval',
      'take',
    ]);
  });

  it('asks for the room the target has, and skips a poll when it has none', async () => {
    target.roomLeft = 0;
    await start();
    expect(api.polls).toEqual([]);
    expect(target.events).toEqual(['settled']);

    target.roomLeft = 7;
    await scheduler.poll();
    expect(api.polls).toEqual([7]);
  });

  it('numbers the polls that reach the API', async () => {
    api.addPending('a');
    target.roomLeft = 0;
    await start();
    target.roomLeft = 1;
    await scheduler.poll();
    await scheduler.poll();

    expect(target.pages.map(({ cycle }) => cycle)).toEqual([1, 2]);
  });

  it('never overlaps polls: one asked for while one is in flight joins it', async () => {
    api.holdPolls();
    await start();
    const joined = [scheduler.poll(), scheduler.poll()];
    await clock.advance(INTERVAL_MS);
    expect(api.polls).toHaveLength(1);
    expect(scheduler.isPolling).toBe(true);

    api.answerHeldPolls();
    await Promise.all(joined);
    expect(scheduler.isPolling).toBe(false);
    expect(api.polls).toHaveLength(1);
    await scheduler.poll();
    expect(api.polls).toHaveLength(2);
  });

  describe('a backlog', () => {
    it('is polled for as soon as the target is ready again, without waiting for a tick', async () => {
      api.addPending(...Array.from({ length: 10 }, (_, i) => `t${i}`));
      await start();

      // Full pages: the next poll follows at once, until a page is not full.
      expect(api.polls).toEqual([4, 4, 4]);
      expect(target.pages.map(({ ids }) => ids.length)).toEqual([4, 4, 2]);
      expect(clock.pendingWaits).toEqual([INTERVAL_MS]);
    });

    it('waits for the target to be ready: nothing buffered and a slot free', async () => {
      api.addPending(...Array.from({ length: 10 }, (_, i) => `t${i}`));
      target.ready = false;
      await start();
      expect(api.polls).toHaveLength(1);

      scheduler.pollIfWorkWaits();
      expect(api.polls).toHaveLength(1);

      target.ready = true;
      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(3);
    });

    it('counts a full page of tasks being claimed here, but polls again only when a task ends', async () => {
      api.addPending('a', 'b', 'c', 'd');
      target.intake = { buffered: 0, ours: 4 };
      await start();
      expect(api.polls).toHaveLength(1);

      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(2);
    });

    it('is not what a full page of only other shards’ tasks is', async () => {
      api.addPending('a', 'b', 'c', 'd');
      target.intake = { buffered: 0, ours: 0 };
      await start();

      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(1);
    });

    it('is not what a page with room left is', async () => {
      api.addPending('a', 'b', 'c');
      await start();

      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(1);
    });

    it('is polled for without a backlog while the target wants more work (a run-once)', async () => {
      target.moreWork = true;
      api.addPending('a');
      await start();
      expect(api.polls).toHaveLength(2);

      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(3);
    });
  });

  describe('a failed poll', () => {
    it('is retried after a backoff starting at one to two base delays, not at once, even in a backlog', async () => {
      api.addPending(...Array.from({ length: 10 }, (_, i) => `t${i}`));
      target.ready = false;
      target.moreWork = true;
      await start();
      api.failPolls(1);
      target.ready = true;
      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.polls).toHaveLength(2);
      expect(
        logs.containing('poll failed: tasks API unavailable'),
      ).toHaveLength(1);

      await clock.advance(RETRY_BASE_MS - 1);
      expect(api.polls).toHaveLength(2);
      await clock.advance(RETRY_BASE_MS + 1);
      expect(api.polls.length).toBeGreaterThan(2);
    });

    it('backs off longer with each failure', async () => {
      api.failPolls(3);
      await start();
      const retries: number[] = [];
      for (let failures = 1; failures <= 3; failures++) {
        expect(api.polls).toHaveLength(failures);
        // The tick is at the interval; the retry is the other wait.
        const [retry, tick] = clock.pendingWaits;
        expect(tick).toBeGreaterThan(retry);
        retries.push(retry);
        await clock.advance(retry);
      }
      expect(api.polls).toHaveLength(4);

      // Retry n waits between half and all of 2^n base delays.
      retries.forEach((wait, index) => {
        const ceiling = RETRY_BASE_MS * 2 ** (index + 1);
        expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
        expect(wait).toBeLessThanOrEqual(ceiling);
      });
    });

    it('waits no longer than the interval', async () => {
      scheduler = new PollScheduler(
        testConfig({ POLLING_INTERVAL_SECONDS: String(INTERVAL_MS / 1000) }),
        api,
        clock.timings({ pollRetryBaseMs: INTERVAL_MS }),
        gauge,
      );
      api.failPolls(1);
      await start();

      for (const wait of clock.pendingWaits) {
        expect(wait).toBeGreaterThanOrEqual(INTERVAL_MS / 2);
        expect(wait).toBeLessThanOrEqual(INTERVAL_MS);
      }
    });

    it('has one retry waiting however many polls fail meanwhile', async () => {
      api.failPolls(5);
      await start();
      for (let i = 0; i < 4; i++) await scheduler.poll();

      expect(api.polls).toHaveLength(5);
      expect(clock.pendingWaits).toHaveLength(2);
    });

    it('is not retried once the target stops trying (a run-once gives up)', async () => {
      target.giveUpAfter = 2;
      api.failPolls(5);
      await start();
      await clock.advance(2 * RETRY_BASE_MS);
      expect(api.polls).toHaveLength(2);

      await clock.advance(10 * INTERVAL_MS);
      expect(api.polls).toHaveLength(2);
      expect(clock.pendingWaits).toEqual([]);
    });
  });

  describe('while the API’s breaker is open', () => {
    it('skips polls, says so once, and polls again once it half-opens', async () => {
      api.breakerOpen = true;
      await start();
      await scheduler.poll();
      await clock.advance(3 * INTERVAL_MS);

      expect(api.polls).toEqual([]);
      expect(logs.containing(BREAKER_OPEN)).toHaveLength(1);

      api.breakerOpen = false;
      await clock.advance(RETRY_BASE_MS);
      expect(api.polls).toHaveLength(1);

      api.breakerOpen = true;
      await scheduler.poll();
      expect(logs.containing(BREAKER_OPEN)).toHaveLength(2);
      expect(api.spinDetected).toBe(false);
    });

    it('skips a backlog’s polls without spinning: the next try is the retry', async () => {
      api.addPending(...Array.from({ length: 10 }, (_, i) => `t${i}`));
      target.ready = false;
      await start();
      api.breakerOpen = true;
      target.ready = true;
      const checks = api.breakerChecks;

      scheduler.pollIfWorkWaits();
      await clock.advance(0);
      expect(api.breakerChecks - checks).toBe(1);
      await clock.advance(RETRY_BASE_MS);
      expect(api.breakerChecks - checks).toBe(2);
      expect(api.spinDetected).toBe(false);
    });
  });

  it('stops: no poll, tick or retry after stop', async () => {
    api.failPolls(1);
    await start();
    expect(clock.pendingWaits).toHaveLength(2);

    scheduler.stop();
    await scheduler.poll();
    await clock.advance(10 * INTERVAL_MS);

    expect(api.polls).toHaveLength(1);
    expect(clock.pendingWaits).toEqual([]);
  });

  it('is ready once a poll was answered, until none has been for three intervals (a minute at least)', async () => {
    expect(() => scheduler.checkRecentPoll()).toThrow(
      'no poll of the tasks API has succeeded yet',
    );
    await start();
    scheduler.checkRecentPoll();
    expect(await gauge.get()).toMatchObject({
      values: [{ value: clock.now() / 1000 }],
    });

    api.failPolls(100);
    await clock.advance(3 * INTERVAL_MS);
    scheduler.checkRecentPoll();
    await clock.advance(1);
    expect(() => scheduler.checkRecentPoll()).toThrow(
      'the last successful poll was 90 s ago',
    );
  });
});
