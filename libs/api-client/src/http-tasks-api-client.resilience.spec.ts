import type { TestingModule } from '@nestjs/testing';
import { METRIC, ReadinessRegistry } from '@app/observability';
import { metricValue } from '../../../test/support/metrics.js';
import { ScriptedServer } from '../../../test/support/scripted-server.js';
import {
  TOKEN_ROUTE,
  issueTokens,
  scriptedEnvironment,
} from '../../../test/support/scripted-token-endpoint.js';
import { taskDocument } from '../../../test/support/task-documents.js';
import { apiError, startApiClientModule } from './testing/index.js';
import type { ApiRetryBackoff } from './api-resilience.js';
import { TasksApiClient } from './tasks-api-client.js';

const PENDING = 'GET /api/ai-tasks/pending';
const TASK = 'PATCH /api/ai-tasks/:id';
const BACKOFF: ApiRetryBackoff = {
  initialDelayMs: 40,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};

describe('HttpTasksApiClient: retries, token renewal and the breaker', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule | undefined;
  let tokens: { issued: string[] };

  async function client(env: Record<string, string> = {}) {
    moduleRef = await startApiClientModule({
      env: scriptedEnvironment(server, { MAX_RETRIES: '3', ...env }),
      backoff: BACKOFF,
    });
    return moduleRef.get(TasksApiClient);
  }

  const gaps = (route: string) =>
    server
      .requestsTo(route)
      .map((request, index, all) =>
        index ? request.at - all[index - 1].at : 0,
      )
      .slice(1);
  const checkReadiness = async () => {
    const checks = new Map(moduleRef!.get(ReadinessRegistry).entries());
    await checks.get('tasks_api')!();
  };
  const breakerGauge = () =>
    metricValue(METRIC.breakerState, { service: 'api' });

  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    tokens = issueTokens(server);
    server.on(PENDING, { body: [taskDocument()] });
    server.on(TASK, { body: {} });
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('retries a 503 with exponential backoff and jitter, then succeeds', async () => {
    server.once(PENDING, { status: 503 }, { status: 503 }, { status: 503 });
    const api = await client();
    const before = await metricValue(METRIC.apiRequests, {
      status_code: '503',
    });
    const page = await api.fetchPending(5);
    expect(page.tasks).toHaveLength(1);
    expect(server.requestsTo(PENDING)).toHaveLength(4);
    // Equal jitter: retry n waits between half and all of 40 ms * 2^(n-1).
    const [first, second, third] = gaps(PENDING);
    expect(first).toBeGreaterThanOrEqual(20 - 2);
    expect(second).toBeGreaterThanOrEqual(40 - 2);
    expect(third).toBeGreaterThanOrEqual(80 - 2);
    expect(third).toBeLessThan(1000);
    expect(
      (await metricValue(METRIC.apiRequests, { status_code: '503' })) - before,
    ).toBe(3);
  });

  it('gives up after MAX_RETRIES with a transient error', async () => {
    server.on(TASK, { status: 503, body: { message: 'maintenance' } });
    const error = await apiError((await client()).complete('t', [1]));
    expect(error.message).toBe(
      'the tasks API answered 503 to PATCH /api/ai-tasks/:id: maintenance',
    );
    expect(error.transient).toBe(true);
    expect(error.status).toBe(503);
    expect(server.requestsTo(TASK)).toHaveLength(4);
  });

  it.each([408, 500, 502, 504])('retries %i', async (status) => {
    server.once(TASK, { status });
    await (await client()).release('t');
    expect(server.requestsTo(TASK)).toHaveLength(2);
  });

  it('honours Retry-After on a 429', async () => {
    server.once(PENDING, { status: 429, headers: { 'retry-after': '1' } });
    const api = await client();
    await api.fetchPending(5);
    expect(server.requestsTo(PENDING)).toHaveLength(2);
    expect(gaps(PENDING)[0]).toBeGreaterThanOrEqual(1000 - 2);
  });

  it.each([400, 404, 422])('never retries a %i', async (status) => {
    server.on(TASK, {
      status,
      body: { statusCode: status, message: ['state must be valid'] },
    });
    const error = await apiError(
      (await client()).fail('t', { code: 'c', message: 'm' }),
    );
    expect(error.message).toBe(
      `the tasks API answered ${status} to PATCH /api/ai-tasks/:id: state must be valid`,
    );
    expect(error.transient).toBe(false);
    expect(error.status).toBe(status);
    expect(server.requestsTo(TASK)).toHaveLength(1);
  });

  it.each([401, 403])(
    'answers a %i with one new token, and the call succeeds',
    async (status) => {
      server.once(PENDING, { status });
      const page = await (await client()).fetchPending(5);
      expect(page.tasks).toHaveLength(1);
      expect(tokens.issued).toEqual(['token-1', 'token-2']);
      expect(
        server
          .requestsTo(PENDING)
          .map((request) => request.headers.authorization),
      ).toEqual(['Bearer token-1', 'Bearer token-2']);
    },
  );

  it('does not retry a second 403: our credentials, reported as transient', async () => {
    server.on(PENDING, {
      status: 403,
      body: { message: 'Forbidden resource' },
    });
    const api = await client();
    const error = await apiError(api.fetchPending(5));
    expect(error.message).toBe(
      "the tasks API refused a freshly issued access token (403): check OAUTH2_SCOPE and the client's permissions",
    );
    expect(error.transient).toBe(true);
    expect(error.status).toBe(403);
    expect(server.requestsTo(PENDING)).toHaveLength(2);
    expect(server.requestsTo(TOKEN_ROUTE)).toHaveLength(2);
    await expect(checkReadiness()).rejects.toThrow(
      'refused a freshly issued access token',
    );
    server.on(PENDING, { body: [] });
    await api.fetchPending(5);
    await expect(checkReadiness()).resolves.toBeUndefined();
  });

  it('shares one renewal among calls refused at the same time', async () => {
    server.on(TASK, (request) =>
      request.headers.authorization === 'Bearer token-1'
        ? { status: 401, delayMs: 20 }
        : { body: {} },
    );
    const api = await client();
    await api.fetchPending(1); // token-1 is cached
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => api.release(id)));
    expect(tokens.issued).toEqual(['token-1', 'token-2']);
  });

  it('opens the breaker after consecutive failures, fails fast, half-opens and closes', async () => {
    server.on(PENDING, { status: 503 });
    const api = await client({
      MAX_RETRIES: '0',
      CIRCUIT_BREAKER_THRESHOLD: '3',
      CIRCUIT_BREAKER_RESET_SECONDS: '1',
    });
    expect(await breakerGauge()).toBe(0);
    for (let call = 0; call < 3; call++) await apiError(api.fetchPending(5));
    expect(api.isBreakerOpen()).toBe(true);
    expect(await breakerGauge()).toBe(1);
    await expect(checkReadiness()).rejects.toThrow(
      /^the tasks API circuit breaker is open \(last failure: the tasks API answered 503 to GET \/api\/ai-tasks\/pending\); next trial call in 1 s$/,
    );

    const fast = await apiError(api.release('t'));
    expect(fast.message).toBe(
      'the tasks API is not called while its circuit breaker is open (last failure: the tasks API answered 503 to GET /api/ai-tasks/pending)',
    );
    expect(fast.transient).toBe(true);
    expect(server.requestsTo(TASK)).toHaveLength(0);

    // The reset time is real (1 s): the next call becomes the trial.
    await vi.waitFor(() => expect(api.isBreakerOpen()).toBe(false), {
      timeout: 3000,
      interval: 25,
    });
    let answerTrial!: () => void;
    server.on(
      PENDING,
      () =>
        new Promise((resolve) => {
          answerTrial = () => resolve({ body: [] });
        }),
    );
    const trial = api.fetchPending(5);
    await vi.waitFor(() => expect(answerTrial).toBeDefined());
    expect(await breakerGauge()).toBe(2);
    answerTrial();
    await trial;
    expect(await breakerGauge()).toBe(0);
    expect(api.isBreakerOpen()).toBe(false);
    await expect(checkReadiness()).resolves.toBeUndefined();
  });

  it('does not count answers about the request (4xx) as breaker failures', async () => {
    server.on(PENDING, { status: 503 });
    server.on(TASK, { status: 404 });
    const api = await client({
      MAX_RETRIES: '0',
      CIRCUIT_BREAKER_THRESHOLD: '3',
    });
    await apiError(api.fetchPending(5));
    await apiError(api.fetchPending(5));
    await apiError(api.release('gone'));
    await apiError(api.fetchPending(5));
    await apiError(api.fetchPending(5));
    expect(api.isBreakerOpen()).toBe(false);
    await apiError(api.fetchPending(5));
    expect(api.isBreakerOpen()).toBe(true);
  });
});
