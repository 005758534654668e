import { type BenchContext, profileArgs } from '../lib/context.ts';
import { drainWithService, outcomeFigures } from '../lib/drain.ts';
import { round } from '../lib/figures.ts';
import type { CaseResult } from '../lib/results.ts';
import {
  type AdminTaskView,
  type SandboxStats,
  TASKS_API_ROUTES,
  startSandbox,
} from '../lib/sandbox.ts';
import { recordedSettings, serviceEnvironment } from '../lib/service.ts';

const THROTTLE_LIMIT = 100;
const THROTTLE_TTL_MS = 2_000;
/** Requests per second the throttle lets through in the long run. */
const THROTTLE_RATE = THROTTLE_LIMIT / (THROTTLE_TTL_MS / 1000);
const MAX_THROTTLED_SHARE = 0.05;
const MAX_RATIO_TO_BOUND = 1.5;
/** Moments of throttled PATCHes kept in the result file. */
const KEPT_THROTTLED_MOMENTS = 100;

/** The tasks API's answers of the run, by route and in all, and how many were the throttle's 429s. */
function apiAnswers(stats: SandboxStats) {
  const byRoute: Record<
    string,
    { total: number; byStatus: Record<string, number> }
  > = {};
  let answers = 0;
  let throttled = 0;
  for (const route of TASKS_API_ROUTES) {
    const counts = stats.requests[route];
    if (!counts || counts.total === 0) continue;
    byRoute[route] = { total: counts.total, byStatus: counts.byStatus };
    answers += counts.total;
    throttled += counts.byStatus['429'] ?? 0;
  }
  return { byRoute, answers, throttled, needed: answers - throttled };
}

/**
 * When the throttled PATCHes arrived, in seconds from the first claim (the
 * sandbox keeps each task's PATCHes with their status; 429s of /pending
 * carry no task and no moment).
 */
function throttledPatchMoments(
  tasks: readonly AdminTaskView[],
  firstClaimMs: number,
): number[] {
  return tasks
    .flatMap((task) => task.patches ?? [])
    .filter((patch) => patch.status === 429)
    .map((patch) => round((patch.atMs - firstClaimMs) / 1000))
    .sort((a, b) => a - b);
}

/**
 * The most PATCHes that arrived within any span of one throttle window, a
 * sliding count: the throttle's own windows start at a client's first hit,
 * so none of them can hold more.
 */
function busiestWindowPatches(tasks: readonly AdminTaskView[]): number {
  const moments = tasks
    .flatMap((task) => task.patches ?? [])
    .map((patch) => patch.atMs)
    .sort((a, b) => a - b);
  let busiest = 0;
  for (let last = 0, first = 0; last < moments.length; last++) {
    while (moments[last] - moments[first] >= THROTTLE_TTL_MS) first++;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}

/**
 * The reference tasks API's global throttle (100 requests per client and
 * 2 s window, a whole window's block for the request over it): the service
 * paces itself by the X-RateLimit headers. Compared with the throttle's
 * bound, the time the requests the drain needed take at 50 per second.
 */
export async function throttled(context: BenchContext): Promise<CaseResult> {
  const tasks = context.quick ? 300 : 2_000;
  const sandboxEnv = {
    SANDBOX_PROFILE: 'reference',
    SANDBOX_THROTTLE_LIMIT: String(THROTTLE_LIMIT),
    SANDBOX_THROTTLE_TTL_MS: String(THROTTLE_TTL_MS),
    // The reference profile stores no result in the API's documents; nor
    // do the admin views keep the last one received (2,000 × 21 KB).
    SANDBOX_KEEP_RESULTS: 'false',
  };
  const sandbox = await startSandbox(sandboxEnv);
  try {
    const switches = await sandbox.switches();
    const env = serviceEnvironment(sandbox, 'mock', {});
    context.log(
      `throttled: ${tasks} tasks, throttle ${THROTTLE_LIMIT} per ${THROTTLE_TTL_MS / 1000} s`,
    );
    await sandbox.seed(tasks);
    const run = await drainWithService(sandbox, env, {
      tasks,
      timeoutMs: context.quick ? 90_000 : 300_000,
      clockTick: context.clockTick,
      nodeArgs: profileArgs(context, 'throttled'),
    });
    const { stats } = run;
    const timings = await sandbox.timings();
    const firstClaimMs = Math.min(
      ...timings.flatMap((timing) => timing.firstClaimedAtMs ?? []),
    );
    const views = await sandbox.tasks();
    const moments = throttledPatchMoments(views, firstClaimMs);
    const api = apiAnswers(stats);
    const drainSeconds = run.processingSeconds;
    const boundSeconds = api.needed / THROTTLE_RATE;
    const ratio = drainSeconds / boundSeconds;
    const share = api.answers > 0 ? api.throttled / api.answers : 0;
    const outcome = outcomeFigures(run);
    const clean =
      outcome.succeeded === tasks &&
      outcome.failed === 0 &&
      outcome.releases === 0;
    return {
      case: 'throttled',
      settings: {
        tasks,
        service: recordedSettings(env),
        sandbox: sandboxEnv,
        sandboxSwitches: switches,
      },
      figures: {
        drainSeconds,
        tasksPerSecond: run.tasksPerSecond,
        wallSeconds: run.wallSeconds,
        apiAnswers: api.answers,
        apiAnswersByRoute: api.byRoute,
        neededApiRequests: api.needed,
        neededApiRequestsPerTask: round(api.needed / tasks),
        throttled429s: api.throttled,
        throttled429Share: round(share),
        sandboxThrottled: stats.throttled,
        throttleRatePerSecond: THROTTLE_RATE,
        throttleBoundSeconds: round(boundSeconds),
        ratioToThrottleBound: round(ratio),
        neededApiRequestsPerSecond: round(api.needed / drainSeconds),
        throttledPatchesAtSeconds: moments.slice(0, KEPT_THROTTLED_MOMENTS),
        busiestWindowPatches: busiestWindowPatches(views),
        serviceThrottle: run.serviceThrottle,
        claimedMs: run.claimedMs,
        serviceLatencies: run.serviceLatencies,
        callbacks: stats.callbacks,
        pendingCalls: stats.pendingCalls,
        serviceCpuSeconds: run.serviceCpuSeconds,
        sandboxCpuSeconds: run.sandboxCpuSeconds,
        peakRssMiB: run.peakRssMiB,
        metricsScrapeFailures: run.metricsScrapeFailures,
        ...outcome,
      },
      targets: [
        {
          goal: `429s at most ${MAX_THROTTLED_SHARE * 100}% of the tasks API's answers`,
          met: share <= MAX_THROTTLED_SHARE,
        },
        {
          goal: `drain time at most ${MAX_RATIO_TO_BOUND} × the throttle's bound (needed requests / ${THROTTLE_RATE} per s)`,
          met: ratio <= MAX_RATIO_TO_BOUND,
        },
        {
          goal: 'every task succeeded: none failed or released',
          met: clean,
        },
      ],
      rows: [
        {
          case: 'throttled',
          tasks,
          tasksPerSecond: run.tasksPerSecond,
          figures: `drained in ${drainSeconds} s; ${api.needed} API requests (${round(api.needed / tasks)}/task), bound ${round(boundSeconds)} s, ratio ${round(ratio)}; ${api.throttled} 429s (${round(share * 100)}%); ${outcome.succeeded}/${outcome.failed}/${outcome.releases} succeeded/failed/released`,
          target: '',
        },
      ],
      notes: [
        'drainSeconds runs from the first claim to the last completion as the sandbox saw them (processingSeconds of the other cases); wallSeconds from spawning the service, start-up included.',
        `Tasks API answers are those of the routes ${TASKS_API_ROUTES.join(', ')}; the needed requests are those answers minus the throttle's 429s. The bound is the needed requests at ${THROTTLE_RATE} per second: it counts requests only, not the work between them.`,
        `busiestWindowPatches: the most PATCHes that arrived within any ${THROTTLE_TTL_MS / 1000} s (sliding; /pending and ?state= calls, a handful, are not timed and not counted), against the limit of ${THROTTLE_LIMIT}.`,
        'throttledPatchesAtSeconds: when throttled PATCHes arrived, from the first claim (429s of /pending have no task and are not timed).',
        'serviceThrottle: the service\'s api_throttled_total and api_throttled_seconds_total{service="api"} (wall time its calls were held back by pacing or a pause) at the end of the drain.',
      ],
    };
  } finally {
    await sandbox.stop();
  }
}
