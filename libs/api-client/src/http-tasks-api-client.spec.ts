import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { METRIC } from '@app/observability';
import { CapturingLogger } from '../../../test/support/capturing-logger.js';
import { metricValue } from '../../../test/support/metrics.js';
import { ScriptedServer } from '../../../test/support/scripted-server.js';
import {
  issueTokens,
  scriptedEnvironment,
} from '../../../test/support/scripted-token-endpoint.js';
import {
  pendingPageChunks,
  taskDocument,
} from '../../../test/support/task-documents.js';
import { apiError, startApiClientModule } from './testing/index.js';
import { MAX_TASK_BYTES } from './task-page.js';
import { TasksApiClient } from './tasks-api-client.js';

const PENDING = 'GET /api/ai-tasks/pending';
const TASK = 'PATCH /api/ai-tasks/:id';

describe('HttpTasksApiClient: operations and answers', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule | undefined;
  let logger: CapturingLogger;

  async function client(env: Record<string, string> = {}) {
    logger = new CapturingLogger();
    moduleRef = await startApiClientModule({
      env: scriptedEnvironment(server, { MAX_RETRIES: '0', ...env }),
      logger,
    });
    return moduleRef.get(TasksApiClient);
  }

  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.reset();
    issueTokens(server);
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('asks for pending tasks with a bearer token and the limit', async () => {
    const document = taskDocument();
    server.on(PENDING, { body: [document] });
    const page = await (await client()).fetchPending(7);
    expect(page.tasks.map((task) => task.id)).toEqual([document._id]);
    const [request] = server.requestsTo(PENDING);
    expect(request.query.get('limit')).toBe('7');
    expect(request.headers.authorization).toBe('Bearer token-1');
  });

  it('yields the valid tasks of a page and the rejected ones with reasons', async () => {
    const good = [taskDocument(), taskDocument({ type: 'text-embedding' })];
    server.on(PENDING, {
      body: [
        good[0],
        taskDocument({ _id: 'bad-state', state: 'done' }),
        taskDocument({ _id: undefined }),
        'not a task',
        good[1],
      ],
    });
    const page = await (await client()).fetchPending(10);
    expect(page.tasks.map((task) => [task.id, task.type])).toEqual([
      [good[0]._id, 'text_embedding'],
      [good[1]._id, 'text-embedding'],
    ]);
    expect(page.rejected).toEqual([
      {
        id: 'bad-state',
        reasons: [
          'state must be one of pending, in_progress, succeeded, failed (got "done")',
        ],
      },
      { reasons: ['_id is missing'] },
      { reasons: ['the entry is a string, not a task document'] },
    ]);
  });

  it('keeps `limit` entries of an enormous page and stops the transfer', async () => {
    const total = 1_000_000; // about 330 MB, produced only as far as it is read
    server.on(PENDING, { stream: pendingPageChunks(total) });
    const page = await (await client()).fetchPending(5);
    expect(page.tasks).toHaveLength(5);
    const [request] = server.requestsTo(PENDING);
    await vi.waitFor(() => expect(request.streamed?.clientLeft).toBe(true));
    expect(request.streamed?.finished).toBe(false);
    // What the kernel buffered before the client left: a few MB at most.
    expect(request.streamed!.bytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('ends a page at API_MAX_RESPONSE_BYTES with the tasks read by then', async () => {
    const tasks = Array.from({ length: 20 }, () => taskDocument());
    const size = JSON.stringify(tasks[0]).length + 1;
    server.on(PENDING, { body: tasks });
    const api = await client({ API_MAX_RESPONSE_BYTES: String(3 * size + 10) });
    const page = await api.fetchPending(100);
    expect(page.tasks.map((task) => task.id)).toEqual(
      tasks.slice(0, 3).map((task) => task._id),
    );
    expect(logger.containing('reached API_MAX_RESPONSE_BYTES')).toHaveLength(1);
  });

  it('fails the poll when not even one task fits in API_MAX_RESPONSE_BYTES', async () => {
    server.on(PENDING, { body: [taskDocument()] });
    const api = await client({ API_MAX_RESPONSE_BYTES: '50' });
    const error = await apiError(api.fetchPending(10));
    expect(error.message).toBe(
      'the answer of GET /api/ai-tasks/pending exceeded API_MAX_RESPONSE_BYTES (50 bytes) before its first task ended',
    );
    expect(error.transient).toBe(false);
  });

  it('rejects a task document over 1 MiB by its id and reads on', async () => {
    const huge = taskDocument({
      content: { text: 'x'.repeat(MAX_TASK_BYTES), model: 'm' },
    });
    const after = taskDocument();
    server.on(PENDING, { body: [huge, after] });
    const page = await (await client()).fetchPending(10);
    expect(page.tasks.map((task) => task.id)).toEqual([after._id]);
    expect(page.rejected).toEqual([
      {
        id: huge._id,
        reasons: [
          `the task document is ${JSON.stringify(huge).length} bytes, more than the ${MAX_TASK_BYTES} bytes a task may take`,
        ],
      },
    ]);
  });

  it.each([
    ['an object', { tasks: [] }, 'it starts with "{"'],
    ['HTML', '<html>oops</html>', 'it starts with "<"'],
    [
      'a cut-off array',
      '[{"_id": "a"',
      'ended before the JSON array was closed',
    ],
  ])(
    'fails the poll, counted and logged, when the body is %s',
    async (_, body, detail) => {
      server.on(PENDING, { body });
      const api = await client({ MAX_RETRIES: '3' });
      const before = await metricValue(METRIC.apiRequests, {
        status_code: 'invalid_body',
      });
      const error = await apiError(api.fetchPending(10));
      expect(error.message).toContain(
        'the tasks API answered GET /api/ai-tasks/pending with a body that is not a JSON array of tasks',
      );
      expect(error.message).toContain(detail);
      expect(error.transient).toBe(false);
      expect(server.requestsTo(PENDING)).toHaveLength(1);
      expect(
        (await metricValue(METRIC.apiRequests, {
          status_code: 'invalid_body',
        })) - before,
      ).toBe(1);
      expect(logger.containing('not a JSON array of tasks')).toHaveLength(1);
    },
  );

  it('lists tasks by state', async () => {
    const stuck = taskDocument({ state: 'in_progress' });
    server.on('GET /api/ai-tasks', { body: [stuck] });
    const page = await (await client()).listByState('in_progress');
    expect(page.tasks.map((task) => [task.id, task.state])).toEqual([
      [stuck._id, 'in_progress'],
    ]);
    expect(server.requestsTo('GET /api/ai-tasks')[0].query.get('state')).toBe(
      'in_progress',
    );
  });

  it('sends the lifecycle PATCHes of the contract', async () => {
    server.on(TASK, (request) => ({
      body: { _id: request.path.split('/').pop(), ...JSON.parse(request.body) },
    }));
    const api = await client();
    expect(await api.claim('t/1')).toBe('claimed');
    await api.complete('t2', [0.25, -1]);
    await api.fail('t3', { code: 'empty_text', message: 'the text is empty' });
    await api.release('t4');
    expect(
      server
        .requestsTo(TASK)
        .map((request) => [request.path, JSON.parse(request.body)]),
    ).toEqual([
      ['/api/ai-tasks/t%2F1', { state: 'in_progress' }],
      ['/api/ai-tasks/t2', { state: 'succeeded', result: [0.25, -1] }],
      [
        '/api/ai-tasks/t3',
        {
          state: 'failed',
          error: { code: 'empty_text', message: 'the text is empty' },
        },
      ],
      ['/api/ai-tasks/t4', { state: 'pending' }],
    ]);
  });

  it('answers conflict to a 409 claim, without logging an error', async () => {
    server.on(TASK, {
      status: 409,
      body: { statusCode: 409, message: 'task is not pending' },
    });
    const api = await client({ MAX_RETRIES: '3' });
    expect(await api.claim('taken')).toBe('conflict');
    expect(server.requestsTo(TASK)).toHaveLength(1);
    expect(logger.lines.filter((line) => /^(warn|error)/.test(line))).toEqual(
      [],
    );
  });

  it('reuses keep-alive connections for consecutive calls', async () => {
    server.on(TASK, { body: {} });
    const api = await client();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    for (const id of ids) await api.release(id);
    const ports = new Set(server.requestsTo(TASK).map((r) => r.remotePort));
    // The pool may hand the next call to a second connection while the
    // first is still being marked free; it never opens one per call.
    expect(server.requestsTo(TASK)).toHaveLength(ids.length);
    expect(ports.size).toBeLessThanOrEqual(2);
  });

  it('labels metrics with the route template, never an id', async () => {
    server.on(TASK, { body: {} });
    const api = await client();
    const before = await metricValue(METRIC.apiRequests, {
      endpoint: '/api/ai-tasks/:id',
      method: 'PATCH',
      status_code: '200',
    });
    await api.release('6650f1c2a1b2c3d4e5f60718');
    expect(
      (await metricValue(METRIC.apiRequests, {
        endpoint: '/api/ai-tasks/:id',
        method: 'PATCH',
        status_code: '200',
      })) - before,
    ).toBe(1);
    expect(
      await metricValue(
        METRIC.apiRequestDuration,
        { endpoint: '/api/ai-tasks/:id', method: 'PATCH' },
        `${METRIC.apiRequestDuration}_count`,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(await register.metrics()).not.toContain('6650f1c2a1b2c3d4e5f60718');
  });

  it('fails without calling the API when no token can be had', async () => {
    server.on('POST /oauth2/token', {
      status: 401,
      body: { error: 'invalid_client' },
    });
    const error = await apiError((await client()).fetchPending(5));
    expect(error.message).toBe(
      'no access token for the tasks API: the token endpoint refused the client credentials (invalid_client): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now client_secret_basic)',
    );
    expect(error.transient).toBe(true);
    expect(server.requestsTo(PENDING)).toHaveLength(0);
  });

  it('says how long it waited when the API does not answer', async () => {
    server.on(PENDING, { hang: true });
    const api = await client({ REQUEST_TIMEOUT: '1' });
    const before = await metricValue(METRIC.apiRequests, {
      status_code: 'timeout',
    });
    const error = await apiError(api.fetchPending(5));
    expect(error.message).toBe(
      'the tasks API did not answer GET /api/ai-tasks/pending within 1 s',
    );
    expect(error.transient).toBe(true);
    expect(
      (await metricValue(METRIC.apiRequests, { status_code: 'timeout' })) -
        before,
    ).toBe(1);
  });

  it('says when the API drops the connection without answering', async () => {
    server.on(TASK, { drop: true });
    const api = await client();
    const error = await apiError(api.complete('a', new Float32Array([0.5])));
    expect(error.message).toBe(
      'the tasks API could not be reached for PATCH /api/ai-tasks/:id (UND_ERR_SOCKET: other side closed)',
    );
    expect(error.transient).toBe(true);
  });

  it('says when the API cannot be reached', async () => {
    const api = await client({ API_BASE_URL: 'http://127.0.0.1:9' });
    const before = await metricValue(METRIC.apiRequests, {
      status_code: 'error',
    });
    const error = await apiError(api.release('a'));
    expect(error.message).toBe(
      'the tasks API could not be reached for PATCH /api/ai-tasks/:id (ECONNREFUSED)',
    );
    expect(error.transient).toBe(true);
    expect(
      (await metricValue(METRIC.apiRequests, { status_code: 'error' })) -
        before,
    ).toBe(1);
  });

  it('fetches nothing for a limit below one', async () => {
    expect(await (await client()).fetchPending(0)).toEqual({
      tasks: [],
      rejected: [],
    });
    expect(server.requestsTo(PENDING)).toHaveLength(0);
  });
});
