import { ServiceConfig } from './service-config.js';
import { VALID_ENVIRONMENT, configurationProblems } from './testing/index.js';

const valid = VALID_ENVIRONMENT;
const problemsOf = configurationProblems;

const warningsOf = (env: Record<string, string | undefined>) =>
  ServiceConfig.fromEnvironment({ ...valid, ...env }).warnings;

describe('URL settings', () => {
  describe('refuse what a URL must not carry, without repeating it', () => {
    it.each([
      [
        'API_BASE_URL',
        'https://svc:pa55-word-1@tasks.example.com/',
        ['pa55-word-1', 'svc:'],
        'API_BASE_URL must not contain credentials (user:password@)',
      ],
      [
        'API_BASE_URL',
        'https://user-only-token-2@tasks.example.com/',
        ['user-only-token-2'],
        'API_BASE_URL must not contain credentials (user:password@)',
      ],
      [
        'OAUTH2_TOKEN_URL',
        'https://issuer.example.com/oauth2/token?client_secret=query-secret-3',
        ['query-secret-3'],
        'OAUTH2_TOKEN_URL must not contain a query string',
      ],
      [
        'OPENAI_BASE_URL',
        'https://k:key-secret-4@llm.example.com/v1?api_key=query-secret-5',
        ['key-secret-4', 'query-secret-5'],
        'OPENAI_BASE_URL must not contain credentials (user:password@) and must not contain a query string',
      ],
      [
        'API_BASE_URL',
        'https://tasks.example.com/api#access_token=fragment-secret-6',
        ['fragment-secret-6'],
        'API_BASE_URL must not contain a fragment (#...)',
      ],
      [
        'API_BASE_URL',
        'ftp://user:scheme-secret-7@tasks.example.com',
        ['scheme-secret-7'],
        'API_BASE_URL must be an http(s) URL',
      ],
    ])('%s=%s', (name, value, hidden, line) => {
      const problems = problemsOf({ ...valid, [name]: value });
      expect(problems).toEqual([line]);
      for (const text of hidden)
        expect(problems.join('\n')).not.toContain(text);
    });

    it('still echoes a malformed URL that carries nothing to hide', () => {
      expect(problemsOf({ ...valid, API_BASE_URL: 'ftp://x' })).toEqual([
        'API_BASE_URL must be an http(s) URL (got "ftp://x")',
      ]);
    });
  });

  it('keeps only the origin and the path of each URL', () => {
    const config = ServiceConfig.fromEnvironment({
      ...valid,
      API_BASE_URL: 'HTTPS://Tasks.Example.COM:443/api/',
      OAUTH2_TOKEN_URL: 'https://issuer.example.com/oauth2/token',
      OPENAI_BASE_URL: 'https://llm.example.com/v1/',
    });
    expect(config.api.baseUrl).toBe('https://tasks.example.com/api');
    expect(config.auth.tokenUrl).toBe(
      'https://issuer.example.com/oauth2/token',
    );
    expect(config.embeddings.baseUrl).toBe('https://llm.example.com/v1');
  });

  describe('plain http to a host that is not loopback', () => {
    it('is warned about once per variable, naming it', () => {
      const warnings = warningsOf({
        API_BASE_URL: 'http://tasks-api:3000',
        OAUTH2_TOKEN_URL: 'http://10.0.0.7/oauth2/token',
        OPENAI_BASE_URL: 'http://ollama.internal:11434/v1',
      });
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(
        /^API_BASE_URL uses plain http:\/\/ to tasks-api, which is not a loopback address: .* \(set REQUIRE_HTTPS=true to refuse this\)$/,
      );
      expect(warnings[1]).toMatch(
        /^OAUTH2_TOKEN_URL uses plain http:\/\/ to 10\.0\.0\.7/,
      );
      expect(warnings[2]).toMatch(
        /^OPENAI_BASE_URL uses plain http:\/\/ to ollama\.internal/,
      );
      expect(
        warningsOf({
          REQUIRE_HTTPS: 'false',
          API_BASE_URL: 'http://tasks-api',
        }),
      ).toHaveLength(1);
    });

    it.each([
      'http://127.0.0.1:3000',
      'http://127.8.9.10/',
      'http://localhost:3000/api',
      'http://LOCALHOST',
      'http://[::1]:3000',
      'http://[::ffff:127.0.0.1]/',
      'https://tasks.example.com',
    ])('is not at stake for %s', (url) => {
      expect(
        warningsOf({
          API_BASE_URL: url,
          OAUTH2_TOKEN_URL: url,
          OPENAI_BASE_URL: url,
        }),
      ).toEqual([]);
      expect(
        problemsOf({
          ...valid,
          REQUIRE_HTTPS: 'true',
          API_BASE_URL: url,
          OAUTH2_TOKEN_URL: url,
          OPENAI_BASE_URL: url,
        }),
      ).toEqual([]);
    });

    it('is refused with REQUIRE_HTTPS=true, one line per variable', () => {
      expect(
        problemsOf({
          ...valid,
          REQUIRE_HTTPS: 'true',
          API_BASE_URL: 'http://tasks-api:3000',
          OAUTH2_TOKEN_URL: 'http://10.0.0.7/oauth2/token',
          OPENAI_BASE_URL: 'http://ollama.internal:11434/v1',
        }),
      ).toEqual(
        ['API_BASE_URL', 'OAUTH2_TOKEN_URL', 'OPENAI_BASE_URL'].map(
          (name) =>
            `${name} must use https:// when REQUIRE_HTTPS is true (plain http:// only to a loopback host)`,
        ),
      );
    });

    it('leaves the Ory endpoint derived from the slug alone (it is https)', () => {
      const { OAUTH2_TOKEN_URL: _, ...rest } = valid;
      const config = ServiceConfig.fromEnvironment({
        ...rest,
        ORY_PROJECT_SLUG: 'happy-lamport-123',
        API_BASE_URL: 'https://tasks.example.com',
        REQUIRE_HTTPS: '1',
      });
      expect(config.auth.tokenUrl).toMatch(/^https:\/\//);
      expect(config.warnings).toEqual([]);
    });
  });
});
