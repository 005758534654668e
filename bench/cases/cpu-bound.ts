import { type BenchContext, profileArgs } from '../lib/context.ts';
import {
  drainWithService,
  measureIdleService,
  outcomeFigures,
} from '../lib/drain.ts';
import { round } from '../lib/figures.ts';
import type { CaseResult, Row } from '../lib/results.ts';
import { type SandboxStats, startSandbox } from '../lib/sandbox.ts';
import { recordedSettings, serviceEnvironment } from '../lib/service.ts';

/** The default, and one that keeps the process busy. */
const CONCURRENCY_LIMITS = [5, 64];

/** Routes the service sends bodies to; the sandbox's own introspection calls are not the service's. */
const SERVICE_ROUTES = ['pending', 'list', 'patch', 'token', 'embeddings'];

function bytesPerTask(stats: SandboxStats, direction: 'bytesIn' | 'bytesOut') {
  const completed = stats.completions;
  const perRoute: Record<string, number> = {};
  let total = 0;
  for (const route of SERVICE_ROUTES) {
    const bytes = stats.requests[route]?.[direction] ?? 0;
    total += bytes;
    if (bytes > 0) perRoute[route] = round(bytes / completed);
  }
  return { total: round(total / completed), perRoute };
}

/**
 * Mock embeddings: nothing waits on a provider, so the service's own CPU
 * (and the sandbox's, on the same cores) sets the pace.
 */
export async function cpuBound(context: BenchContext): Promise<CaseResult> {
  const tasks = context.quick ? 1_000 : 10_000;
  const sandboxEnv = { SANDBOX_KEEP_RESULTS: 'false' };
  const runs: Record<string, unknown>[] = [];
  const rows: Row[] = [];
  let settings: Record<string, string> = {};
  for (const concurrency of CONCURRENCY_LIMITS) {
    const sandbox = await startSandbox(sandboxEnv);
    try {
      const env = serviceEnvironment(sandbox, 'mock', {
        CONCURRENCY_LIMIT: String(concurrency),
      });
      settings = recordedSettings(env);
      context.log(`cpu-bound: CONCURRENCY_LIMIT ${concurrency}, start-up CPU`);
      const idle = await measureIdleService(sandbox, env, context.clockTick);
      const startup = idle.startupCpuSeconds;
      await sandbox.reset();
      context.log(
        `cpu-bound: CONCURRENCY_LIMIT ${concurrency}, ${tasks} tasks`,
      );
      await sandbox.seed(tasks);
      const run = await drainWithService(sandbox, env, {
        tasks,
        timeoutMs: context.quick ? 60_000 : 180_000,
        clockTick: context.clockTick,
        startupCpuSeconds: startup,
        nodeArgs: profileArgs(context, `cpu-bound-${concurrency}`),
      });
      const { stats } = run;
      const sent = bytesPerTask(stats, 'bytesIn');
      const received = bytesPerTask(stats, 'bytesOut');
      runs.push({
        concurrencyLimit: concurrency,
        tasksPerSecond: run.tasksPerSecond,
        processingSeconds: run.processingSeconds,
        wallSeconds: run.wallSeconds,
        serviceCpuSeconds: run.serviceCpuSeconds,
        serviceStartupCpuSeconds: startup,
        serviceCpuSecondsPer1000Tasks: run.serviceCpuSecondsPer1000Tasks,
        serviceCpuShareOfProcessing: round(
          (run.serviceCpuSeconds - startup) / run.processingSeconds,
        ),
        sandboxCpuSeconds: run.sandboxCpuSeconds,
        bodyBytesSentPerCompletedTask: sent.total,
        bodyBytesSentPerCompletedTaskByRoute: sent.perRoute,
        bodyBytesReceivedPerCompletedTask: received.total,
        bodyBytesReceivedPerCompletedTaskByRoute: received.perRoute,
        peakRssMiB: run.peakRssMiB,
        peakHeap: run.peakHeap,
        metricsScrapeFailures: run.metricsScrapeFailures,
        idleRssMiB: idle.idleRssMiB,
        pendingCalls: stats.pendingCalls,
        patchCalls: stats.requests.patch?.total ?? 0,
        ...outcomeFigures(run),
      });
      rows.push({
        case: `cpu-bound (concurrency ${concurrency})`,
        tasks,
        tasksPerSecond: run.tasksPerSecond,
        figures: `${run.serviceCpuSecondsPer1000Tasks} CPU s/1000 tasks; ${Math.round(sent.total).toLocaleString('en-US')} B sent/task; peak RSS ${Math.round(run.peakRssMiB)} MiB`,
        target: '',
      });
    } finally {
      await sandbox.stop();
    }
  }
  const { CONCURRENCY_LIMIT: _varies, ...service } = settings;
  return {
    case: 'cpu-bound',
    settings: {
      tasks,
      service: {
        ...service,
        CONCURRENCY_LIMIT: CONCURRENCY_LIMITS.join(' and '),
      },
      sandbox: { ...sandboxEnv, SANDBOX_HONOUR_LIMIT: 'false (default)' },
    },
    figures: { runs },
    targets: [],
    rows,
    notes: [
      'Per-1000-task CPU excludes start-up: the CPU of a separate start-up and empty first poll with the same settings is subtracted.',
      'Bytes sent: request bodies by Content-Length (headers excluded). Bytes received: what the sandbox wrote to the socket for each answer, headers included; for /pending, what left before the service closed an answer it stopped reading.',
    ],
  };
}
