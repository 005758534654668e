import { waitUntil } from './support/eventually.js';
import {
  type Sandbox,
  type TaskDocument,
  startSandbox,
} from './support/sandbox.js';
import {
  serviceEnvironment,
  startServiceAgainst,
} from './support/service-against-sandbox.js';
import {
  type RunningProcess,
  SERVICE_ENTRY,
  startProcess,
} from './support/service-process.js';

const SUMMARY =
  /^(\d+) succeeded, (\d+) failed, (\d+) released in (\d+\.\d) s$/m;
const LEGACY_PARAMS = { documentId: '6650f1c2a1b2c3d4e5f60719' };

/** The states a task was PATCHed to, with the status each PATCH was answered. */
const patchesOf = (task: TaskDocument | undefined) =>
  (task?.patches ?? []).map(({ state, status }) => `${state} ${status}`);

/** Runs the built service with --once against the sandbox; resolves with its exit and output. */
async function runOnce(sandbox: Sandbox, env: Record<string, string> = {}) {
  const run = startProcess(
    SERVICE_ENTRY,
    serviceEnvironment(sandbox, {
      openaiCompatible: true,
      env: { METRICS_PORT: '0', ...env },
    }),
    ['--once'],
  );
  const exit = await run.exited;
  return { exit, run };
}

describe('against the reference profile: the real server behaviours', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
  });

  it('embeds each text once when callbacks are refused or fail twice, and never sets a task back to pending', async () => {
    sandbox = await startSandbox({ profile: 'reference' });
    const refused = Array.from({ length: 4 }, () =>
      sandbox.createTask({ callbackParams: LEGACY_PARAMS }),
    );
    const flaky = Array.from({ length: 4 }, () => sandbox.createTask());
    for (const task of flaky)
      sandbox.failCallbacks(String(task._id), { count: 2, status: 500 });
    const plain = Array.from({ length: 4 }, () => sandbox.createTask());

    const { exit, run } = await runOnce(sandbox, { CONCURRENCY_LIMIT: '4' });

    expect(exit).toEqual({ code: 0, signal: null });
    expect(SUMMARY.exec(run.stdout)?.slice(1, 4)).toEqual(['8', '4', '0']);
    const embeddings = sandbox.stats().embeddings;
    expect(embeddings.distinctTexts).toBe(12);
    expect(embeddings.textsEmbeddedMoreThanOnce).toBe(0);
    for (const { _id } of refused) {
      const task = sandbox.task(String(_id));
      expect(task).toMatchObject({
        state: 'failed',
        error: {
          code: 'completion_refused',
          message: expect.stringContaining('Invalid callback parameters'),
        },
      });
      // Saved as succeeded, refused by the callback, reported failed: then nothing more.
      expect(patchesOf(task)).toEqual([
        'in_progress 200',
        'succeeded 400',
        'failed 200',
      ]);
    }
    for (const { _id } of flaky) {
      const task = sandbox.task(String(_id));
      expect(task).toMatchObject({ state: 'succeeded', callbackDispatches: 3 });
      expect(patchesOf(task)).toEqual([
        'in_progress 200',
        'succeeded 500',
        'succeeded 500',
        'succeeded 200',
      ]);
    }
    for (const { _id } of plain)
      expect(patchesOf(sandbox.task(String(_id)))).toEqual([
        'in_progress 200',
        'succeeded 200',
      ]);
    expect(sandbox.stats().releases).toBe(0);
    expect(run.stdout).not.toContain('sk-sandbox-key');
  });

  it('fails a completion whose callback keeps failing once the bounded time is over, and frees its slot', async () => {
    sandbox = await startSandbox({ profile: 'reference' });
    const stuck = sandbox.createTask();
    sandbox.failCallbacks(String(stuck._id), { count: 1_000_000 });
    let baseUrl: string;
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: {
        COMPLETION_FAILURE_TIMEOUT_SECONDS: '2',
        POLLING_INTERVAL_SECONDS: '1',
        CONCURRENCY_LIMIT: '1',
      },
    }));
    const failed = await waitUntil(
      () => sandbox.tasks('failed').find(({ _id }) => _id === stuck._id),
      'the stuck completion was reported failed',
    );
    expect(failed.error).toMatchObject({
      code: 'completion_failed',
      message: expect.stringContaining('500'),
    });
    // The one slot is free again: a task created now succeeds.
    const next = sandbox.createTask();
    await waitUntil(
      () => sandbox.task(String(next._id))?.state === 'succeeded',
      'the next task succeeded in the freed slot',
    );
    expect(patchesOf(sandbox.task(String(stuck._id)))).not.toContain(
      'pending 200',
    );
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^ai_task_completion_failures_total\{code="completion_failed"\} 1$/m,
    );
  });

  it('drains under the throttle: nothing failed or released for a 429, few 429s, close to the bound', async () => {
    const limit = 100;
    const ttlMs = 2_000;
    sandbox = await startSandbox({
      profile: 'reference',
      throttleLimit: limit,
      throttleTtlMs: ttlMs,
    });
    sandbox.seed(150);

    const { exit, run } = await runOnce(sandbox, {
      EMBEDDING_PROVIDER: 'mock',
      CONCURRENCY_LIMIT: '10',
    });

    expect(exit).toEqual({ code: 0, signal: null });
    const [succeeded, failed, released, seconds] = SUMMARY.exec(run.stdout)!
      .slice(1)
      .map(Number);
    expect([succeeded, failed, released]).toEqual([150, 0, 0]);
    const stats = sandbox.stats();
    expect(stats.tasks).toMatchObject({ succeeded: 150, pending: 0 });
    expect(stats.releases).toBe(0);
    const api = ['pending', 'list', 'patch', 'create'] as const;
    const answers = api.reduce(
      (sum, route) => sum + stats.requests[route].total,
      0,
    );
    const throttled = stats.throttled;
    expect(throttled / answers).toBeLessThanOrEqual(0.05);
    // The bound: the requests the drain needed, at the rate the throttle allows.
    const boundSeconds = (answers - throttled) / (limit / (ttlMs / 1000));
    expect(seconds).toBeLessThanOrEqual(1.5 * boundSeconds);
  });

  it('skips a task deleted between listing and claim: one PATCH, and the service stays healthy', async () => {
    sandbox = await startSandbox({ profile: 'reference' });
    const [doomed, kept] = sandbox.seed(2);
    // Claims wait a second in the API, so the deletion lands between listing and claim.
    sandbox.faults.latency({ target: 'claim', ms: 1_000 });
    let baseUrl: string;
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      env: { POLLING_INTERVAL_SECONDS: '1' },
    }));
    await waitUntil(() => sandbox.stats().pendingCalls > 0, 'the first poll');
    expect(sandbox.deleteTask(doomed._id)).toBe(true);
    sandbox.faults.reset();

    await waitUntil(
      () => sandbox.task(kept._id)?.state === 'succeeded',
      'the other task succeeded',
    );
    await service.waitForLog(
      (line) =>
        line.taskId === doomed._id &&
        String(line.msg).startsWith('skipped: the task was deleted'),
    );
    // Several polls later: never claimed again.
    const polls = sandbox.stats().pendingCalls;
    await waitUntil(
      () => sandbox.stats().pendingCalls >= polls + 2,
      'two more polls',
      { timeoutMs: 10_000 },
    );
    const stats = sandbox.stats();
    expect(stats.redirects).toBe(1);
    // One claim of the deleted task; a claim and a completion of the other.
    expect(stats.requests.patch.total).toBe(3);
    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${baseUrl}/ready`);
    expect(ready.status).toBe(200);
  });

  it.each([
    [
      'a wrong token authentication method',
      { OAUTH2_TOKEN_AUTH_METHOD: 'client_secret_post' },
      'set OAUTH2_TOKEN_AUTH_METHOD=client_secret_basic',
    ],
    [
      'a refused scope',
      { OAUTH2_SCOPE: 'read write admin' },
      'set OAUTH2_SCOPE to scopes the client is allowed',
    ],
  ])('names %s in readiness at start-up', async (_what, env, reason) => {
    sandbox = await startSandbox({ profile: 'reference' });
    let baseUrl: string;
    ({ service, baseUrl } = await startServiceAgainst(sandbox, { env }));
    const answer = await waitUntil(async () => {
      const response = await fetch(`${baseUrl}/ready`);
      const body = (await response.json()) as {
        error?: Record<string, { reason?: string }>;
      };
      return response.status === 503 && body.error?.token?.reason
        ? body.error.token.reason
        : undefined;
    }, 'readiness names the token problem');
    expect(answer).toContain(reason);
    expect(answer).not.toContain(sandbox.clientSecret);
  });
});
