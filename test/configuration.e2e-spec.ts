import {
  SERVICE_ENTRY,
  startProcess,
  startService,
} from './support/service-process.js';

const SECRET = 'client-secret-that-must-never-be-logged';
const API_KEY = 'sk-test-api-key-that-must-never-be-logged';

const validEnv = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: SECRET,
};

describe('start-up configuration (built service)', () => {
  it('exits 1 with one line per invalid setting, and starts nothing', async () => {
    const run = startProcess(SERVICE_ENTRY, {
      CONCURRENCY_LIMIT: 'abc',
      OAUTH2_CLIENT_ID: 'processor',
      OAUTH2_CLIENT_SECRET: SECRET,
      METRICS_PORT: '99999',
      EMBEDDING_PROVIDER: 'sometimes',
    });
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.stderr.trim().split('\n')).toEqual([
      'API_BASE_URL is required',
      'set ORY_PROJECT_SLUG or OAUTH2_TOKEN_URL',
      'EMBEDDING_PROVIDER must be one of auto, openai, mock (got "sometimes")',
      'CONCURRENCY_LIMIT must be a positive integer (got "abc")',
      'METRICS_PORT must be a port number from 0 to 65535 (got "99999")',
    ]);
    expect(run.stdout).toBe('');
    expect(run.stderr).not.toContain(SECRET);
  });

  it('serves /health and /metrics on METRICS_PORT with valid settings', async () => {
    const { service, baseUrl } = await startService(validEnv);
    try {
      const health = await fetch(`${baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });

      const metrics = await fetch(`${baseUrl}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain('nodejs_eventloop_lag_seconds');
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
  });

  it('binds /health, /ready and /metrics to METRICS_HOST, every interface when unset', async () => {
    // Every interface: '::' where the host has IPv6, '0.0.0.0' where not.
    for (const [host, bound] of [
      [undefined, ['::', '0.0.0.0']],
      ['127.0.0.1', ['127.0.0.1']],
    ] as const) {
      const { service } = await startService({
        ...validEnv,
        ...(host ? { METRICS_HOST: host } : {}),
      });
      try {
        const listening = await service.waitForLog(
          (record) => record.msg === 'http server listening',
        );
        expect(bound).toContain(listening.host);
      } finally {
        expect((await service.stop()).code).toBe(0);
      }
    }
  });

  it('never writes the client secret, the API key or a bearer token to the log', async () => {
    const { service, baseUrl } = await startService({
      ...validEnv,
      OPENAI_API_KEY: API_KEY,
      WIKIDATA_USER_AGENT:
        'ai-task-processor-tests/1.0 (https://example.org/ai-task-processor)',
      LOG_LEVEL: 'trace',
    });
    try {
      for (const path of ['/health', '/ready', '/metrics', '/nowhere']) {
        await fetch(`${baseUrl}${path}?token=${SECRET}`, {
          headers: { authorization: `Bearer ${API_KEY}`, 'x-api-key': SECRET },
        });
      }
    } finally {
      await service.stop();
    }
    const output = service.stdout + service.stderr;
    // The request lines were written, with the secrets censored.
    expect(output).toContain('"url":"/nowhere"');
    expect(output).toContain('"authorization":"[REDACTED]"');
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(API_KEY);
  });
});
