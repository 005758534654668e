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

  it('names unknown flags', () => {
    expect(readSandboxEnvironment({}, ['--colour'])).toMatchObject({
      ok: false,
      problems: [expect.stringContaining("'--colour'")],
    });
  });
});
