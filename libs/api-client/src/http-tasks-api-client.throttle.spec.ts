import type { TestingModule } from '@nestjs/testing';
import { TOKEN_RETRY_BACKOFF } from '@app/auth';
import { METRIC, ReadinessRegistry } from '@app/observability';
import { RateLimitGate } from '@app/resilience';
import { startLibraryModule } from '../../../test/support/library-module.js';
import { metricValue } from '../../../test/support/metrics.js';
import { ScriptedServer } from '../../../test/support/scripted-server.js';
import {
  issueTokens,
  scriptedEnvironment,
} from '../../../test/support/scripted-token-endpoint.js';
import { taskDocument } from '../../../test/support/task-documents.js';
import { ApiClientModule } from './api-client.module.js';
import { QUICK_API_BACKOFF, apiError } from './testing/index.js';
import {
  API_RATE_LIMIT_GATE,
  API_RETRY_BACKOFF,
} from './api-client.constants.js';
import { TasksApiClient } from './tasks-api-client.js';

const PENDING = 'GET /api/ai-tasks/pending';
const TASK = 'PATCH /api/ai-tasks/:id';
const THROTTLED = {
  status: 429,
  headers: { 'retry-after': '7' },
  body: { statusCode: 429, message: 'ThrottlerException: Too Many Requests' },
};

describe('HttpTasksApiClient: throttling and redirects of the reference application', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule | undefined;
  /** Waits the rate-limit gate asked for: recorded, not slept. */
  let gateWaits: number[];

  async function client(env: Record<string, string> = {}) {
    const gate = new RateLimitGate({
      sleep: async (ms) => void gateWaits.push(ms),
      // The recorded waits pass at once: the clock jumps over them.
      now: () => Date.now() + gateWaits.reduce((sum, ms) => sum + ms, 0),
    });
    moduleRef = await startLibraryModule({
      env: scriptedEnvironment(server, {
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '2',
        ...env,
      }),
      imports: [ApiClientModule],
      overrides: [
        [API_RETRY_BACKOFF, QUICK_API_BACKOFF],
        [TOKEN_RETRY_BACKOFF, { initialDelayMs: 1, maxDelayMs: 2 }],
        [API_RATE_LIMIT_GATE, gate],
      ],
    });
    return moduleRef.get(TasksApiClient);
  }
  const readiness = async () => {
    const checks = new Map(moduleRef!.get(ReadinessRegistry).entries());
    await checks.get('tasks_api')!();
  };

  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    issueTokens(server);
    gateWaits = [];
    server.on(PENDING, { body: [taskDocument()] });
    server.on(TASK, { body: {} });
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('waits out 429s as asked and then succeeds: no retry spent, no breaker failure', async () => {
    server.once(TASK, THROTTLED, THROTTLED, THROTTLED);
    const api = await client();
    const before = await metricValue(METRIC.throttled, { service: 'api' });
    await api.claim('6650f1c2a1b2c3d4e5f60718');
    expect(server.requestsTo(TASK)).toHaveLength(4);
    expect(gateWaits.filter((ms) => ms > 6_000)).toHaveLength(3);
    expect(api.isBreakerOpen()).toBe(false);
    expect(
      (await metricValue(METRIC.throttled, { service: 'api' })) - before,
    ).toBe(3);
  });

  it('counts a call that keeps getting 429 as an outage, after a bounded number of waits', async () => {
    server.on(TASK, THROTTLED);
    const api = await client();
    const error = await apiError(api.release('6650f1c2a1b2c3d4e5f60718'));
    expect(error.kind).toBe('outage');
    expect(error.status).toBe(429);
    expect(server.requestsTo(TASK)).toHaveLength(10);
  });

  it('paces itself by the X-RateLimit headers of the answers', async () => {
    server.on(TASK, {
      body: {},
      headers: {
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': '9',
        'x-ratelimit-reset': '60',
      },
    });
    const api = await client();
    for (let i = 0; i < 12; i++) await api.release('6650f1c2a1b2c3d4e5f60718');
    // Nine calls a minute at most once the limit is known: the calls wait.
    const waited = gateWaits.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThan(60_000);
    expect(server.requestsTo(TASK)).toHaveLength(12);
  });

  it('takes a redirect on a task route as the task being gone, and does not follow it', async () => {
    server.on(TASK, {
      status: 302,
      headers: { location: '/404?from=api' },
      body: 'Found. Redirecting to /404',
    });
    server.on('GET /404', { body: '<html>not found</html>' });
    const api = await client();
    const error = await apiError(api.claim('6650f1c2a1b2c3d4e5f60718'));
    expect(error.kind).toBe('gone');
    expect(error.message).toBe(
      'the tasks API answered PATCH /api/ai-tasks/:id with 302 (a redirect to /404): the task no longer exists',
    );
    expect(server.requestsTo(TASK)).toHaveLength(1);
    expect(server.requestsTo('GET /404')).toHaveLength(0);
    await expect(readiness()).resolves.toBeUndefined();
  });

  it('names API_BASE_URL in readiness when /pending redirects, until a poll succeeds', async () => {
    server.once(PENDING, { status: 302, headers: { location: '/404' } });
    const api = await client();
    const error = await apiError(api.fetchPending(5));
    expect(error.kind).toBe('refused');
    await expect(readiness()).rejects.toThrow(
      /^the tasks API answered GET \/api\/ai-tasks\/pending with 302 \(a redirect to \/404\): check API_BASE_URL \(http:\/\/127\.0\.0\.1:\d+\)/,
    );
    await api.fetchPending(5);
    await expect(readiness()).resolves.toBeUndefined();
  });
});
