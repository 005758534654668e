import { Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { ReadinessRegistry } from '@app/observability';
import { CapturingLogger } from '@app/observability/testing';
import { PollScheduler } from './poll-scheduler.js';
import { RUN_ONCE_POLL_ATTEMPTS, type RunSummary } from './run-once-tracker.js';
import { RunOnceTracker } from './run-once-tracker.js';
import { TaskBuffer } from './task-buffer.js';
import { TaskPoller } from './task-poller.js';
import {
  FakeTasksApiClient,
  ManualClock,
  ScriptedRunner,
  pageOf,
  settle,
  testConfig,
} from './testing/index.js';

const INTERVAL_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const RELEASE_GRACE_MS = 2_000;

const ids = (count: number, prefix = 't') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('TaskPoller', () => {
  let clock: ManualClock;
  let api: FakeTasksApiClient;
  let runner: ScriptedRunner;
  let readiness: ReadinessRegistry;
  let logs: CapturingLogger;

  beforeEach(() => {
    clock = new ManualClock();
    api = new FakeTasksApiClient(clock.now);
    runner = new ScriptedRunner(api);
    readiness = new ReadinessRegistry();
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
  });

  // No test may leave the poller asking the API in a loop.
  afterEach(() => expect(api.spinDetected).toBe(false));

  let buffer: TaskBuffer;

  /** The poller and its parts, as TasksModule wires them, started. */
  async function startPoller(env: Record<string, string> = {}) {
    const config = testConfig({
      POLLING_INTERVAL_SECONDS: String(INTERVAL_MS / 1000),
      SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_MS / 1000),
      CONCURRENCY_LIMIT: '2',
      PREFETCH_LIMIT: '2',
      ...env,
    });
    const timings = clock.timings({ releaseGraceMs: RELEASE_GRACE_MS });
    const gauge = new Gauge({ name: 'last_poll', help: 'test', registers: [] });
    buffer = new TaskBuffer(config, timings);
    const poller = new TaskPoller(
      config,
      runner.asTaskRunner(),
      readiness,
      timings,
      buffer,
      new PollScheduler(config, api, timings, gauge),
      new RunOnceTracker(config, timings),
    );
    poller.onApplicationBootstrap();
    await clock.advance(0);
    return poller;
  }

  const startedIds = () => runner.started.map(({ id }) => id);

  /** The run-once summary once the completion resolved; undefined while it has not. */
  const summaryOf = async (
    poller: TaskPoller,
  ): Promise<RunSummary | undefined> => {
    let summary: RunSummary | undefined;
    void poller.completion().then((done) => (summary = done));
    await settle();
    return summary;
  };

  it('claims what fits and buffers the rest, starting buffered tasks as slots free', async () => {
    api.addPending(...ids(5));
    const poller = await startPoller();

    expect(api.polls).toEqual([4]);
    expect(runner.running).toEqual(['t0', 't1']);
    expect(poller.isRunning('t0')).toBe(true);
    expect(poller.isRunning('t2')).toBe(false);

    await runner.finish('t0');
    await clock.advance(0);
    expect(runner.running).toEqual(['t1', 't2']);
    expect(api.stateOf('t0')).toBe('succeeded');
  });

  it('claims nothing while work is paused (a used-up budget), and starts by itself when the pause ends', async () => {
    api.addPending(...ids(3));
    runner.pause = {
      kind: 'paused',
      until: new Date(clock.now() + 60_000),
      reason: 'the daily token budget (10) is used up',
    };
    await startPoller();
    expect(runner.started).toEqual([]);
    expect(['t0', 't1', 't2'].map((id) => api.stateOf(id))).toEqual([
      'pending',
      'pending',
      'pending',
    ]);

    // Polls come and go; nothing is taken while the pause lasts.
    await clock.advance(59_000);
    expect(runner.started).toEqual([]);
    // The budget's period ends: taking starts again without any prompt.
    runner.pause = { kind: 'open' };
    await clock.advance(1_000);
    expect(runner.running).toEqual(['t0', 't1']);
  });

  it('gives each task the cycle of the poll that listed it, also when it waited in the buffer', async () => {
    api.addPending(...ids(3));
    await startPoller({ CONCURRENCY_LIMIT: '1', PREFETCH_LIMIT: '5' });
    api.addPending('late');
    await clock.advance(INTERVAL_MS);
    expect(api.polls).toHaveLength(2);

    for (let i = 0; i < 4; i++) {
      await runner.finishAll();
      await clock.advance(0);
    }

    expect(runner.started).toEqual([
      { id: 't0', cycle: 1 },
      { id: 't1', cycle: 1 },
      { id: 't2', cycle: 1 },
      { id: 'late', cycle: 2 },
    ]);
  });

  it('drains a backlog without waiting for ticks', async () => {
    api.addPending(...ids(20));
    await startPoller();

    for (let round = 0; round < 20 && runner.running.length > 0; round++) {
      await runner.finishAll();
      await clock.advance(0);
    }

    expect(runner.started).toHaveLength(20);
    expect(ids(20).every((id) => api.stateOf(id) === 'succeeded')).toBe(true);
    // About one poll per (slots + buffer) tasks, and no tick has passed.
    expect(api.polls.length).toBeLessThanOrEqual(20 / 4 + 2);
  });

  it('does not start a task twice when a page lists one running here', async () => {
    api.addPending('a');
    const poller = await startPoller();
    api.answerNext(pageOf(['a', 'b']));

    poller.wake();
    await clock.advance(0);

    expect(startedIds()).toEqual(['a', 'b']);
  });

  it('drops a buffer older than one interval at the tick: other workers may have taken its tasks', async () => {
    api.addPending('a', 'b', 'c');
    await startPoller({ CONCURRENCY_LIMIT: '1', PREFETCH_LIMIT: '2' });
    expect(runner.running).toEqual(['a']);
    // Another worker claims the buffered tasks.
    await api.claim('b');
    await api.claim('c');

    await clock.advance(2 * INTERVAL_MS);
    await runner.finish('a');
    await clock.advance(0);

    expect(startedIds()).toEqual(['a']);
  });

  it('keeps a buffer younger than one interval', async () => {
    api.addPending('a', 'b');
    await startPoller({ CONCURRENCY_LIMIT: '1', PREFETCH_LIMIT: '2' });

    await clock.advance(INTERVAL_MS);
    await runner.finish('a');
    await clock.advance(0);

    expect(startedIds()).toEqual(['a', 'b']);
  });

  it('does not take again a task the API refused this replica', async () => {
    api.addPending('gone');
    const poller = await startPoller();
    await runner.end('gone', { kind: 'gone' });
    await clock.advance(0);
    expect(poller.isRunning('gone')).toBe(false);
    api.answerNext(pageOf(['gone', 'b']));

    poller.wake();
    await clock.advance(0);

    expect(startedIds()).toEqual(['gone', 'b']);
  });

  it('takes only its shard’s tasks with WORKER_SHARD', async () => {
    const all = ids(12, 'task-');
    api.addPending(...all);
    await startPoller({
      WORKER_SHARD: '0/2',
      CONCURRENCY_LIMIT: '20',
      PREFETCH_LIMIT: '0',
    });

    const taken = startedIds();
    expect(taken.length).toBeGreaterThan(0);
    expect(taken.length).toBeLessThan(all.length);
    expect(
      all
        .filter((id) => !taken.includes(id))
        .every((id) => api.stateOf(id) === 'pending'),
    ).toBe(true);
  });

  it('skips polls while the API’s breaker is open, says so once, and polls again after', async () => {
    api.addPending(...ids(10));
    await startPoller();
    api.breakerOpen = true;
    await runner.finishAll();
    await clock.advance(3 * INTERVAL_MS);
    const polls = api.polls.length;

    expect(logs.containing('tasks API circuit breaker open')).toHaveLength(1);
    expect(api.spinDetected).toBe(false);
    api.breakerOpen = false;
    await clock.advance(INTERVAL_MS);
    expect(api.polls.length).toBeGreaterThan(polls);
  });

  it('registers the poll readiness check', async () => {
    await startPoller();
    const [[name, check]] = readiness.entries();
    expect(name).toBe('poll');
    expect(() => check()).not.toThrow();
  });

  describe('shutting down', () => {
    it('stops polling, drops the buffer, and waits for running tasks to finish', async () => {
      api.addPending(...ids(4));
      const poller = await startPoller();
      const pollsBefore = api.polls.length;
      expect(buffer.size).toBe(2);

      const stopped = poller.beforeApplicationShutdown();
      expect(buffer.size).toBe(0);
      await clock.advance(SHUTDOWN_TIMEOUT_MS / 2);
      await runner.finishAll();
      await stopped;

      await clock.advance(3 * INTERVAL_MS);
      poller.wake();
      await clock.advance(0);
      expect(api.polls).toHaveLength(pollsBefore);
      expect(startedIds()).toEqual(['t0', 't1']);
      // The buffered tasks were never claimed: still pending in the API.
      expect(api.stateOf('t2')).toBe('pending');
      expect(
        logs.containing('stopped: 2 succeeded, 0 failed, 0 released'),
      ).toHaveLength(1);
    });

    it('starts nothing a poll in flight at shutdown brings back', async () => {
      const poller = await startPoller();
      api.holdPolls();
      api.addPending('a');
      poller.wake();

      const stopped = poller.beforeApplicationShutdown();
      api.answerHeldPolls();
      await stopped;
      await clock.advance(0);

      expect(api.polls).toHaveLength(2);
      expect(runner.started).toEqual([]);
      expect(api.stateOf('a')).toBe('pending');
    });

    it('releases what still runs when the grace period ends', async () => {
      api.addPending('a', 'b');
      const poller = await startPoller();

      const stopped = poller.beforeApplicationShutdown();
      await clock.advance(SHUTDOWN_TIMEOUT_MS - 1);
      expect(runner.running).toEqual(['a', 'b']);
      await clock.advance(1);
      await stopped;

      expect(runner.running).toEqual([]);
      expect(api.stateOf('a')).toBe('pending');
      expect(
        logs.containing('grace period over: releasing 2 unfinished task(s)'),
      ).toHaveLength(1);
      expect(
        logs.containing('stopped: 0 succeeded, 0 failed, 2 released'),
      ).toHaveLength(1);
    });

    it('releases every running task at once on a second signal, and polls no more', async () => {
      api.addPending('a', 'b', 'c');
      const poller = await startPoller();

      poller.releaseNow();
      await clock.advance(0);

      expect(runner.running).toEqual([]);
      expect(['a', 'b', 'c'].map((id) => api.stateOf(id))).toEqual([
        'pending',
        'pending',
        'pending',
      ]);
      await clock.advance(INTERVAL_MS);
      expect(api.polls).toHaveLength(1);
    });

    it('releases every running task on a crash, waiting at most the release grace', async () => {
      api.addPending('a');
      const poller = await startPoller();

      await poller.releaseAll();

      expect(api.stateOf('a')).toBe('pending');
    });
  });

  describe('in a run-once', () => {
    it('takes everything pending, then completes with the totals', async () => {
      api.addPending(...ids(6));
      const poller = await startPoller({ RUN_ONCE: 'true' });

      for (let round = 0; round < 10; round++) {
        await runner.finishAll();
        await clock.advance(0);
      }

      expect(await summaryOf(poller)).toEqual({
        succeeded: 6,
        failed: 0,
        released: 0,
        abandoned: 0,
        elapsedMs: 0,
        gaveUp: false,
      });
      expect(api.polls.length).toBeLessThanOrEqual(4);
    });

    it('does not take again a task it released, and completes', async () => {
      api.addPending('a', 'b');
      const poller = await startPoller({ RUN_ONCE: 'true' });

      await runner.finish('a', { kind: 'released', reason: 'provider down' });
      await runner.finish('b', { kind: 'released', reason: 'provider down' });
      await clock.advance(0);

      expect(startedIds()).toEqual(['a', 'b']);
      expect(await summaryOf(poller)).toMatchObject({
        released: 2,
        gaveUp: false,
      });
    });

    it('waits for what runs before it completes', async () => {
      api.addPending('a');
      const poller = await startPoller({ RUN_ONCE: 'true' });
      expect(await summaryOf(poller)).toBeUndefined();

      await runner.finishAll();
      await clock.advance(0);
      expect(await summaryOf(poller)).toMatchObject({ succeeded: 1 });
    });

    it('completes when the last task running at the give-up ends', async () => {
      api.answerNext(pageOf(['a']));
      api.failPolls(100);
      const poller = await startPoller({ RUN_ONCE: 'true' });
      for (let i = 0; i < 10; i++) await clock.advance(INTERVAL_MS);
      expect(api.polls).toHaveLength(1 + RUN_ONCE_POLL_ATTEMPTS);
      expect(await summaryOf(poller)).toBeUndefined();

      await runner.finish('a');
      expect(await summaryOf(poller)).toMatchObject({
        succeeded: 1,
        gaveUp: true,
      });
    });

    it(`gives up after ${RUN_ONCE_POLL_ATTEMPTS} failed polls and stops polling`, async () => {
      api.failPolls(100);
      const poller = await startPoller({ RUN_ONCE: 'true' });

      for (let i = 0; i < 10; i++) await clock.advance(INTERVAL_MS);

      expect(api.polls).toHaveLength(RUN_ONCE_POLL_ATTEMPTS);
      expect(await summaryOf(poller)).toMatchObject({ gaveUp: true });
      expect(clock.pendingWaits).toEqual([]);
    });
  });
});
