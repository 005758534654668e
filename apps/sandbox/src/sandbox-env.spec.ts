import { readSandboxEnvironment } from './sandbox-env.js';

describe('readSandboxEnvironment', () => {
  it('defaults to port 3000 and nothing else', () => {
    expect(readSandboxEnvironment({}, [])).toEqual({
      ok: true,
      options: { port: 3000 },
    });
  });

  it('reads every variable, and flags win over variables', () => {
    const read = readSandboxEnvironment(
      {
        SANDBOX_PORT: '0',
        SANDBOX_SEED: '300',
        SANDBOX_CLIENT_ID: 'id',
        SANDBOX_CLIENT_SECRET: 'secret',
        SANDBOX_TOKEN_TTL: '2',
        SANDBOX_HONOUR_LIMIT: 'true',
        SANDBOX_CONFLICT_ON_CLAIM: 'yes',
        SANDBOX_EMBEDDINGS_LATENCY_MS: '200',
        SANDBOX_KEEP_RESULTS: 'false',
      },
      ['--seed', '5', '--no-honour-limit', '--embeddings-api-key=sk-local'],
    );
    expect(read).toEqual({
      ok: true,
      options: {
        port: 0,
        seed: 5,
        clientId: 'id',
        clientSecret: 'secret',
        tokenTtlSeconds: 2,
        honourLimit: false,
        conflictOnClaim: true,
        embeddingsLatencyMs: 200,
        embeddingsApiKey: 'sk-local',
        keepResults: false,
      },
    });
  });

  it('reads the reference profile and its switches; an explicit one wins', () => {
    expect(
      readSandboxEnvironment(
        {
          SANDBOX_PROFILE: 'reference',
          SANDBOX_THROTTLE_TTL_MS: '2000',
          SANDBOX_CLIENT_AUTH_METHOD: 'client_secret_post',
          SANDBOX_CLIENT_SCOPES: ' read  write admin ',
          SANDBOX_BODY_LIMIT_BYTES: '2048',
          SANDBOX_STORE_REPORTS: 'yes',
          SANDBOX_CALLBACKS: 'true',
        },
        [
          '--throttle-limit',
          '0',
          '--no-redirect-not-found',
          '--strict-issuer',
          '--no-callbacks',
        ],
      ),
    ).toEqual({
      ok: true,
      options: {
        port: 3000,
        profile: 'reference',
        callbacks: false,
        throttleLimit: 0,
        throttleTtlMs: 2000,
        redirectNotFound: false,
        strictIssuer: true,
        clientAuthMethod: 'client_secret_post',
        clientScopes: 'read write admin',
        bodyLimitBytes: 2048,
        storeReports: true,
      },
    });
  });

  it('names invalid profile settings', () => {
    expect(
      readSandboxEnvironment(
        {
          SANDBOX_PROFILE: 'strict',
          SANDBOX_CLIENT_AUTH_METHOD: 'private_key_jwt',
          SANDBOX_CLIENT_SCOPES: ' ',
        },
        ['--throttle-ttl-ms', '0', '--body-limit-bytes=1kb'],
      ),
    ).toEqual({
      ok: false,
      problems: [
        'SANDBOX_PROFILE must be lenient or reference (got "strict")',
        '--throttle-ttl-ms must be a positive integer (got "0")',
        'SANDBOX_CLIENT_AUTH_METHOD must be client_secret_basic or client_secret_post (got "private_key_jwt")',
        'SANDBOX_CLIENT_SCOPES must be a space-separated list of scopes (got " ")',
        '--body-limit-bytes must be a positive integer (got "1kb")',
      ],
    });
  });

  it('reads the seeded types: all, or a comma-separated list', () => {
    expect(readSandboxEnvironment({ SANDBOX_SEED_TYPES: 'all' }, [])).toEqual({
      ok: true,
      options: {
        port: 3000,
        seedTypes: [
          'text_embedding',
          'identifying_data',
          'defining_topics',
          'defining_impact_area',
          'defining_severity',
        ],
      },
    });
    expect(
      readSandboxEnvironment({}, [
        '--seed-types',
        'identifying_data, defining_severity',
      ]),
    ).toEqual({
      ok: true,
      options: {
        port: 3000,
        seedTypes: ['identifying_data', 'defining_severity'],
      },
    });
    expect(
      readSandboxEnvironment(
        { SANDBOX_SEED_TYPES: 'text_embedding,image' },
        [],
      ),
    ).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^SANDBOX_SEED_TYPES must be "all" or/)],
    });
  });

  it('reads providers from SANDBOX_PROVIDER_<NAME>_* and --provider; a flag’s field wins', () => {
    expect(
      readSandboxEnvironment(
        {
          SANDBOX_PROVIDER_LOCAL_API_KEY: 'none',
          SANDBOX_PROVIDER_LOCAL_RPM: '5',
          SANDBOX_PROVIDER_LOCAL_WINDOW_MS: '3000',
          SANDBOX_PROVIDER_MY_OLLAMA_TPM: '2000',
          SANDBOX_PROVIDER_OPENAI_TPM: '',
        },
        [
          '--provider',
          'local:rpm=2,tpm=1000',
          '--provider=openai:rpm=60,api-key=sk-a=b',
        ],
      ),
    ).toEqual({
      ok: true,
      options: {
        port: 3000,
        providers: {
          local: { apiKey: 'none', rpm: 2, tpm: 1000, windowMs: 3000 },
          my_ollama: { tpm: 2000 },
          openai: { rpm: 60, apiKey: 'sk-a=b' },
        },
      },
    });
  });

  it('names invalid provider settings', () => {
    expect(
      readSandboxEnvironment(
        {
          SANDBOX_PROVIDER_LOCAL_RPM: 'many',
          SANDBOX_PROVIDER_LOCAL_WINDOW_MS: '0',
          SANDBOX_PROVIDER_LOCAL_BURST: '3',
        },
        ['--provider', 'Local:rpm=1', '--provider', 'local:rpm=1,burst=2'],
      ),
    ).toEqual({
      ok: false,
      problems: [
        'SANDBOX_PROVIDER_LOCAL_RPM must be a non-negative integer (got "many")',
        'SANDBOX_PROVIDER_LOCAL_WINDOW_MS must be a positive integer (got "0")',
        'SANDBOX_PROVIDER_LOCAL_BURST is not a provider setting (SANDBOX_PROVIDER_<NAME>_API_KEY, _RPM, _TPM or _WINDOW_MS)',
        '--provider must be <name>:api-key=…,rpm=…,tpm=…,window-ms=… (any of them) (got "Local:rpm=1")',
        '--provider must be <name>:api-key=…,rpm=…,tpm=…,window-ms=… (any of them) (got "local:rpm=1,burst=2")',
      ],
    });
  });

  it('names unknown flags', () => {
    expect(readSandboxEnvironment({}, ['--colour'])).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("'--colour'")],
    });
  });
});
