import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

interface IndicatorState {
  status: 'up' | 'down';
  reason?: string;
  [detail: string]: unknown;
}

interface HealthBody {
  status: 'ok' | 'error';
  info: Record<string, IndicatorState>;
  error: Record<string, IndicatorState>;
  details: Record<string, IndicatorState>;
}

describe('/ready and /health of the built service against the sandbox', () => {
  let sandbox: Sandbox;
  let service: RunningProcess;
  let baseUrl: string;

  const probe = async (path: '/ready' | '/health') => {
    const response = await fetch(`${baseUrl}${path}`);
    return {
      status: response.status,
      body: (await response.json()) as HealthBody,
    };
  };

  const untilReady = (what: string) =>
    waitUntil(
      async () => {
        const answer = await probe('/ready');
        return answer.status === 200 && answer;
      },
      what,
      { timeoutMs: 15_000, intervalMs: 100 },
    );

  const untilDown = (check: string) =>
    waitUntil(
      async () => {
        const answer = await probe('/ready');
        return answer.status === 503 && answer.body.error[check] && answer;
      },
      `/ready answers 503 with the ${check} check down`,
      { timeoutMs: 15_000, intervalMs: 100 },
    );

  const start = async (env: Record<string, string>) => {
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      env: { POLLING_INTERVAL_SECONDS: '1', MAX_RETRIES: '0', ...env },
    }));
  };

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    try {
      expect((await service.stop()).code).toBe(0);
    } finally {
      await sandbox.close();
    }
  });

  it('goes 503 naming the token check while the issuer is down, and 200 again once it is back', async () => {
    await start({ CIRCUIT_BREAKER_RESET_SECONDS: '1' });
    const ready = await untilReady('/ready answers 200');
    expect(Object.keys(ready.body.details).sort()).toEqual([
      'budget',
      'chat',
      'embeddings',
      'poll',
      'tasks_api',
      'token',
      'wikidata',
    ]);

    // The issuer answers 503, and the token the service holds is revoked: the
    // API refuses it, so the service must get a new one and cannot.
    sandbox.faults.error({ target: 'token', status: 503 });
    sandbox.revokeAllTokens();
    const down = await untilDown('token');
    expect(down.body.status).toBe('error');
    expect(down.body.error.token).toEqual({
      status: 'down',
      // Once the auth breaker opens, it says so, with the failure that opened it.
      reason: expect.stringMatching(
        /^the token endpoint (answered 503 \(temporarily_unavailable\)|is not called while its circuit breaker is open \(last failure: .*503.*\))$/,
      ),
    });
    expect(down.body.details.token).toEqual(down.body.error.token);
    expect(JSON.stringify(down.body)).not.toContain(sandbox.clientSecret);
    // Liveness is not readiness: a restart would not bring the issuer back.
    expect((await probe('/health')).status).toBe(200);

    sandbox.faults.reset();
    const back = await untilReady('/ready answers 200 again');
    expect(back.body.error).toEqual({});
    expect(back.body.info.token.status).toBe('up');
  });

  it('goes 503 naming tasks_api while the tasks API breaker is open, and 200 once the API answers again', async () => {
    await start({
      CIRCUIT_BREAKER_THRESHOLD: '2',
      CIRCUIT_BREAKER_RESET_SECONDS: '2',
    });
    await untilReady('/ready answers 200');

    sandbox.faults.error({ target: 'tasks', status: 503 });
    const down = await untilDown('tasks_api');
    expect(down.body.error.tasks_api).toEqual({
      status: 'down',
      reason: expect.stringMatching(
        /^the tasks API circuit breaker is open.*503.*; next trial call in \d+ s$/,
      ),
    });
    expect(down.body.info.token.status).toBe('up');

    sandbox.faults.reset();
    const back = await untilReady('/ready answers 200 again');
    expect(back.body.info.tasks_api.status).toBe('up');
  });
});
