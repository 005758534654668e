import { claimToCompletionMs, processingWindowMs, round } from './figures.ts';
import type { SandboxProcess, SandboxStats } from './sandbox.ts';
import {
  type MemorySample,
  type ServiceLatencies,
  type ServiceThrottle,
  cpuSeconds,
  peakRssMiB,
  rssMiB,
  sampleLatencies,
  sampleMemory,
  sampleThrottle,
  startService,
} from './service.ts';

export interface DrainOptions {
  /** Tasks that must end (succeeded or failed) before the run counts as done. */
  tasks: number;
  /** Longest the drain may take. */
  timeoutMs: number;
  clockTick: number;
  /** Service CPU seconds spent starting up, subtracted from the total for per-task figures. */
  startupCpuSeconds?: number;
  nodeArgs?: readonly string[];
}

export interface DrainRun {
  /** Tasks per second from the first claim to the last completion, as the sandbox saw them. */
  tasksPerSecond: number;
  processingSeconds: number;
  /** How long tasks stayed claimed (last claim to completion), in milliseconds. */
  claimedMs: { p50: number; p90: number; max: number };
  /** From the service's histograms at the end; undefined when the scrape failed. */
  serviceLatencies?: ServiceLatencies;
  /** The service's rate-limit metrics at the end; undefined when the scrape failed. */
  serviceThrottle?: ServiceThrottle;
  /** From spawning the service to seeing every task ended, start-up included. */
  wallSeconds: number;
  serviceCpuSeconds: number;
  serviceCpuSecondsPer1000Tasks?: number;
  sandboxCpuSeconds: number;
  peakRssMiB: number;
  /** Highest heap figures seen in /metrics, scraped twice a second. */
  peakHeap: MemorySample;
  /** /metrics scrapes that failed or took longer than 10 s. */
  metricsScrapeFailures: number;
  serviceExitCode: number | null;
  stats: SandboxStats;
}

const POLL_MS = 250;
/** Every this many stats polls, one /metrics scrape: cheap enough not to count. */
const SCRAPE_EVERY = 2;

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/**
 * Starts the service on a seeded sandbox, waits (bounded) until every task
 * ended, reads the service's CPU time and peak RSS while it still runs,
 * then stops it.
 */
export async function drainWithService(
  sandbox: SandboxProcess,
  env: Record<string, string>,
  options: DrainOptions,
): Promise<DrainRun> {
  const sandboxCpuBefore = await cpuSeconds(
    sandbox.process.pid,
    options.clockTick,
  );
  const spawnedAt = Date.now();
  const { process: service, metricsUrl } = await startService(
    env,
    options.nodeArgs,
  );
  const peakHeap: MemorySample = {
    heapUsedMiB: 0,
    heapTotalMiB: 0,
    externalMiB: 0,
  };
  let scrapeFailures = 0;
  let serviceCpu: number;
  let peak: number;
  let endedAt: number;
  let latencies: ServiceLatencies | undefined;
  let throttle: ServiceThrottle | undefined;
  try {
    const deadline = Date.now() + options.timeoutMs;
    for (let poll = 0; ; poll++) {
      const stats = await sandbox.stats();
      if (stats.tasks.succeeded + stats.tasks.failed >= options.tasks) break;
      if (!service.running)
        throw new Error(
          `the service exited before the backlog was drained:\n${service.output}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `backlog not drained within ${options.timeoutMs / 1000} s: ${JSON.stringify(stats.tasks)}`,
        );
      if (poll % SCRAPE_EVERY === 0) {
        try {
          const sample = await sampleMemory(metricsUrl);
          for (const field of Object.keys(sample) as (keyof MemorySample)[])
            peakHeap[field] = Math.max(peakHeap[field], round(sample[field]));
        } catch {
          // A busy service may answer late; the sandbox's stats decide the run.
          scrapeFailures++;
        }
      }
      await sleep(POLL_MS);
    }
    endedAt = Date.now();
    serviceCpu = await cpuSeconds(service.pid, options.clockTick);
    latencies = await sampleLatencies(metricsUrl).catch(() => undefined);
    throttle = await sampleThrottle(metricsUrl).catch(() => undefined);
    peak = await peakRssMiB(service.pid);
  } finally {
    await service.stop();
  }
  const { code } = await service.exited;
  const sandboxCpu =
    (await cpuSeconds(sandbox.process.pid, options.clockTick)) -
    sandboxCpuBefore;
  const stats = await sandbox.stats();
  const timings = await sandbox.timings();
  const windowMs = processingWindowMs(timings);
  const ended = stats.tasks.succeeded + stats.tasks.failed;
  return {
    tasksPerSecond: round(ended / (windowMs / 1000)),
    processingSeconds: round(windowMs / 1000),
    claimedMs: claimToCompletionMs(timings),
    serviceLatencies: latencies,
    serviceThrottle: throttle,
    wallSeconds: round((endedAt - spawnedAt) / 1000),
    serviceCpuSeconds: round(serviceCpu),
    ...(options.startupCpuSeconds === undefined
      ? {}
      : {
          serviceCpuSecondsPer1000Tasks: round(
            ((serviceCpu - options.startupCpuSeconds) / ended) * 1000,
          ),
        }),
    sandboxCpuSeconds: round(sandboxCpu),
    peakRssMiB: round(peak),
    peakHeap,
    metricsScrapeFailures: scrapeFailures,
    serviceExitCode: code,
    stats,
  };
}

/** How the run's tasks ended, and how the service did: the same fields in every case. */
export const outcomeFigures = ({ stats, serviceExitCode }: DrainRun) => ({
  succeeded: stats.tasks.succeeded,
  failed: stats.tasks.failed,
  releases: stats.releases,
  tasksCompletedMoreThanOnce: stats.tasksCompletedMoreThanOnce,
  serviceExitCode,
});

export interface IdleService {
  /** CPU seconds to start up and make the first (empty) poll. */
  startupCpuSeconds: number;
  /** Resident memory once idle. */
  idleRssMiB: number;
  idleHeap: MemorySample;
}

/**
 * The service started against a sandbox with nothing pending: what start-up
 * costs (subtracted so that per-task CPU is the work's alone) and the
 * memory it holds before any task.
 */
export async function measureIdleService(
  sandbox: SandboxProcess,
  env: Record<string, string>,
  clockTick: number,
): Promise<IdleService> {
  const calls = (await sandbox.stats()).pendingCalls;
  const { process: service, metricsUrl } = await startService(env);
  try {
    const deadline = Date.now() + 30_000;
    while ((await sandbox.stats()).pendingCalls <= calls) {
      if (Date.now() > deadline) throw new Error('the service never polled');
      await sleep(50);
    }
    // Let the first poll's answer be read and the event loop settle.
    await sleep(500);
    const startupCpuSeconds = await cpuSeconds(service.pid, clockTick);
    const idleHeap = await sampleMemory(metricsUrl);
    return {
      startupCpuSeconds: round(startupCpuSeconds),
      idleRssMiB: round(await rssMiB(service.pid)),
      idleHeap: {
        heapUsedMiB: round(idleHeap.heapUsedMiB),
        heapTotalMiB: round(idleHeap.heapTotalMiB),
        externalMiB: round(idleHeap.externalMiB),
      },
    };
  } finally {
    await service.stop();
  }
}
