import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

/** Callback parameters the reference server's dispatcher accepts (docs/contract.md §1). */
const USABLE_CALLBACK_PARAMS = {
  targetId: '6650f1c2a1b2c3d4e5f60719',
  field: 'embedding',
};

const allSucceededWithVectors = (sandbox: Sandbox, count: number) => {
  const stats = sandbox.stats();
  expect(stats.tasks).toMatchObject({
    succeeded: count,
    failed: 0,
    in_progress: 0,
    pending: 0,
  });
  for (const task of sandbox.tasks('succeeded'))
    expect(task.result).toHaveLength(1536);
};

describe('the task lifecycle under faults (built service against the sandbox)', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
  });

  it('rides out 503s from the whole API at start: nothing failed, nothing left in progress', async () => {
    sandbox.seed(100);
    sandbox.faults.error({ target: 'tasks', status: 503, durationMs: 3_000 });
    ({ service } = await startServiceAgainst(sandbox, {
      env: { POLLING_INTERVAL_SECONDS: '30', CONCURRENCY_LIMIT: '10' },
    }));
    await waitUntil(
      () => sandbox.stats().tasks.succeeded === 100,
      'every task succeeded',
    );
    allSucceededWithVectors(sandbox, 100);
    expect(sandbox.stats().requests.pending.byStatus['503']).toBeGreaterThan(0);
  });

  it('keeps computed results while only deliveries fail, then delivers them', async () => {
    sandbox.seed(60);
    sandbox.faults.error({
      target: 'complete',
      status: 503,
      durationMs: 4_000,
    });
    ({ service } = await startServiceAgainst(sandbox, {
      env: { CONCURRENCY_LIMIT: '20', PREFETCH_LIMIT: '0' },
    }));
    await waitUntil(
      () => sandbox.stats().tasks.succeeded === 60,
      'every task succeeded',
      // Well before the 30 s interval: recovery never waits for a tick.
      { timeoutMs: 20_000 },
    );
    allSucceededWithVectors(sandbox, 60);
    const stats = sandbox.stats();
    // The deliveries really failed first, and no task was given back.
    expect(stats.requests.patch.byStatus['503']).toBeGreaterThan(0);
    expect(stats.releases).toBe(0);
    expect(stats.tasksCompletedMoreThanOnce).toBe(0);
  });

  it('releases tasks while the provider is down, and takes them again later', async () => {
    sandbox.seed(3);
    sandbox.faults.error({ target: 'embeddings', status: 503, count: 2 });
    ({ service } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: { POLLING_INTERVAL_SECONDS: '1', MAX_RETRIES: '1' },
    }));
    await waitUntil(
      () => sandbox.stats().tasks.succeeded === 3,
      'every task succeeded',
    );
    expect(sandbox.stats().releases).toBeGreaterThan(0);
    allSucceededWithVectors(sandbox, 3);
  });

  it('fails the bad tasks of a page with codes and completes the good ones', async () => {
    const good = sandbox.seed(5);
    const [noText, wrongType, badContent, tooLong, badDimensions] =
      sandbox.insertTasks([
        {
          type: 'text_embedding',
          state: 'pending',
          content: { text: '   ', model: 'text-embedding-3-small' },
        },
        { type: 'image_caption', state: 'pending', content: { text: 'a cat' } },
        { type: 'text_embedding', state: 'pending', content: 42 },
        {
          type: 'text_embedding',
          state: 'pending',
          content: {
            text: 'word '.repeat(9_000),
            model: 'text-embedding-3-small',
          },
        },
        {
          type: 'text-embedding',
          state: 'pending',
          content: {
            text: 'fine',
            model: 'text-embedding-ada-002',
            dimensions: 64,
          },
        },
      ]);
    // A legacy *content* shape (type spelling, bare-string content) with usable
    // callbackParams: the point is the content. Inserted without them, the
    // reference server's callback would refuse its result (400 Invalid callback
    // parameters) and it would end failed with completion_refused, as
    // test/reference-server.e2e-spec.ts shows for legacy `{documentId}` params.
    const legacy = sandbox.insertTasks([
      {
        type: 'text-embedding',
        state: 'pending',
        content: 'a legacy bare string',
        callbackRoute: 'verification_update_embedding',
        callbackParams: USABLE_CALLBACK_PARAMS,
      },
    ]);
    ({ service } = await startServiceAgainst(sandbox, {
      env: { POLLING_INTERVAL_SECONDS: '1' },
    }));
    await waitUntil(
      () =>
        sandbox.stats().tasks.pending === 0 &&
        sandbox.stats().tasks.in_progress === 0,
      'the page is worked off',
    );

    const codeOf = (id: unknown) =>
      (sandbox.task(String(id))?.error as { code?: string } | undefined)?.code;
    expect(codeOf(noText._id)).toBe('invalid_content');
    expect(codeOf(wrongType._id)).toBe('unsupported_task_type');
    expect(codeOf(badContent._id)).toBe('invalid_task');
    expect(codeOf(tooLong._id)).toBe('text_too_long');
    expect(codeOf(badDimensions._id)).toBe('unsupported_dimensions');
    for (const task of [...good, ...legacy]) {
      expect(sandbox.task(String(task._id))).toMatchObject({
        state: 'succeeded',
      });
    }
    for (const task of sandbox.tasks('failed')) {
      expect(
        (task.error as { message: string }).message.length,
      ).toBeGreaterThan(10);
    }
    // The service runs on: a task created now is still taken at the next poll.
    const [late] = sandbox.seed(1);
    await waitUntil(
      () => sandbox.task(String(late._id))?.state === 'succeeded',
      'a later task succeeded',
    );
  });

  it('recovers a task stuck in_progress for an hour, and it succeeds', async () => {
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const [stuck] = sandbox.insertTasks([
      {
        type: 'text_embedding',
        state: 'in_progress',
        content: {
          text: 'left behind by a crashed worker',
          model: 'text-embedding-3-small',
        },
        // As a real task has them: the callback takes the result when it succeeds.
        callbackRoute: 'verification_update_embedding',
        callbackParams: USABLE_CALLBACK_PARAMS,
        createdAt: anHourAgo,
        updatedAt: anHourAgo,
      },
    ]);
    ({ service } = await startServiceAgainst(sandbox, {
      env: { POLLING_INTERVAL_SECONDS: '30' },
    }));
    await waitUntil(
      () => sandbox.task(String(stuck._id))?.state === 'succeeded',
      'the stuck task succeeded',
    );
    expect(sandbox.task(String(stuck._id))?.result).toHaveLength(1536);
    expect(service.stdout).toContain('released a task stuck in_progress');
  });
});
