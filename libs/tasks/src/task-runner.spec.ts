import { Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { TasksApiClient } from '@app/api-client';
import { METRIC } from '@app/observability';
import {
  type ProcessingResult,
  TaskProcessor,
  TaskProcessorHost,
} from '@app/processors';
import { type Sandbox, startSandbox } from '../../../test/support/sandbox.js';
import { connectionEnvironment } from '../../../test/support/service-against-sandbox.js';
import { startLibraryModule } from '../../../test/support/library-module.js';
import {
  LIFECYCLE_TIMINGS,
  defaultLifecycleTimings,
} from './lifecycle-timings.js';
import { TaskRunner } from './task-runner.js';
import { TasksModule } from './tasks.module.js';

/** Answers a result of `content.size` float32 values: as large as a task asks. */
@TaskProcessor('sized_result')
class SizedResultProcessor extends TaskProcessorHost {
  override process({
    content,
  }: {
    content: unknown;
  }): Promise<ProcessingResult> {
    const { size } = content as { size: number };
    return Promise.resolve({
      kind: 'succeeded',
      result: new Float32Array(size).fill(-0.0123456789),
    });
  }
}

@Module({ providers: [SizedResultProcessor] })
class SizedResultModule {}

/** The values a label takes across a metric's samples. */
async function labelValues(name: string, label: string): Promise<Set<string>> {
  const { values } = await register.getSingleMetric(name)!.get();
  return new Set(values.map((value) => String(value.labels[label])));
}

describe('TaskRunner against the sandbox', () => {
  let sandbox: Sandbox;
  let app: TestingModule | undefined;

  beforeEach(async () => {
    register.resetMetrics();
    sandbox = await startSandbox();
  });

  async function startApp(env: Record<string, string> = {}) {
    app = await startLibraryModule({
      env: {
        ...connectionEnvironment(sandbox),
        EMBEDDING_PROVIDER: 'mock',
        EMBEDDING_BATCH_WAIT_MS: '0',
        POLLING_INTERVAL_SECONDS: '3600',
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '1000',
        ...env,
      },
      imports: [TasksModule, SizedResultModule],
      overrides: [
        [
          LIFECYCLE_TIMINGS,
          {
            ...defaultLifecycleTimings,
            deliveryRetryBaseMs: 1,
            deliveryRetryMaxMs: 2,
            pollRetryBaseMs: 1,
            staleSweepIntervalMs: 3_600_000,
            releaseGraceMs: 1_000,
            now: () => Date.now(),
          },
        ],
      ],
    });
    // The poller's start-up poll must not race the tests for their tasks.
    await vi.waitFor(() => expect(sandbox.stats().pendingCalls).toBe(1));
  }
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await sandbox.close();
  });

  /** Inserts the documents and runs each through the runner, one after another. */
  async function run(documents: Record<string, unknown>[]) {
    const ids = sandbox
      .insertTasks(documents)
      .map((document) => String(document._id));
    const { tasks } = await app!.get(TasksApiClient).listByState('pending');
    const results = [];
    for (const id of ids) {
      const task = tasks.find((listed) => listed.id === id)!;
      results.push(
        await app!
          .get(TaskRunner)
          .run({ kind: 'valid', task }, 1, new AbortController().signal),
      );
    }
    return { ids, results };
  }

  it('fails a result over the request size limit with result_too_large, never sending it', async () => {
    await startApp();
    const {
      ids: [id],
      results: [result],
    } = await run([{ type: 'sized_result', content: { size: 10_000 } }]);

    expect(result).toEqual({
      kind: 'finished',
      outcome: { kind: 'failed', code: 'result_too_large' },
    });
    const task = sandbox.task(id)!;
    expect(task.patches!.map(({ state }) => state)).toEqual([
      'in_progress',
      'failed',
    ]);
    expect(task.error).toEqual({
      code: 'result_too_large',
      message: expect.stringMatching(
        /^the result is \d+ bytes as JSON, more than the 102400 bytes the tasks API accepts in one request \(API_MAX_REQUEST_BYTES\)$/,
      ) as string,
    });
    expect(await labelValues(METRIC.completionFailures, 'code')).not.toContain(
      'result_too_large',
    );
  });

  it('sends a result that fits', async () => {
    await startApp();
    const { results } = await run([
      { type: 'sized_result', content: { size: 3_072 } },
    ]);
    expect(results).toEqual([
      { kind: 'finished', outcome: { kind: 'succeeded' } },
    ]);
  });

  it('takes the limit from API_MAX_REQUEST_BYTES', async () => {
    await startApp({ API_MAX_REQUEST_BYTES: '200000' });
    const { results } = await run([
      { type: 'sized_result', content: { size: 10_000 } },
      { type: 'sized_result', content: { size: 20_000 } },
    ]);
    expect(results).toEqual([
      { kind: 'finished', outcome: { kind: 'succeeded' } },
      {
        kind: 'finished',
        outcome: { kind: 'failed', code: 'result_too_large' },
      },
    ]);
  });

  it('labels task_type with the types it handles, and unknown for any other', async () => {
    await startApp();
    await run([
      { type: 'text-embedding', content: 'legacy spelling' },
      { type: 'sized_result', content: { size: 1 } },
      ...Array.from({ length: 50 }, (_, index) => ({
        type: `invented_type_${index}`,
        content: 'x',
      })),
    ]);
    for (const name of [METRIC.tasksProcessed, METRIC.taskDuration])
      expect(await labelValues(name, 'task_type'), name).toEqual(
        new Set(['text_embedding', 'sized_result', 'unknown']),
      );
  });
});
