import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '@app/budgets/testing';
import { waitUntil } from './support/eventually.js';
import { clockStartingAt } from './support/faked-clock.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

const AGENT =
  'ai-task-processor-tests/1.0 (https://example.org/ai-task-processor)';
const LOCAL_MODEL = 'dengcao/Qwen3-Embedding-0.6B:Q8_0';

/** Two named providers on the sandbox's two paths, no OpenAI key. */
const twoProviders = (sandbox: Sandbox): Record<string, string> => ({
  EMBEDDING_PROVIDER: 'auto',
  PROVIDER_LOCAL_BASE_URL: sandbox.providerUrl('local'),
  PROVIDER_CLOUD_BASE_URL: sandbox.providerUrl('cloud'),
  PROVIDER_CLOUD_API_KEY: 'sk-sandbox-key',
  WIKIDATA_API_URL: sandbox.wikidataUrl,
  WIKIDATA_USER_AGENT: AGENT,
  POLLING_INTERVAL_SECONDS: '1',
});

const settled = (sandbox: Sandbox, count: number) => () => {
  const { tasks } = sandbox.stats();
  return tasks.succeeded + tasks.failed === count && tasks.in_progress === 0;
};

describe('providers by model (built service against the sandbox)', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox({
      embeddingsApiKey: 'sk-sandbox-key',
      providers: { local: { apiKey: 'none' } },
    });
  });
  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
  });

  it("sends each task's request to the provider its route names; a model no route serves fails unknown_model", async () => {
    const local = sandbox.seed(6, { model: LOCAL_MODEL });
    const cloud = sandbox.seed(6, { model: 'text-embedding-3-small' });
    const chat = sandbox.createTask({
      type: 'defining_topics',
      text: 'Jair Bolsonaro falou sobre a Vacina em Brasília.',
      model: 'qwen3:8b',
    });
    const stray = sandbox.createTask({ model: 'mystery-embedder' });
    ({ service } = await startServiceAgainst(sandbox, {
      env: {
        ...twoProviders(sandbox),
        MODEL_ROUTES:
          'dengcao/*=local,qwen*=local,text-embedding-3-*=cloud,gpt-*=cloud',
      },
    }));
    await waitUntil(settled(sandbox, 14), 'every task finished');

    const { providers } = sandbox.stats();
    expect(Object.keys(providers.local.byModel).sort()).toEqual([
      LOCAL_MODEL,
      'qwen3:8b',
    ]);
    expect(Object.keys(providers.cloud.byModel)).toEqual([
      'text-embedding-3-small',
    ]);
    for (const task of [...local, ...cloud, chat])
      expect(sandbox.task(String(task._id)), String(task.type)).toMatchObject({
        state: 'succeeded',
      });
    expect(sandbox.task(String(stray._id))).toMatchObject({
      state: 'failed',
      error: {
        code: 'unknown_model',
        message: expect.stringContaining(
          'no provider serves model "mystery-embedder"',
        ),
      },
    });
  });
});

describe('pacing under a provider rate limit (built service against the sandbox)', () => {
  it('drains 2,000 tasks with fewer than 2% of requests answered 429, within 1.3 times what the limits allow', async () => {
    // A "minute" of 1 s: 60 requests and 6,000 tokens a window.
    const WINDOW_MS = 1_000;
    const RPM = 60;
    const TPM = 6_000;
    const sandbox = await startReferenceSandbox({
      providers: {
        local: { apiKey: 'none', rpm: RPM, tpm: TPM, windowMs: WINDOW_MS },
      },
    });
    let service: RunningProcess | undefined;
    try {
      sandbox.seed(2_000, { model: LOCAL_MODEL });
      ({ service } = await startServiceAgainst(sandbox, {
        env: {
          ...twoProviders(sandbox),
          MODEL_ROUTES: '*=local',
          // The rates as the service is told them, per minute; it learns
          // the same from the answers' x-ratelimit-* headers.
          PROVIDER_LOCAL_RPM: String((RPM * 60_000) / WINDOW_MS),
          PROVIDER_LOCAL_TPM: String((TPM * 60_000) / WINDOW_MS),
          CONCURRENCY_LIMIT: '64',
          EMBEDDING_BATCH_SIZE: '8',
        },
      }));
      await waitUntil(settled(sandbox, 2_000), 'the backlog drained', {
        timeoutMs: 120_000,
        intervalMs: 200,
      });
      const { tasks, providers } = sandbox.stats();
      expect(tasks).toMatchObject({ succeeded: 2_000, failed: 0 });
      const local = providers.local;
      const answered = local.byModel[LOCAL_MODEL].byStatus;
      const accepted = answered['200'] ?? 0;
      expect(local.throttled / local.requests).toBeLessThan(0.02);

      const timings = sandbox.timings();
      const start = Math.min(
        ...timings.map((t) => t.firstClaimedAtMs ?? Infinity),
      );
      const end = Math.max(...timings.map((t) => t.completedAtMs ?? 0));
      const allowedMs =
        Math.max(local.tokens / TPM, accepted / RPM) * WINDOW_MS;
      expect((end - start) / allowedMs).toBeLessThan(1.3);
    } finally {
      if (service) expect((await service.stop()).code).toBe(0);
      await sandbox.close();
    }
  });
});

/** `/ready`'s reason for the `budget` check, or undefined while it is up. */
async function budgetReason(baseUrl: string): Promise<string | undefined> {
  const ready = (await (await fetch(`${baseUrl}/ready`)).json()) as {
    error?: Record<string, { reason?: string }>;
  };
  return ready.error?.budget?.reason;
}

describe('spending budgets (built service against the sandbox)', () => {
  let sandbox: Sandbox;
  let dir: string;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox({
      providers: { local: { apiKey: 'none' } },
    });
    dir = mkdtempSync(join(tmpdir(), 'budgets-'));
  });
  afterEach(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const budgetEnv = (env: Record<string, string> = {}) => ({
    ...twoProviders(sandbox),
    MODEL_ROUTES: '*=local',
    BUDGET_DAY_TOKENS: '400',
    BUDGET_STORE: `sqlite:${join(dir, 'budgets.sqlite')}`,
    ...env,
  });
  const counts = () => sandbox.stats().tasks;

  it('stops at a used-up daily budget with nothing failed, stays stopped after a restart, and resumes when the day rolls over', async () => {
    sandbox.seed(60, { model: LOCAL_MODEL });
    // The service's clock (libfaketime) starts 25 s before midnight UTC.
    let started = await startServiceAgainst(sandbox, {
      env: budgetEnv(clockStartingAt('2026-12-01 23:59:35')),
    });
    await waitUntil(
      async () => (await budgetReason(started.baseUrl)) !== undefined,
      '/ready says the budget is used up',
    );
    expect(await budgetReason(started.baseUrl)).toBe(
      'the daily token budget (400) is used up until 2026-12-02T00:00:00.000Z',
    );
    await waitUntil(() => counts().in_progress === 0, 'nothing in progress');
    const firstDay = counts();
    expect(firstDay.failed).toBe(0);
    expect(firstDay.succeeded).toBeGreaterThan(0);
    expect(firstDay.pending).toBe(60 - firstDay.succeeded);
    expect((await started.service.stop()).code).toBe(0);

    // Restarted on the same day: the usage was kept.
    started = await startServiceAgainst(sandbox, {
      env: budgetEnv(clockStartingAt('2026-12-01 23:00:00')),
    });
    await waitUntil(
      async () => (await budgetReason(started.baseUrl)) !== undefined,
      '/ready says the budget is still used up',
    );
    await waitUntil(() => counts().in_progress === 0, 'nothing in progress');
    expect(counts().succeeded).toBe(firstDay.succeeded);
    expect((await started.service.stop()).code).toBe(0);

    // Running when midnight passes on its clock: work resumes by itself.
    started = await startServiceAgainst(sandbox, {
      env: budgetEnv(clockStartingAt('2026-12-01 23:59:57')),
    });
    try {
      await waitUntil(
        () => counts().succeeded > firstDay.succeeded,
        'tasks succeed again on the new day',
        { timeoutMs: 30_000 },
      );
      expect(counts().failed).toBe(0);
    } finally {
      expect((await started.service.stop()).code).toBe(0);
    }
  });

  it('shares one budget between two replicas through Redis: together they never exceed it', async () => {
    const redis = await startRedisServer();
    const replicas: RunningProcess[] = [];
    try {
      sandbox.seed(200, { model: LOCAL_MODEL });
      const env = budgetEnv({
        BUDGET_DAY_TOKENS: '1500',
        BUDGET_STORE: 'redis',
        REDIS_URL: redis.url,
        CONCURRENCY_LIMIT: '16',
      });
      const both = await Promise.all([
        startServiceAgainst(sandbox, { env }),
        startServiceAgainst(sandbox, { env }),
      ]);
      replicas.push(...both.map(({ service }) => service));
      for (const { baseUrl } of both)
        await waitUntil(
          async () => (await budgetReason(baseUrl)) !== undefined,
          'both replicas say the budget is used up',
        );
      await waitUntil(() => counts().in_progress === 0, 'nothing in progress');
      const { tasks, providers } = sandbox.stats();
      expect(tasks.failed).toBe(0);
      expect(tasks.succeeded).toBeGreaterThan(0);
      expect(tasks.pending).toBe(200 - tasks.succeeded);
      expect(providers.local.tokens).toBeLessThanOrEqual(1_500);
    } finally {
      for (const replica of replicas)
        expect((await replica.stop()).code).toBe(0);
      await redis.stop();
    }
  });
});
