import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

const TASKS = 400;
/**
 * Each embeddings answer waits this long, so that one replica alone needs
 * seconds for the backlog (at most CONCURRENCY_LIMIT tasks per answer): the
 * second, started a fraction of a second later, always finds work left.
 */
const EMBEDDINGS_LATENCY_MS = 150;

describe('two replicas against one API (built services, OpenAI-compatible path)', () => {
  let sandbox: Sandbox | undefined;
  let replicas: RunningProcess[] = [];

  afterEach(async () => {
    for (const replica of replicas) expect((await replica.stop()).code).toBe(0);
    replicas = [];
    await sandbox?.close();
  });

  async function drainWithTwo(
    sandboxUnderTest: Sandbox,
    envs: Record<string, string>[],
  ) {
    sandbox = sandboxUnderTest;
    sandbox.seed(TASKS);
    for (const env of envs) {
      const { service } = await startServiceAgainst(sandbox, {
        openaiCompatible: true,
        env: {
          CONCURRENCY_LIMIT: '16',
          PREFETCH_LIMIT: '32',
          POLLING_INTERVAL_SECONDS: '1',
          ...env,
        },
      });
      replicas.push(service);
    }
    await waitUntil(
      () => sandbox!.stats().tasks.succeeded === TASKS,
      'every task succeeded',
      {
        timeoutMs: 60_000,
      },
    );
    const stats = sandbox.stats();
    expect(stats.tasks).toMatchObject({
      succeeded: TASKS,
      failed: 0,
      pending: 0,
      in_progress: 0,
    });
    expect(stats.tasksCompletedMoreThanOnce).toBe(0);
    expect(stats.embeddings.distinctTexts).toBe(TASKS);
    expect(stats.embeddings.textsEmbeddedMoreThanOnce).toBe(0);
    return stats;
  }

  it('with 409 claims: every text is embedded exactly once', async () => {
    const stats = await drainWithTwo(
      await startReferenceSandbox({
        conflictOnClaim: true,
        embeddingsLatencyMs: EMBEDDINGS_LATENCY_MS,
      }),
      [{}, {}],
    );
    // Both replicas worked; any overlap was settled by 409s, not by double work.
    expect(stats.claims).toBe(TASKS);
    for (const replica of replicas)
      expect(replica.stdout).toContain('"msg":"succeeded"');
  });

  it('without 409 claims, sharded by WORKER_SHARD: every text is embedded exactly once', async () => {
    const stats = await drainWithTwo(
      await startReferenceSandbox({
        conflictOnClaim: false,
        embeddingsLatencyMs: EMBEDDINGS_LATENCY_MS,
      }),
      [{ WORKER_SHARD: '0/2' }, { WORKER_SHARD: '1/2' }],
    );
    expect(stats.claims).toBe(TASKS);
    expect(stats.claimConflicts).toBe(0);
    for (const replica of replicas)
      expect(replica.stdout).toContain('"msg":"succeeded"');
  });
});
