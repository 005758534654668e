import type { TestingModule } from '@nestjs/testing';
import { TasksApiClient } from '@app/api-client';
import { type Sandbox, startSandbox } from '../../../test/support/sandbox.js';
import { connectionEnvironment } from '../../../test/support/service-against-sandbox.js';
import { startLibraryModule } from '../../../test/support/library-module.js';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  defaultLifecycleTimings,
} from './lifecycle-timings.js';
import { StaleTaskSweeper } from './stale-task-sweeper.js';
import { TaskRunner } from './task-runner.js';
import { TasksModule } from './tasks.module.js';

const MINUTE = 60_000;

describe('task lifecycle pieces against the sandbox', () => {
  let sandbox: Sandbox;
  let app: TestingModule;
  let now: number;

  beforeEach(async () => {
    sandbox = await startSandbox();
    now = Date.now();
    const timings: LifecycleTimings = {
      ...defaultLifecycleTimings,
      deliveryRetryBaseMs: 1,
      deliveryRetryMaxMs: 2,
      pollRetryBaseMs: 1,
      staleSweepIntervalMs: 3_600_000,
      releaseGraceMs: 1_000,
      now: () => now,
    };
    app = await startLibraryModule({
      env: {
        ...connectionEnvironment(sandbox),
        EMBEDDING_PROVIDER: 'mock',
        POLLING_INTERVAL_SECONDS: '3600',
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '1000',
        STALE_TASK_TIMEOUT_SECONDS: '900',
        SHUTDOWN_TIMEOUT_SECONDS: '1',
      },
      imports: [TasksModule],
      overrides: [[LIFECYCLE_TIMINGS, timings]],
    });
    // The poller's start-up poll must not race the tests for their tasks.
    await vi.waitFor(() => expect(sandbox.stats().pendingCalls).toBe(1));
  });
  afterEach(async () => {
    await app.close();
    await sandbox.close();
  });

  const validTask = async (id: string) => {
    const page = await app.get(TasksApiClient).listByState('pending');
    return page.tasks.find((task) => task.id === id)!;
  };

  it('keeps a result the API did not take and delivers it when the API answers again', async () => {
    const [seeded] = sandbox.seed(1);
    const task = await validTask(String(seeded._id));
    sandbox.faults.error({ target: 'complete', status: 503, count: 3 });

    const result = await app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, new AbortController().signal);

    expect(result).toEqual({
      kind: 'finished',
      outcome: { kind: 'succeeded' },
    });
    expect(sandbox.task(task.id)).toMatchObject({ state: 'succeeded' });
    expect(sandbox.stats().requests.patch.byStatus['503']).toBe(3);
  });

  it('releases an undelivered result once the grace period ends', async () => {
    const [seeded] = sandbox.seed(1);
    const task = await validTask(String(seeded._id));
    sandbox.faults.error({ target: 'complete', status: 503 });
    const grace = new AbortController();

    const running = app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, grace.signal);
    await vi.waitFor(() =>
      expect(sandbox.stats().requests.patch.byStatus['503']).toBeGreaterThan(2),
    );
    grace.abort();

    expect(await running).toEqual({
      kind: 'finished',
      outcome: {
        kind: 'released',
        reason: 'result not delivered before shutdown',
      },
    });
    expect(sandbox.task(task.id)).toMatchObject({ state: 'pending' });
  });

  it('reports a refused completion failed once, never released (the result may be saved)', async () => {
    sandbox.updateSwitches({ callbacks: true });
    const seeded = sandbox.createTask({ legacy: true });
    const task = await validTask(String(seeded._id));

    const result = await app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, new AbortController().signal);

    expect(result).toEqual({
      kind: 'finished',
      outcome: { kind: 'failed', code: 'completion_refused' },
    });
    expect(sandbox.task(task.id)?.patches.map(({ state }) => state)).toEqual([
      'in_progress',
      'succeeded',
      'failed',
    ]);
    expect(sandbox.stats().releases).toBe(0);
  });

  it('does not release a task whose completion the app answered 500 when the grace period ends', async () => {
    sandbox.updateSwitches({ callbacks: true });
    const seeded = sandbox.createTask();
    sandbox.failCallbacks(String(seeded._id), { count: 1_000 });
    const task = await validTask(String(seeded._id));
    const grace = new AbortController();

    const running = app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, grace.signal);
    await vi.waitFor(() =>
      expect(sandbox.stats().callbacks.failures).toBeGreaterThan(2),
    );
    grace.abort();

    expect(await running).toMatchObject({
      kind: 'finished',
      outcome: { kind: 'abandoned' },
    });
    // Saved as succeeded by the API before its callback failed: it stays so.
    expect(sandbox.task(task.id)).toMatchObject({ state: 'succeeded' });
    expect(sandbox.stats().releases).toBe(0);
  });

  it('answers gone, without a second PATCH, when the task was deleted before the claim', async () => {
    sandbox.updateSwitches({ redirectNotFound: true });
    const [seeded] = sandbox.seed(1);
    const task = await validTask(String(seeded._id));
    sandbox.deleteTask(task.id);

    const result = await app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, new AbortController().signal);

    expect(result).toEqual({ kind: 'gone' });
    expect(sandbox.stats().requests.patch.total).toBe(1);
  });

  it('answers conflict, without an outcome, when another worker claimed first', async () => {
    sandbox.updateSwitches({ conflictOnClaim: true });
    const [seeded] = sandbox.seed(1);
    const task = await validTask(String(seeded._id));
    await app.get(TasksApiClient).claim(task.id);

    const result = await app
      .get(TaskRunner)
      .run({ kind: 'valid', task }, 1, new AbortController().signal);

    expect(result).toEqual({ kind: 'conflict' });
  });

  it('releases only tasks in_progress for longer than STALE_TASK_TIMEOUT_SECONDS', async () => {
    const tenMinutesAgo = new Date(now - 10 * MINUTE).toISOString();
    const [stuck] = sandbox.insertTasks([
      {
        type: 'text_embedding',
        state: 'in_progress',
        content: 'x',
        updatedAt: tenMinutesAgo,
      },
    ]);
    const sweeper = app.get(StaleTaskSweeper);

    expect(await sweeper.sweep()).toBe(0);
    expect(sandbox.task(String(stuck._id))).toMatchObject({
      state: 'in_progress',
    });

    now += 6 * MINUTE;
    expect(await sweeper.sweep()).toBe(1);
    expect(sandbox.task(String(stuck._id))).toMatchObject({ state: 'pending' });
  });
});
