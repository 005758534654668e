import { ServiceConfig } from './service-config.js';
import { VALID_ENVIRONMENT, configurationProblems } from './testing/index.js';

const valid = VALID_ENVIRONMENT;
const problemsOf = configurationProblems;

const USER_AGENT = 'fact-checker-ai/1.0 (https://example.org; ops@example.org)';

describe('ServiceConfig', () => {
  it('applies the contract defaults', () => {
    const config = ServiceConfig.fromEnvironment(valid);
    expect(config.api.baseUrl).toBe('http://127.0.0.1:3000');
    expect(config.auth).toMatchObject({
      scope: 'read write',
      authMethod: 'client_secret_basic',
      requestTimeoutMs: 30_000,
    });
    expect(config.tasks).toMatchObject({
      pollingIntervalMs: 30_000,
      concurrencyLimit: 5,
      prefetchLimit: 256,
      shutdownTimeoutMs: 30_000,
      staleTaskTimeoutMs: 900_000,
      shard: undefined,
      runOnce: false,
    });
    expect(config.resilience).toEqual({
      maxRetries: 3,
      breakerThreshold: 5,
      breakerResetMs: 60_000,
    });
    expect(config.embeddings).toMatchObject({
      baseUrl: 'https://api.openai.com/v1',
      timeoutMs: 60_000,
      batchSize: 128,
      batchWaitMs: 10,
      maxConcurrentRequests: 4,
    });
    expect(config.api.maxRequestBytes).toBe(102_400);
    expect(config.observability).toEqual({
      metricsPort: 8001,
      metricsHost: undefined,
      logLevel: 'info',
      prettyLogs: true,
    });
    expect(config.warnings).toEqual([]);
    expect(
      ServiceConfig.fromEnvironment({
        ...valid,
        NODE_ENV: 'production',
        EMBEDDING_PROVIDER: 'mock',
      }).observability.prettyLogs,
    ).toBe(false);
  });

  it('derives the Ory token endpoint from the project slug', () => {
    const { OAUTH2_TOKEN_URL: _, ...rest } = valid;
    const config = ServiceConfig.fromEnvironment({
      ...rest,
      ORY_PROJECT_SLUG: 'happy-lamport-123',
    });
    expect(config.auth.tokenUrl).toBe(
      'https://happy-lamport-123.projects.oryapis.com/oauth2/token',
    );
  });

  it('names every problem on its own line', () => {
    expect(
      problemsOf({
        CONCURRENCY_LIMIT: 'abc',
        WORKER_SHARD: '2/2',
        LOG_LEVEL: 'loud',
        OAUTH2_CLIENT_SECRET: '',
      }),
    ).toEqual([
      'API_BASE_URL is required',
      'set ORY_PROJECT_SLUG or OAUTH2_TOKEN_URL',
      'OAUTH2_CLIENT_ID is required',
      'OAUTH2_CLIENT_SECRET is required',
      'CONCURRENCY_LIMIT must be a positive integer (got "abc")',
      'WORKER_SHARD must look like i/n with 0 <= i < n (got "2/2")',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });

  it.each([
    ['POLLING_INTERVAL_SECONDS', '0', 'must be a positive integer'],
    ['PREFETCH_LIMIT', '-1', 'must be a non-negative integer'],
    ['METRICS_PORT', '70000', 'must be a port number from 0 to 65535'],
    ['OAUTH2_TOKEN_AUTH_METHOD', 'private_key_jwt', 'must be one of'],
    ['API_BASE_URL', 'ftp://x', 'must be an http(s) URL'],
    ['EMBEDDING_BATCH_SIZE', '4096', 'must be at most 2048'],
    ['RUN_ONCE', 'yes', 'must be one of true, false, 1, 0'],
    ['REQUIRE_HTTPS', 'yes', 'must be one of true, false, 1, 0'],
    ['METRICS_HOST', 'not a host', 'must be an IP address or a host name'],
    ['METRICS_HOST', '[::1]', 'must be an IP address or a host name'],
    ['API_MAX_REQUEST_BYTES', '0', 'must be a positive integer'],
    ['API_MAX_REQUEST_BYTES', '100kb', 'must be a positive integer'],
  ])('rejects %s=%s', (name, value, message) => {
    const problems = problemsOf({ ...valid, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
    expect(problems[0]).toContain(message);
  });

  it('never echoes a secret in an error line', () => {
    const problems = problemsOf({
      ...valid,
      EMBEDDING_PROVIDER: 'openai',
      OPENAI_API_KEY: 'your_openai_api_key_here',
    });
    expect(problems).toEqual([
      'OPENAI_API_KEY is required when EMBEDDING_PROVIDER is openai (it is unset or the placeholder)',
    ]);
  });

  it.each([
    [{}, 'mock', 'OPENAI_API_KEY is not set'],
    [
      { OPENAI_API_KEY: 'your_openai_api_key_here' },
      'mock',
      'OPENAI_API_KEY is the placeholder',
    ],
    [
      { OPENAI_API_KEY: 'sk-x', EMBEDDING_PROVIDER: 'mock' },
      'mock',
      'EMBEDDING_PROVIDER is mock',
    ],
    [{ OPENAI_API_KEY: 'sk-x' }, 'providers', 'OPENAI_API_KEY is set'],
  ])('chooses the embedding provider for %o', (env, kind, reason) => {
    const { provider } = ServiceConfig.fromEnvironment({
      ...valid,
      WIKIDATA_USER_AGENT: USER_AGENT,
      ...env,
    }).embeddings;
    expect(provider).toMatchObject({ kind, reason });
  });

  it('reads run-once from RUN_ONCE or --once, and the shard', () => {
    expect(ServiceConfig.fromEnvironment(valid, ['--once']).tasks.runOnce).toBe(
      true,
    );
    const config = ServiceConfig.fromEnvironment({
      ...valid,
      RUN_ONCE: 'true',
      WORKER_SHARD: '1/3',
    });
    expect(config.tasks.runOnce).toBe(true);
    expect(config.tasks.shard).toEqual({ index: 1, count: 3 });
  });

  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['::', '::'],
    ['127.0.0.1', '127.0.0.1'],
    ['metrics-host', 'metrics-host'],
    ['pod.example.internal', 'pod.example.internal'],
  ])('binds the metrics server to METRICS_HOST=%s', (value, host) => {
    expect(
      ServiceConfig.fromEnvironment({ ...valid, METRICS_HOST: value })
        .observability.metricsHost,
    ).toBe(host);
  });

  it('reads the largest request body from API_MAX_REQUEST_BYTES', () => {
    expect(
      ServiceConfig.fromEnvironment({ ...valid, API_MAX_REQUEST_BYTES: '2048' })
        .api.maxRequestBytes,
    ).toBe(2048);
  });

  describe('in production', () => {
    const production = { ...valid, NODE_ENV: 'production' };

    it.each([
      [{}, 'OPENAI_API_KEY is not set'],
      [{ EMBEDDING_PROVIDER: 'auto' }, 'OPENAI_API_KEY is not set'],
      [
        { OPENAI_API_KEY: 'your_openai_api_key_here' },
        'OPENAI_API_KEY is the placeholder',
      ],
    ])('refuses to fall into mock embeddings with %o', (env, why) => {
      expect(problemsOf({ ...production, ...env })).toEqual([
        `${why} and NODE_ENV is production: set OPENAI_API_KEY (or a PROVIDER_<NAME>_BASE_URL), or EMBEDDING_PROVIDER=mock to run on mock embeddings on purpose`,
      ]);
    });

    it('runs mock embeddings when EMBEDDING_PROVIDER=mock says so', () => {
      const config = ServiceConfig.fromEnvironment({
        ...production,
        EMBEDDING_PROVIDER: 'mock',
      });
      expect(config.embeddings.provider.kind).toBe('mock');
    });

    it('runs OpenAI when the key is set', () => {
      const config = ServiceConfig.fromEnvironment({
        ...production,
        OPENAI_API_KEY: 'sk-x',
        WIKIDATA_USER_AGENT: USER_AGENT,
      });
      expect(config.embeddings.provider.kind).toBe('providers');
    });
  });

  describe('the verification task types', () => {
    it('default to gpt-4o-mini and Wikidata itself, with the chat on the embeddings provider', () => {
      const config = ServiceConfig.fromEnvironment(valid);
      expect(config.chat).toMatchObject({
        provider: { kind: 'mock' },
        defaultModel: 'gpt-4o-mini',
        baseUrl: 'https://api.openai.com/v1',
      });
      expect(config.wikidata).toEqual({
        apiUrl: 'https://www.wikidata.org/w/api.php',
        userAgent: undefined,
        requestTimeoutMs: 30_000,
      });
    });

    it('read LLM_DEFAULT_MODEL, WIKIDATA_API_URL and WIKIDATA_USER_AGENT', () => {
      const config = ServiceConfig.fromEnvironment({
        ...valid,
        OPENAI_API_KEY: 'sk-x',
        LLM_DEFAULT_MODEL: 'o4-mini',
        WIKIDATA_API_URL: 'http://127.0.0.1:3000/w/api.php',
        WIKIDATA_USER_AGENT: USER_AGENT,
      });
      expect(config.chat).toMatchObject({
        provider: { kind: 'providers' },
        defaultModel: 'o4-mini',
      });
      expect(config.wikidata).toMatchObject({
        apiUrl: 'http://127.0.0.1:3000/w/api.php',
        userAgent: USER_AGENT,
      });
    });

    it('require a User-Agent with a contact outside mock mode, as Wikimedia asks', () => {
      expect(problemsOf({ ...valid, OPENAI_API_KEY: 'sk-x' })).toEqual([
        expect.stringMatching(
          /^WIKIDATA_USER_AGENT is required outside mock mode/,
        ),
      ]);
      expect(
        problemsOf({ ...valid, WIKIDATA_USER_AGENT: 'node-fetch/1.0' }),
      ).toEqual([
        'WIKIDATA_USER_AGENT must say how to contact you (an e-mail address or an http(s) URL), as Wikimedia\'s User-Agent policy asks (got "node-fetch/1.0")',
      ]);
      expect(problemsOf({ ...valid, LLM_DEFAULT_MODEL: 'gpt 4' })).toEqual([
        'LLM_DEFAULT_MODEL must be a model name without spaces (got "gpt 4")',
      ]);
    });
  });
});
