import { imageNodeOptions } from './support/dockerfile.js';
import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import {
  peakRssMiB,
  startServiceAgainst,
} from './support/service-against-sandbox.js';

/** The heap budget the image runs the service with: memory is measured as deployed. */
const IMAGE_NODE_OPTIONS = imageNodeOptions();

describe('draining a backlog (built service against the sandbox)', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('drains 1,000 tasks without waiting for interval ticks', async () => {
    sandbox.seed(1000);
    const started = Date.now();
    const { service } = await startServiceAgainst(sandbox, {
      env: {
        POLLING_INTERVAL_SECONDS: '30',
        CONCURRENCY_LIMIT: '20',
        PREFETCH_LIMIT: '100',
      },
    });
    try {
      await waitUntil(
        () => sandbox.stats().tasks.succeeded === 1000,
        'all 1,000 tasks succeeded',
        {
          timeoutMs: 25_000,
        },
      );
      // Well inside the first 30 s interval: the backlog never waited for a tick.
      expect(Date.now() - started).toBeLessThan(15_000);
      const stats = sandbox.stats();
      expect(stats.tasks).toMatchObject({
        pending: 0,
        in_progress: 0,
        failed: 0,
      });
      expect(stats.tasksCompletedMoreThanOnce).toBe(0);
      // O(N) transfer: about one /pending call per (capacity + buffer) tasks.
      expect(stats.pendingCalls).toBeLessThanOrEqual(
        Math.ceil(1000 / 120) * 2 + 2,
      );
      for (const task of sandbox.tasks('succeeded').slice(0, 20)) {
        expect(task.result).toHaveLength(1536);
      }
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
  });

  it('drains a 20,000-task /pending answer (limit ignored) with bounded memory and few polls', async () => {
    // 20,000 stored vectors would weigh on the test process, not on the service.
    sandbox.updateSwitches({ keepResults: false });
    sandbox.seed(20_000);
    const concurrency = 64;
    const prefetch = 256;
    const { service } = await startServiceAgainst(sandbox, {
      env: {
        CONCURRENCY_LIMIT: String(concurrency),
        PREFETCH_LIMIT: String(prefetch),
        NODE_OPTIONS: IMAGE_NODE_OPTIONS,
      },
    });
    try {
      expect(IMAGE_NODE_OPTIONS).toContain('--max-old-space-size');
      expect(sandbox.switches().honourLimit).toBe(false);
      await waitUntil(
        () => sandbox.stats().tasks.succeeded === 20_000,
        'all 20,000 tasks succeeded',
        {
          timeoutMs: 100_000,
          intervalMs: 250,
        },
      );
      const peak = await peakRssMiB(service.child.pid!);
      const { pendingCalls } = sandbox.stats();
      const ideal = 20_000 / (concurrency + prefetch);
      console.log(
        `20,000 tasks: peak RSS ${peak.toFixed(0)} MiB, ${pendingCalls} /pending calls (ideal ${ideal.toFixed(1)})`,
      );
      expect(peak).toBeLessThan(256);
      expect(pendingCalls).toBeLessThanOrEqual(Math.ceil(ideal * 1.5) + 3);
      expect(sandbox.stats().tasksCompletedMoreThanOnce).toBe(0);
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
  });
});
