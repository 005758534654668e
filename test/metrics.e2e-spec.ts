import { waitUntil } from './support/eventually.js';
import {
  type Exposition,
  parseExposition,
  samplesOf,
  total,
  valuesOf,
} from './support/exposition.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

type Family = [name: string, type: string, labels: string[]];

/** docs/contract.md §4's table: every metric, its type and its exact label names. */
const CONTRACT_METRICS: Family[] = [
  ['ai_tasks_processed_total', 'counter', ['task_type', 'status']],
  ['ai_task_processing_duration_seconds', 'histogram', ['task_type']],
  ['ai_tasks_in_flight', 'gauge', []],
  ['ai_task_claim_conflicts_total', 'counter', []],
  ['api_requests_total', 'counter', ['endpoint', 'method', 'status_code']],
  ['api_request_duration_seconds', 'histogram', ['endpoint', 'method']],
  ['oauth2_token_requests_total', 'counter', ['status']],
  ['openai_requests_total', 'counter', ['model', 'status']],
  ['openai_tokens_used_total', 'counter', ['model', 'type']],
  ['openai_batch_size', 'histogram', ['model']],
  ['circuit_breaker_state', 'gauge', ['service']],
];

/** Node's default process metrics (prom-client): CPU, memory, event-loop lag, handles. */
const NODE_DEFAULTS = [
  'process_cpu_user_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_active_handles_total',
];

const MODEL = 'text-embedding-3-small';
const OBJECT_ID = /[0-9a-f]{24}/i;

function seriesOf([name, type, labels]: Family): [string, string[]][] {
  return type === 'histogram'
    ? [
        [`${name}_bucket`, [...labels, 'le']],
        [`${name}_sum`, labels],
        [`${name}_count`, labels],
      ]
    : [[name, labels]];
}

describe('/metrics after real work (two built replicas, the openai SDK, the sandbox)', () => {
  let sandbox: Sandbox;
  const replicas: RunningProcess[] = [];

  afterAll(async () => {
    try {
      for (const replica of replicas)
        expect((await replica.stop()).code).toBe(0);
    } finally {
      await sandbox?.close();
    }
  });

  it('exports every metric of the contract with its exact labels, and Node default metrics', async () => {
    // 409 on a claim of a task that is no longer pending: two replicas race.
    sandbox = await startReferenceSandbox({ conflictOnClaim: true });
    sandbox.seed(40);
    sandbox.insertTasks([
      // Bad content: the processor fails it.
      {
        type: 'text_embedding',
        content: { text: '   ', model: MODEL },
        callbackRoute: 'verification_update_embedding',
        callbackParams: {},
      },
      // Not a task document at all (no type): failed as invalid.
      { content: { text: 'no type' } },
    ]);
    // The first token request fails (then the retry succeeds). The first four
    // embeddings requests fail: with one request in flight per replica, one
    // replica at least sees a request and its retry fail, and releases its tasks.
    sandbox.faults.error({ target: 'token', status: 503, count: 1 });
    sandbox.faults.error({ target: 'embeddings', status: 503, count: 4 });
    // Slow claims keep both replicas busy on the same backlog.
    sandbox.faults.latency({ target: 'claim', ms: 50 });

    const env = {
      POLLING_INTERVAL_SECONDS: '1',
      CONCURRENCY_LIMIT: '4',
      MAX_RETRIES: '1',
      OPENAI_MAX_CONCURRENT_REQUESTS: '1',
    };
    const started = await Promise.all([
      startServiceAgainst(sandbox, { openaiCompatible: true, env }),
      startServiceAgainst(sandbox, { openaiCompatible: true, env }),
    ]);
    replicas.push(...started.map(({ service }) => service));

    const scrape = () =>
      Promise.all(
        started.map(async ({ baseUrl }) => {
          const response = await fetch(`${baseUrl}/metrics`);
          expect(response.status).toBe(200);
          expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
          return parseExposition(await response.text());
        }),
      );
    const counted = (
      pages: Exposition[],
      endpoint: string,
      method: string,
      statusCode: string,
    ) =>
      pages.reduce(
        (acc, page) =>
          acc +
          total(page, 'api_requests_total', {
            endpoint,
            method,
            status_code: statusCode,
          }),
        0,
      );
    // The sandbox counts a request when it arrives; a replica counts it once
    // the answer is read (a claim's answer comes 50 ms later). Compare both
    // sides only once every answer the sandbox gave has been read.
    const { stats, pages } = await waitUntil(
      async () => {
        const now = sandbox.stats();
        if (now.tasks.pending !== 0 || now.tasks.in_progress !== 0)
          return false;
        const scraped = await scrape();
        return (
          counted(scraped, '/api/ai-tasks/:id', 'PATCH', '409') ===
            now.claimConflicts &&
          counted(scraped, '/api/ai-tasks/pending', 'GET', '200') ===
            now.pendingCalls &&
          now.claimConflicts === sandbox.stats().claimConflicts &&
          now.pendingCalls === sandbox.stats().pendingCalls && {
            stats: now,
            pages: scraped,
          }
        );
      },
      'every task is finished and both replicas have read every answer',
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    expect(stats.tasks).toMatchObject({ succeeded: 40, failed: 2 });
    expect(stats.releases).toBeGreaterThan(0);
    expect(stats.claimConflicts).toBeGreaterThan(0);

    for (const page of pages) {
      for (const family of CONTRACT_METRICS) {
        const [name, type] = family;
        expect(page.types.get(name), name).toBe(type);
        for (const [series, labels] of seriesOf(family)) {
          const samples = samplesOf(page, series);
          expect(samples.length, `${series} has samples`).toBeGreaterThan(0);
          for (const sample of samples)
            expect(Object.keys(sample.labels).sort(), series).toEqual(
              [...labels].sort(),
            );
        }
      }
      for (const name of NODE_DEFAULTS)
        expect(samplesOf(page, name).length, name).toBeGreaterThan(0);
      // Route templates, never a concrete task id, in any label.
      for (const sample of page.samples)
        for (const value of Object.values(sample.labels))
          expect(value, sample.name).not.toMatch(OBJECT_ID);
      expect(valuesOf(page, 'circuit_breaker_state', 'service')).toEqual(
        new Set(['api', 'auth', 'openai', 'chat', 'wikidata']),
      );
      expect(total(page, 'ai_tasks_in_flight')).toBe(0);
      expect(
        total(page, 'ai_task_last_successful_poll_timestamp_seconds'),
      ).toBeGreaterThan(Date.now() / 1000 - 60);
    }

    // Across both replicas the counts are the sandbox's.
    const sum = (name: string, labels: Record<string, string> = {}) =>
      pages.reduce((acc, page) => acc + total(page, name, labels), 0);
    const union = (name: string, label: string) =>
      new Set(pages.flatMap((page) => [...valuesOf(page, name, label)]));

    expect(union('ai_tasks_processed_total', 'status')).toEqual(
      new Set(['succeeded', 'failed', 'released']),
    );
    expect(sum('ai_tasks_processed_total', { status: 'succeeded' })).toBe(40);
    expect(sum('ai_tasks_processed_total', { status: 'failed' })).toBe(2);
    expect(sum('ai_tasks_processed_total', { status: 'released' })).toBe(
      stats.releases,
    );
    expect(
      sum('ai_tasks_processed_total', {
        task_type: 'text_embedding',
        status: 'failed',
      }),
    ).toBe(1);
    expect(sum('ai_task_processing_duration_seconds_count')).toBe(
      40 + 2 + stats.releases,
    );
    expect(sum('ai_task_claim_conflicts_total')).toBe(stats.claimConflicts);

    // The poll, the claims and reports, and the stale-task sweep's list.
    expect(union('api_requests_total', 'endpoint')).toEqual(
      new Set(['/api/ai-tasks/pending', '/api/ai-tasks/:id', '/api/ai-tasks']),
    );
    expect(
      sum('api_requests_total', {
        endpoint: '/api/ai-tasks/:id',
        method: 'PATCH',
        status_code: '409',
      }),
    ).toBe(stats.claimConflicts);
    expect(
      sum('api_requests_total', {
        endpoint: '/api/ai-tasks/pending',
        method: 'GET',
        status_code: '200',
      }),
    ).toBe(stats.pendingCalls);

    expect(sum('oauth2_token_requests_total', { status: 'failure' })).toBe(1);
    expect(
      sum('oauth2_token_requests_total', { status: 'success' }),
    ).toBeGreaterThanOrEqual(2);

    expect(union('openai_requests_total', 'model')).toEqual(new Set([MODEL]));
    expect(sum('openai_requests_total', { status: '503' })).toBe(4);
    expect(sum('openai_requests_total', { status: 'success' })).toBe(
      stats.embeddings.requests,
    );
    expect(union('openai_tokens_used_total', 'type')).toEqual(
      new Set(['prompt_tokens', 'total_tokens']),
    );
    expect(
      sum('openai_tokens_used_total', { model: MODEL, type: 'prompt_tokens' }),
    ).toBe(stats.embeddings.tokens);
    expect(sum('openai_batch_size_sum')).toBeGreaterThanOrEqual(
      stats.embeddings.inputs,
    );
  });
});
