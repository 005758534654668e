import {
  SERVICE_ENTRY,
  startProcess,
  startService,
} from './support/service-process.js';

// What a peer or a careless setting could make the built service expose:
// credentials in URLs, secrets in query strings, plain HTTP across the
// network, and mock embeddings in production.

const SECRET = 'client-secret-that-must-never-be-logged';

const validEnv = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: SECRET,
};

/**
 * Starts the built service and expects it to stop at once with exit code 1;
 * a service that starts instead is stopped, and the test fails.
 */
async function refusedStart(env: Record<string, string>) {
  const run = startProcess(SERVICE_ENTRY, { METRICS_PORT: '0', ...env });
  // Resolves when it listens, rejects when it exits (or after 20 s).
  await run
    .waitForLog((record) => record.msg === 'http server listening')
    .catch(() => undefined);
  if (run.child.exitCode === null && run.child.signalCode === null) {
    await run.stop();
    expect.fail(`the service did not stop:\n${run.stdout.slice(-2000)}`);
  }
  expect(await run.exited).toEqual({ code: 1, signal: null });
  expect(run.stdout).toBe('');
  return { lines: run.stderr.trim().split('\n'), output: run.stderr };
}

describe('hardening of the built service against secrets in settings and requests', () => {
  it('refuses URLs with credentials or a query string, without repeating them', async () => {
    const { lines, output } = await refusedStart({
      ...validEnv,
      API_BASE_URL: 'https://svc:url-password-1@tasks.example.com/',
      OAUTH2_TOKEN_URL:
        'https://issuer.example.com/oauth2/token?client_secret=url-secret-2',
      OPENAI_BASE_URL:
        'https://k:url-key-3@llm.example.com/v1?api_key=url-key-4',
    });
    expect(lines).toEqual([
      'API_BASE_URL must not contain credentials (user:password@)',
      'OAUTH2_TOKEN_URL must not contain a query string',
      'OPENAI_BASE_URL must not contain credentials (user:password@) and must not contain a query string',
    ]);
    for (const secret of [
      'url-password-1',
      'url-secret-2',
      'url-key-3',
      'url-key-4',
    ])
      expect(output).not.toContain(secret);
  });

  it('refuses plain http to a host that is not loopback under REQUIRE_HTTPS=true, one line per variable', async () => {
    const { lines } = await refusedStart({
      ...validEnv,
      REQUIRE_HTTPS: 'true',
      API_BASE_URL: 'http://192.0.2.1:9/api',
      OAUTH2_TOKEN_URL: 'http://192.0.2.1:9/oauth2/token',
      OPENAI_BASE_URL: 'http://192.0.2.1:11434/v1',
    });
    expect(lines).toEqual(
      ['API_BASE_URL', 'OAUTH2_TOKEN_URL', 'OPENAI_BASE_URL'].map(
        (name) =>
          `${name} must use https:// when REQUIRE_HTTPS is true (plain http:// only to a loopback host)`,
      ),
    );
  });

  it('warns once, through its logger, about plain http to a host that is not loopback', async () => {
    const { service } = await startService({
      ...validEnv,
      API_BASE_URL: 'http://192.0.2.1:9/api/',
      REQUEST_TIMEOUT: '1',
    });
    try {
      await service.waitForLog(
        (record) =>
          typeof record.msg === 'string' && record.msg.startsWith('polling '),
      );
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
    const records = service.logRecords();
    const warnings = records.filter(
      (record) => record.context === 'ConfigWarnings',
    );
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(
          /^API_BASE_URL uses plain http:\/\/ to 192\.0\.2\.1, which is not a loopback address: /,
        ),
      }),
    ]);
    // The start-up line shows the origin and the path, nothing more.
    expect(records.map((record) => record.msg)).toContain(
      'polling http://192.0.2.1:9/api',
    );
  });

  it('refuses mock embeddings in production unless EMBEDDING_PROVIDER=mock says so', async () => {
    for (const key of [
      {},
      { OPENAI_API_KEY: 'your_openai_api_key_here' },
    ] as Record<string, string>[]) {
      const { lines } = await refusedStart({
        ...validEnv,
        ...key,
        NODE_ENV: 'production',
      });
      expect(lines).toEqual([
        expect.stringMatching(
          /^OPENAI_API_KEY is (not set|the placeholder) and NODE_ENV is production: set OPENAI_API_KEY \(or a PROVIDER_<NAME>_BASE_URL\), or EMBEDDING_PROVIDER=mock to run on mock embeddings on purpose$/,
        ),
      ]);
    }
    const { service } = await startService({
      ...validEnv,
      NODE_ENV: 'production',
      EMBEDDING_PROVIDER: 'mock',
    });
    expect((await service.stop()).code).toBe(0);
  });

  it('keeps no query string in its request log', async () => {
    // Unknown paths are logged at debug only.
    const { service, baseUrl } = await startService({
      ...validEnv,
      LOG_LEVEL: 'debug',
    });
    try {
      expect(
        (
          await fetch(
            `${baseUrl}/nowhere?access_token=peer-token-5&api_key=peer-key-6&page=1`,
          )
        ).status,
      ).toBe(404);
      await service.waitForLog(
        (record) =>
          (record.req as { url?: string } | undefined)?.url === '/nowhere',
      );
    } finally {
      expect((await service.stop()).code).toBe(0);
    }
    const output = service.stdout + service.stderr;
    expect(output).not.toContain('peer-token-5');
    expect(output).not.toContain('peer-key-6');
    expect(output).not.toContain('page=1');
  });
});
