import { measureApiCapacity } from '../lib/api-capacity.ts';
import { type BenchContext, profileArgs } from '../lib/context.ts';
import { drainWithService, outcomeFigures } from '../lib/drain.ts';
import { processingWindowMs, round, settingsBound } from '../lib/figures.ts';
import type { CaseResult } from '../lib/results.ts';
import { fetchToken, startSandbox } from '../lib/sandbox.ts';
import { recordedSettings, serviceEnvironment } from '../lib/service.ts';

const LATENCY_MS = 200;
const CONCURRENCY_LIMIT = 256;
const BATCH_SIZE = 128;
const MAX_CONCURRENT_REQUESTS = 4;

/**
 * A slow embeddings endpoint (200 ms an answer) and a large backlog: the
 * service should keep CONCURRENCY_LIMIT tasks in flight in full batches.
 * Compared with the settings' bound and with the tasks API's own capacity,
 * measured by a bare client on the same sandbox in the same run.
 */
export async function latencyBound(context: BenchContext): Promise<CaseResult> {
  const tasks = context.quick ? 1_000 : 10_000;
  const sandboxEnv = {
    SANDBOX_EMBEDDINGS_LATENCY_MS: String(LATENCY_MS),
    SANDBOX_KEEP_RESULTS: 'false',
  };
  const sandbox = await startSandbox(sandboxEnv);
  try {
    context.log(`latency-bound: API capacity, bare client, ${tasks} tasks`);
    const ids = await sandbox.seed(tasks);
    const token = await fetchToken(sandbox.tokenUrl);
    const bare = await measureApiCapacity(
      sandbox.url,
      token,
      ids,
      CONCURRENCY_LIMIT,
    );
    const capacityWindowMs = processingWindowMs(await sandbox.timings());
    const apiCapacity = tasks / (capacityWindowMs / 1000);
    await sandbox.reset();

    context.log(`latency-bound: the service, ${tasks} tasks`);
    await sandbox.seed(tasks);
    const env = serviceEnvironment(sandbox, 'openai-sdk', {
      CONCURRENCY_LIMIT: String(CONCURRENCY_LIMIT),
      EMBEDDING_BATCH_SIZE: String(BATCH_SIZE),
      EMBEDDING_BATCH_WAIT_MS: '10',
      OPENAI_MAX_CONCURRENT_REQUESTS: String(MAX_CONCURRENT_REQUESTS),
    });
    const run = await drainWithService(sandbox, env, {
      tasks,
      timeoutMs: context.quick ? 60_000 : 240_000,
      clockTick: context.clockTick,
      nodeArgs: profileArgs(context, 'latency-bound'),
    });
    // The control: the same run against an endpoint that answers at once.
    // When it is not much faster, the provider's latency is not what bounds the run.
    context.log(`latency-bound: control, the same with a 0 ms endpoint`);
    await sandbox.reset();
    await sandbox.updateSwitches({ embeddingsLatencyMs: 0 });
    await sandbox.seed(tasks);
    const control = await drainWithService(sandbox, env, {
      tasks,
      timeoutMs: context.quick ? 60_000 : 240_000,
      clockTick: context.clockTick,
    });
    const bound = settingsBound({
      concurrencyLimit: CONCURRENCY_LIMIT,
      maxConcurrentRequests: MAX_CONCURRENT_REQUESTS,
      batchSize: BATCH_SIZE,
      latencyMs: LATENCY_MS,
    });
    const { stats } = run;
    const ratioToBound = run.tasksPerSecond / bound;
    const ratioToApi = run.tasksPerSecond / apiCapacity;
    const providerRequests = stats.embeddings.requests;
    return {
      case: 'latency-bound',
      settings: {
        tasks,
        service: recordedSettings(env),
        sandbox: { ...sandboxEnv, SANDBOX_HONOUR_LIMIT: 'false (default)' },
        bareClient: {
          concurrency: CONCURRENCY_LIMIT,
          perTask:
            'claim PATCH + complete PATCH with one pre-serialised 1,536-float result, 9 significant digits per value as the service writes them',
        },
      },
      figures: {
        tasksPerSecond: run.tasksPerSecond,
        processingSeconds: run.processingSeconds,
        claimedMs: run.claimedMs,
        serviceLatencies: run.serviceLatencies,
        wallSeconds: run.wallSeconds,
        providerRequests,
        inputsPerProviderRequest: round(
          stats.embeddings.inputs / providerRequests,
        ),
        settingsBoundTasksPerSecond: bound,
        ratioToSettingsBound: round(ratioToBound),
        apiCapacityTasksPerSecond: round(apiCapacity),
        apiCapacityFailures: bare.failures,
        ratioToApiCapacity: round(ratioToApi),
        zeroLatencyControl: {
          tasksPerSecond: control.tasksPerSecond,
          serviceCpuMsPerTask: round(
            (control.serviceCpuSeconds / tasks) * 1000,
          ),
          providerRequests: control.stats.embeddings.requests,
          peakRssMiB: control.peakRssMiB,
          succeeded: control.stats.tasks.succeeded,
        },
        serviceCpuSeconds: run.serviceCpuSeconds,
        serviceCpuMsPerTask: round((run.serviceCpuSeconds / tasks) * 1000),
        singleCoreCeilingTasksPerSecond: round(tasks / run.serviceCpuSeconds),
        serviceCpuShareOfProcessing: round(
          run.serviceCpuSeconds / run.processingSeconds,
        ),
        sandboxCpuSeconds: run.sandboxCpuSeconds,
        peakRssMiB: run.peakRssMiB,
        peakHeap: run.peakHeap,
        metricsScrapeFailures: run.metricsScrapeFailures,
        pendingCalls: stats.pendingCalls,
        ...outcomeFigures(run),
      },
      targets: [
        {
          goal: '>= 0.9 of the settings bound, or >= 0.8 of the API capacity when that is lower',
          met:
            ratioToBound >= 0.9 || (apiCapacity < bound && ratioToApi >= 0.8),
        },
      ],
      notes: [
        'tasks/s runs from the first claim to the last completion as the sandbox saw them, for the service and the bare client alike.',
        'zeroLatencyControl: the same service settings on a fresh backlog after PATCH /admin/settings {"embeddingsLatencyMs": 0}.',
        "singleCoreCeilingTasksPerSecond: tasks / service CPU seconds, the rate with a core of its own (the service's JavaScript runs on one thread).",
      ],
      rows: [
        {
          case: 'latency-bound',
          tasks,
          tasksPerSecond: run.tasksPerSecond,
          figures: `${providerRequests} provider requests; ${round(ratioToBound)} of bound ${bound}/s; ${round(ratioToApi)} of API capacity ${round(apiCapacity)}/s; ${round((run.serviceCpuSeconds / tasks) * 1000)} ms CPU/task; 0 ms endpoint: ${control.tasksPerSecond}/s; claimed p50 ${run.claimedMs.p50} ms${run.serviceLatencies ? ` (PATCH mean ${run.serviceLatencies.patchMeanMs} ms)` : ''}; peak RSS ${Math.round(run.peakRssMiB)} MiB`,
          target: '',
        },
      ],
    };
  } finally {
    await sandbox.stop();
  }
}
