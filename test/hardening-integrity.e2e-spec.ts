import { waitUntil } from './support/eventually.js';
import { parseExposition, total } from './support/exposition.js';
import { OpenAiStub } from './support/openai-stub.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { ScriptedServer } from './support/scripted-server.js';
import {
  issueTokens,
  scriptedEnvironment,
} from './support/scripted-token-endpoint.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import {
  type RunningProcess,
  startService,
} from './support/service-process.js';
import { taskDocument } from './support/task-documents.js';

/** Callback parameters the reference server's dispatcher accepts (docs/contract.md §1). */
const CALLBACK = {
  callbackRoute: 'verification_update_embedding',
  callbackParams: { targetId: '6650f1c2a1b2c3d4e5f60719', field: 'embedding' },
};

const embeddingTask = (text: string, model: string) => ({
  type: 'text_embedding',
  content: { text, model },
  ...CALLBACK,
});

async function scrape(baseUrl: string) {
  const response = await fetch(`${baseUrl}/metrics`);
  return parseExposition(await response.text());
}

describe('no peer can fool the service into reporting bad data (built service)', () => {
  let sandbox: Sandbox;
  let stub: OpenAiStub;
  let service: RunningProcess | undefined;

  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
    await stub.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    const started = await startServiceAgainst(sandbox, {
      env: {
        EMBEDDING_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-stub-key',
        OPENAI_BASE_URL: stub.baseUrl,
        WIKIDATA_USER_AGENT:
          'ai-task-processor-tests/1.0 (https://example.org/ai-task-processor)',
        POLLING_INTERVAL_SECONDS: '1',
        MAX_RETRIES: '0',
        CIRCUIT_BREAKER_THRESHOLD: '1000',
        ...env,
      },
    });
    service = started.service;
    return started;
  };

  it('never reports 3-number vectors for text-embedding-3-small: the tasks are released, counted and logged', async () => {
    sandbox = await startReferenceSandbox();
    // Every answer holds vectors of 3 numbers, whatever the model's real size.
    stub = await OpenAiStub.start({ dimensions: 3 });
    const tasks = sandbox.insertTasks(
      ['one', 'two', 'three'].map((text) =>
        embeddingTask(text, 'text-embedding-3-small'),
      ),
    );
    const { baseUrl } = await start();

    await waitUntil(
      () => sandbox.stats().releases >= 6,
      'every task was released twice',
    );
    for (const { _id } of tasks) {
      const states = sandbox.task(String(_id))!.patches!.map((p) => p.state);
      expect(states).not.toContain('succeeded');
      expect(states).not.toContain('failed');
    }
    const metrics = await scrape(baseUrl);
    expect(
      total(metrics, 'openai_requests_total', { status: 'invalid_answer' }),
    ).toBeGreaterThanOrEqual(2);
    expect(total(metrics, 'openai_requests_total', { status: 'success' })).toBe(
      0,
    );
    expect(
      service!
        .logRecords()
        .some(
          (record) =>
            record.level === 40 &&
            String(record.msg).includes(
              'the embedding provider answered an invalid embeddings answer: vector 0 has 3 values; text-embedding-3-small answers 1536',
            ),
        ),
    ).toBe(true);
  });

  it('fails a result over the API body limit with result_too_large, and never sends it', async () => {
    sandbox = await startReferenceSandbox();
    // A model this service does not know, answering 10,000 numbers: about
    // 120 kB as JSON, over the reference server's 100 kB body limit.
    stub = await OpenAiStub.start({ dimensions: 10_000 });
    const [task] = sandbox.insertTasks([embeddingTask('big', 'big-embedder')]);
    await start();

    const view = await waitUntil(() => {
      const current = sandbox.task(String(task._id))!;
      return current.state === 'failed' && current;
    }, 'the task failed');
    expect(view.patches!.map(({ state }) => state)).toEqual([
      'in_progress',
      'failed',
    ]);
    expect(view.error).toEqual({
      code: 'result_too_large',
      message: expect.stringMatching(
        /^the result is 1\d{5} bytes as JSON, more than the 102400 bytes the tasks API accepts in one request \(API_MAX_REQUEST_BYTES\)$/,
      ) as string,
    });
    expect(sandbox.stats().requests.patch.byStatus['413']).toBeUndefined();
  });
});

describe('a page of tasks cannot make the service PATCH twice or outside its route (built service)', () => {
  let server: ScriptedServer;
  let service: RunningProcess | undefined;

  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await server.close();
  });

  it('takes a duplicated id once, and never PATCHes ids that are not one path segment', async () => {
    server = await ScriptedServer.start();
    issueTokens(server);
    const task = taskDocument();
    const invalidIds = ['..', '.', '../../admin', 'a\\b'];
    server
      .once('GET /api/ai-tasks/pending', {
        body: [
          task,
          task,
          ...invalidIds.map((_id) => taskDocument({ _id })),
          task,
        ],
      })
      .on('GET /api/ai-tasks/pending', { body: [] })
      .on('GET /api/ai-tasks', { body: [] })
      .on('PATCH /api/ai-tasks/:id', { body: {} });
    ({ service } = await startService(
      scriptedEnvironment(server, {
        EMBEDDING_PROVIDER: 'mock',
        POLLING_INTERVAL_SECONDS: '1',
        LOG_LEVEL: 'debug',
      }),
    ));

    // Two more polls after the page: all of it has been taken by then.
    await waitUntil(
      () =>
        server.requestsTo('GET /api/ai-tasks/pending').length >= 3 &&
        server.requests.filter((request) => request.method === 'PATCH')
          .length >= 2,
      'the page was worked off and polled after',
    );
    const patches = server.requests.filter(
      (request) => request.method === 'PATCH',
    );
    expect(
      patches.map(({ path, body }) => [
        path,
        (JSON.parse(body) as { state: string }).state,
      ]),
    ).toEqual([
      [`/api/ai-tasks/${String(task._id)}`, 'in_progress'],
      [`/api/ai-tasks/${String(task._id)}`, 'succeeded'],
    ]);
    const warnings = service
      .logRecords()
      .filter((record) => record.level === 40)
      .map((record) => String(record.msg));
    expect(
      warnings.filter((msg) =>
        msg.startsWith(
          'skipped a pending entry without a usable id: _id must be a task id',
        ),
      ),
    ).toHaveLength(invalidIds.length);
    expect(warnings.filter((msg) => msg.includes('duplicate'))).toEqual([
      'the page listed 2 duplicate entries of tasks already on it; each task is taken once',
    ]);
  });
});
