import { type BenchContext, profileArgs } from '../lib/context.ts';
import { drainWithService, outcomeFigures } from '../lib/drain.ts';
import { round } from '../lib/figures.ts';
import type { CaseResult } from '../lib/results.ts';
import { startSandbox } from '../lib/sandbox.ts';
import { recordedSettings, serviceEnvironment } from '../lib/service.ts';

/** The real server's default embedding model, on a provider of its own. */
const MODEL = 'dengcao/Qwen3-Embedding-0.6B:Q8_0';
/** The provider's limits per window: a "minute" of one second. */
const WINDOW_MS = 1_000;
const RPM = 60;
const TPM = 6_000;
const MAX_THROTTLED_SHARE = 0.02;
const MAX_RATIO_TO_BOUND = 1.3;

/**
 * A backlog against a provider limited in requests and tokens, as OpenAI
 * limits them, with its x-ratelimit-* headers (docs/providers.md, "Pacing").
 * Compared with the limits' bound: the time the tokens and requests the
 * drain used take at the provider's rates.
 */
export async function paced(context: BenchContext): Promise<CaseResult> {
  const tasks = context.quick ? 300 : 2_000;
  const sandboxEnv = {
    SANDBOX_PROFILE: 'reference',
    SANDBOX_THROTTLE_LIMIT: '1000000',
    SANDBOX_KEEP_RESULTS: 'false',
    SANDBOX_PROVIDER_LOCAL_API_KEY: 'none',
    SANDBOX_PROVIDER_LOCAL_RPM: String(RPM),
    SANDBOX_PROVIDER_LOCAL_TPM: String(TPM),
    SANDBOX_PROVIDER_LOCAL_WINDOW_MS: String(WINDOW_MS),
  };
  const sandbox = await startSandbox(sandboxEnv);
  try {
    const env = serviceEnvironment(sandbox, 'mock', {
      EMBEDDING_PROVIDER: 'auto',
      PROVIDER_LOCAL_BASE_URL: sandbox.providerUrl('local'),
      PROVIDER_LOCAL_RPM: String((RPM * 60_000) / WINDOW_MS),
      PROVIDER_LOCAL_TPM: String((TPM * 60_000) / WINDOW_MS),
      MODEL_ROUTES: '*=local',
      WIKIDATA_USER_AGENT:
        'ai-task-processor-bench/1.0 (https://example.org/ai-task-processor)',
      CONCURRENCY_LIMIT: '64',
      EMBEDDING_BATCH_SIZE: '8',
    });
    context.log(
      `paced: ${tasks} tasks, provider limited to ${RPM} requests and ${TPM} tokens per ${WINDOW_MS} ms`,
    );
    await sandbox.seed(tasks, MODEL);
    const run = await drainWithService(sandbox, env, {
      tasks,
      timeoutMs: context.quick ? 90_000 : 300_000,
      clockTick: context.clockTick,
      nodeArgs: profileArgs(context, 'paced'),
    });
    const provider = run.stats.providers.local;
    const accepted = provider.byModel[MODEL]?.byStatus['200'] ?? 0;
    const share =
      provider.requests > 0 ? provider.throttled / provider.requests : 0;
    const boundSeconds =
      (Math.max(provider.tokens / TPM, accepted / RPM) * WINDOW_MS) / 1000;
    const ratio = run.processingSeconds / boundSeconds;
    const outcome = outcomeFigures(run);
    return {
      case: 'paced',
      settings: {
        tasks,
        service: recordedSettings(env),
        sandbox: sandboxEnv,
      },
      figures: {
        drainSeconds: run.processingSeconds,
        tasksPerSecond: run.tasksPerSecond,
        wallSeconds: run.wallSeconds,
        providerRequests: provider.requests,
        providerTokens: provider.tokens,
        throttled429s: provider.throttled,
        throttled429Share: round(share),
        limitsBoundSeconds: round(boundSeconds),
        ratioToLimitsBound: round(ratio),
        serviceCpuSeconds: run.serviceCpuSeconds,
        peakRssMiB: run.peakRssMiB,
        ...outcome,
      },
      targets: [
        {
          goal: `429s under ${MAX_THROTTLED_SHARE * 100}% of the provider's answers`,
          met: share < MAX_THROTTLED_SHARE,
        },
        {
          goal: `drain time within ${MAX_RATIO_TO_BOUND} × the limits' bound`,
          met: ratio <= MAX_RATIO_TO_BOUND,
        },
        {
          goal: 'every task succeeded',
          met: outcome.succeeded === tasks && outcome.failed === 0,
        },
      ],
      rows: [
        {
          case: 'paced',
          tasks,
          tasksPerSecond: run.tasksPerSecond,
          figures: `drained in ${run.processingSeconds} s; ${provider.requests} provider requests, ${provider.tokens} tokens; bound ${round(boundSeconds)} s, ratio ${round(ratio)}; ${provider.throttled} 429s (${round(share * 100)}%)`,
          target: '',
        },
      ],
      notes: [
        `The bound: the tokens the provider reported used at ${TPM} per ${WINDOW_MS} ms, or the accepted requests at ${RPM} per ${WINDOW_MS} ms, whichever is longer. The provider's buckets start full, so a drain can beat it by up to one window.`,
        'The service is told the rates per minute (PROVIDER_LOCAL_RPM/TPM, scaled to the window) and learns them from the x-ratelimit-* headers.',
      ],
    };
  } finally {
    await sandbox.stop();
  }
}
