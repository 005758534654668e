import type { BenchContext } from '../lib/context.ts';
import { percentile, round, seededRandom } from '../lib/figures.ts';
import type { CaseResult } from '../lib/results.ts';
import { startSandbox } from '../lib/sandbox.ts';
import {
  recordedSettings,
  serviceEnvironment,
  startService,
} from '../lib/service.ts';

const SEED = 8;

/**
 * An idle service at its polling interval; tasks appear one by one at
 * random moments (the same moments every run). How long does a task wait
 * before it is claimed?
 */
export async function pickupLatency(
  context: BenchContext,
): Promise<CaseResult> {
  const count = context.quick ? 6 : 24;
  const windowMs = context.quick ? 15_000 : 90_000;
  const intervalSeconds = context.quick ? 5 : 30;
  const random = seededRandom(SEED);
  const offsets = Array.from({ length: count }, () =>
    Math.round(random() * windowMs),
  ).sort((a, b) => a - b);
  const sandboxEnv = { SANDBOX_KEEP_RESULTS: 'false' };
  const sandbox = await startSandbox(sandboxEnv);
  const ids: string[] = [];
  try {
    const env = serviceEnvironment(sandbox, 'mock', {
      POLLING_INTERVAL_SECONDS: String(intervalSeconds),
    });
    const { process: service } = await startService(env);
    try {
      context.log(
        `pickup-latency: ${count} tasks over ${windowMs / 1000} s, polling every ${intervalSeconds} s`,
      );
      const startedAt = Date.now();
      for (const offset of offsets) {
        const wait = startedAt + offset - Date.now();
        if (wait > 0) await new Promise((wake) => setTimeout(wake, wait));
        ids.push(await sandbox.createTask());
      }
      // Every task is claimed within one interval of its insertion, or something is wrong.
      const deadline = Date.now() + (intervalSeconds + 15) * 1000;
      let claimed = 0;
      while (Date.now() < deadline) {
        claimed = (await sandbox.stats()).claims;
        if (claimed >= count) break;
        await new Promise((wake) => setTimeout(wake, 250));
      }
      if (claimed < count)
        throw new Error(
          `only ${claimed} of ${count} tasks were claimed in time`,
        );
      if (!service.running) throw new Error('the service exited');
    } finally {
      await service.stop();
    }
    const wanted = new Set(ids);
    const pickups = (await sandbox.timings())
      .filter(
        (timing) => wanted.has(timing.id) && timing.firstClaimedAtMs !== null,
      )
      .map((timing) => timing.firstClaimedAtMs! - timing.createdAtMs);
    const stats = await sandbox.stats();
    const p50 = percentile(pickups, 50);
    const p95 = percentile(pickups, 95);
    const mean =
      pickups.reduce((sum, value) => sum + value, 0) / pickups.length;
    return {
      case: 'pickup-latency',
      settings: {
        tasks: count,
        insertionWindowSeconds: windowMs / 1000,
        insertionSeed: SEED,
        insertionOffsetsMs: offsets,
        service: recordedSettings(env),
        sandbox: sandboxEnv,
      },
      figures: {
        p50Ms: p50,
        p95Ms: p95,
        maxMs: Math.max(...pickups),
        meanMs: round(mean),
        pickupsMs: pickups,
        pollingIntervalMs: intervalSeconds * 1000,
        pendingCalls: stats.pendingCalls,
        succeeded: stats.tasks.succeeded,
      },
      targets: [],
      rows: [
        {
          case: 'pickup-latency',
          tasks: count,
          tasksPerSecond: null,
          figures: `insertion to claim p50 ${(p50 / 1000).toFixed(1)} s, p95 ${(p95 / 1000).toFixed(1)} s (interval ${intervalSeconds} s)`,
          target: '',
        },
      ],
      notes: [
        'With an idle service, a task waits for the next interval tick: expect about half the interval at p50 and 95% of it at p95.',
      ],
    };
  } finally {
    await sandbox.stop();
  }
}
