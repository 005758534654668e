import { randomBytes } from 'node:crypto';
import { waitUntil } from './support/eventually.js';
import { RecordingTokenProxy } from './support/recording-token-proxy.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

type LogRecord = Record<string, unknown>;

const MODEL = 'text-embedding-3-small';
const OBJECT_ID = /\b[0-9a-f]{24}\b/g;

describe('logs of the built service', () => {
  let sandbox: Sandbox;
  let service: RunningProcess;
  afterEach(async () => {
    try {
      if (service) expect((await service.stop()).code).toBe(0);
    } finally {
      await sandbox?.close();
    }
  });

  it('leave out requests to /metrics, /health and /ready, and name the task in every line about one', async () => {
    sandbox = await startReferenceSandbox();
    sandbox.seed(10);
    const [invalid] = sandbox.insertTasks([
      {
        type: 'text_embedding',
        content: { text: '', model: MODEL },
        callbackRoute: 'verification_update_embedding',
        callbackParams: {},
      },
    ]);
    // The first embeddings request fails past the retry budget: its tasks are released.
    sandbox.faults.error({ target: 'embeddings', status: 503, count: 1 });
    let baseUrl: string;
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: {
        LOG_LEVEL: 'debug',
        POLLING_INTERVAL_SECONDS: '1',
        MAX_RETRIES: '0',
      },
    }));
    await waitUntil(() => {
      const { tasks, releases } = sandbox.stats();
      return (
        releases > 0 &&
        tasks.failed === 1 &&
        tasks.succeeded > 0 &&
        tasks.in_progress === 0 &&
        tasks.pending === 0
      );
    }, 'tasks have succeeded, failed and been released, and none is left');
    // The sandbox counts an outcome when its PATCH arrives; the service logs
    // it once the answer is read.
    const outcomeLines = (pattern: RegExp) =>
      service
        .logRecords()
        .filter(
          (record) =>
            typeof record.msg === 'string' && pattern.test(record.msg),
        ).length;
    await waitUntil(() => {
      const { tasks, releases } = sandbox.stats();
      return (
        outcomeLines(/^succeeded$/) === tasks.succeeded &&
        outcomeLines(/^released: /) === releases
      );
    }, 'the service has logged every outcome the sandbox recorded');

    for (const path of ['/metrics', '/health', '/ready', '/metrics?x=1'])
      expect((await fetch(`${baseUrl}${path}`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/not-a-route`)).status).toBe(404);
    // Requests are answered in order: once this one is logged, the others would be.
    await service.waitForLog(
      (record) =>
        (record.req as { url?: string } | undefined)?.url === '/not-a-route',
    );
    const records = service.logRecords();
    const requestUrls = records.flatMap((record) => {
      const url = (record.req as { url?: unknown } | undefined)?.url;
      return typeof url === 'string' ? [url] : [];
    });
    expect(requestUrls).toEqual(['/not-a-route']);

    // Every line that speaks of one task carries its id as `taskId`.
    const ids = new Set(sandbox.tasks().map((task) => String(task._id)));
    const about = (record: LogRecord) => {
      const { taskId: _ignored, ...rest } = record;
      return [...JSON.stringify(rest).matchAll(OBJECT_ID)]
        .map(([id]) => id)
        .filter((id) => ids.has(id));
    };
    for (const record of records) {
      const mentioned = about(record);
      if (mentioned.length > 0)
        expect(record.taskId, JSON.stringify(record)).toBeDefined();
      if (record.context === 'TaskRunner')
        expect(ids.has(String(record.taskId)), JSON.stringify(record)).toBe(
          true,
        );
    }
    const lines = (pattern: RegExp) =>
      records.filter(
        (record) => typeof record.msg === 'string' && pattern.test(record.msg),
      );
    const outcomes = {
      succeeded: lines(/^succeeded$/),
      failed: lines(/^failed: /),
      released: lines(/^released: /),
    };
    expect(outcomes.succeeded.length).toBe(sandbox.stats().tasks.succeeded);
    expect(outcomes.failed.map((record) => record.taskId)).toEqual([
      String(invalid._id),
    ]);
    expect(outcomes.released.length).toBe(sandbox.stats().releases);
    for (const record of Object.values(outcomes).flat())
      expect(ids.has(String(record.taskId)), JSON.stringify(record)).toBe(true);
  });

  it('never contain the client secret, the API key or an access token, at debug level, through a token renewal', async () => {
    const clientSecret = `client-secret-${randomBytes(12).toString('hex')}`;
    const apiKey = `sk-test-${randomBytes(16).toString('hex')}`;
    sandbox = await startReferenceSandbox({
      clientSecret,
      embeddingsApiKey: apiKey,
    });
    const tokens = await RecordingTokenProxy.start(sandbox.tokenUrl);
    try {
      sandbox.seed(20);
      // The first token request fails: the error path is logged too.
      sandbox.faults.error({ target: 'token', status: 503, count: 1 });
      ({ service } = await startServiceAgainst(
        { ...sandbox, tokenUrl: tokens.url },
        {
          openaiCompatible: true,
          env: {
            LOG_LEVEL: 'debug',
            OPENAI_API_KEY: apiKey,
            POLLING_INTERVAL_SECONDS: '1',
            MAX_RETRIES: '1',
          },
        },
      ));
      await waitUntil(
        () => sandbox.stats().tasks.succeeded === 20,
        'the first 20 tasks succeeded',
      );

      // Mid-run every token is revoked: the API refuses the one held (403),
      // and the service gets a new one.
      expect(sandbox.revokeAllTokens()).toBeGreaterThan(0);
      sandbox.seed(10);
      await waitUntil(
        () =>
          sandbox.stats().tasks.succeeded === 30 && tokens.issued.length >= 2,
        'the next 10 tasks succeeded with a renewed token',
      );
      const { requests } = sandbox.stats();
      const refused =
        (requests.pending.byStatus['403'] ?? 0) +
        (requests.patch.byStatus['403'] ?? 0);
      expect(refused).toBeGreaterThan(0);
    } finally {
      await tokens.close();
    }
    expect((await service.stop()).code).toBe(0);

    const output = `${service.stdout}\n${service.stderr}`;
    // Not a vacuous search: debug lines were written, about tokens among others.
    expect(service.logRecords().some((record) => record.level === 20)).toBe(
      true,
    );
    expect(output).toContain('access token obtained');
    const basic = Buffer.from(
      `${encodeURIComponent(sandbox.clientId)}:${encodeURIComponent(clientSecret)}`,
    ).toString('base64');
    for (const secret of [clientSecret, apiKey, basic, ...tokens.issued])
      expect(output.includes(secret), `a secret was logged: ${secret}`).toBe(
        false,
      );
  });
});
