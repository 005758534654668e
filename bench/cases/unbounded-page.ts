import { type BenchContext, profileArgs } from '../lib/context.ts';
import {
  drainWithService,
  measureIdleService,
  outcomeFigures,
} from '../lib/drain.ts';
import { round } from '../lib/figures.ts';
import type { CaseResult } from '../lib/results.ts';
import { startSandbox } from '../lib/sandbox.ts';
import {
  IMAGE_NODE_OPTIONS,
  recordedSettings,
  serviceEnvironment,
} from '../lib/service.ts';

const CONCURRENCY_LIMIT = 256;
const PREFETCH_LIMIT = 256;
const PEAK_RSS_TARGET_MIB = 256;

/**
 * The reference application ignores `limit`: every poll answers the whole
 * backlog. The service must read only what it can hold, with the
 * production image's heap budget.
 */
export async function unboundedPage(
  context: BenchContext,
): Promise<CaseResult> {
  const tasks = context.quick ? 2_000 : 20_000;
  const sandboxEnv = {
    SANDBOX_HONOUR_LIMIT: 'false',
    SANDBOX_KEEP_RESULTS: 'false',
  };
  const sandbox = await startSandbox(sandboxEnv);
  try {
    const env = serviceEnvironment(sandbox, 'mock', {
      CONCURRENCY_LIMIT: String(CONCURRENCY_LIMIT),
      PREFETCH_LIMIT: String(PREFETCH_LIMIT),
    });
    context.log('unbounded-page: the idle service, for its baseline memory');
    const idle = await measureIdleService(sandbox, env, context.clockTick);
    await sandbox.reset();
    context.log(`unbounded-page: ${tasks} pending tasks, limit ignored`);
    await sandbox.seed(tasks);
    const run = await drainWithService(sandbox, env, {
      tasks,
      timeoutMs: context.quick ? 60_000 : 240_000,
      clockTick: context.clockTick,
      nodeArgs: profileArgs(context, 'unbounded-page'),
    });
    const { stats } = run;
    const pending = stats.requests.pending;
    const idealCalls = tasks / (CONCURRENCY_LIMIT + PREFETCH_LIMIT);
    return {
      case: 'unbounded-page',
      settings: {
        tasks,
        service: recordedSettings(env),
        sandbox: sandboxEnv,
      },
      figures: {
        peakRssMiB: run.peakRssMiB,
        idleRssMiB: idle.idleRssMiB,
        peakHeap: run.peakHeap,
        metricsScrapeFailures: run.metricsScrapeFailures,
        idleHeap: idle.idleHeap,
        drainSeconds: run.wallSeconds,
        processingSeconds: run.processingSeconds,
        tasksPerSecond: run.tasksPerSecond,
        pendingCalls: stats.pendingCalls,
        idealPendingCalls: round(idealCalls),
        pendingBytesWrittenBySandbox: pending?.bytesOut ?? 0,
        pendingBytesPerCall: round(
          (pending?.bytesOut ?? 0) / Math.max(1, stats.pendingCalls),
        ),
        serviceCpuSeconds: run.serviceCpuSeconds,
        sandboxCpuSeconds: run.sandboxCpuSeconds,
        ...outcomeFigures(run),
      },
      targets: [
        {
          goal: `peak RSS < ${PEAK_RSS_TARGET_MIB} MiB with NODE_OPTIONS="${IMAGE_NODE_OPTIONS}"`,
          met: run.peakRssMiB < PEAK_RSS_TARGET_MIB,
        },
      ],
      rows: [
        {
          case: 'unbounded-page',
          tasks,
          tasksPerSecond: run.tasksPerSecond,
          figures: `peak RSS ${Math.round(run.peakRssMiB)} MiB (idle ${Math.round(idle.idleRssMiB)}); drained in ${run.wallSeconds} s; ${stats.pendingCalls} /pending calls`,
          target: '',
        },
      ],
      notes: [
        'drainSeconds runs from spawning the service to the sandbox reporting every task ended (start-up included).',
        'pendingBytesWrittenBySandbox counts what the sandbox wrote before the service closed each /pending answer it stopped reading.',
      ],
    };
  } finally {
    await sandbox.stop();
  }
}
