import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchesModelPattern } from './provider-settings.js';
import { ServiceConfig } from './service-config.js';
import { VALID_ENVIRONMENT, configurationProblems } from './testing/index.js';

const AGENT = { WIKIDATA_USER_AGENT: 'tests/1.0 (https://example.org)' };
const config = (env: Record<string, string>) =>
  ServiceConfig.fromEnvironment({ ...VALID_ENVIRONMENT, ...AGENT, ...env });
const problems = (env: Record<string, string>) =>
  configurationProblems({ ...VALID_ENVIRONMENT, ...AGENT, ...env });

describe('providers, routes and budgets', () => {
  it('keep a simple deployment as it was: openai alone, no routes, no budgets, SQLite', () => {
    const { providers, budgets, embeddings } = config({
      OPENAI_API_KEY: 'sk-x',
    });
    expect(providers).toEqual({
      list: [
        {
          name: 'openai',
          baseUrl: 'https://api.openai.com/v1',
          apiKey: 'sk-x',
          rpm: undefined,
          tpm: undefined,
        },
      ],
      routes: [],
    });
    expect(budgets).toEqual({
      limits: [],
      pricesFile: undefined,
      store: { kind: 'sqlite', path: './data/budgets.sqlite' },
    });
    expect(embeddings.provider).toEqual({
      kind: 'providers',
      reason: 'OPENAI_API_KEY is set',
    });
  });

  it('read named providers, rates and routes', () => {
    const { providers, embeddings } = config({
      OPENAI_API_KEY: 'sk-x',
      OPENAI_RPM: '500',
      OPENAI_TPM: '1000000',
      PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1/',
      PROVIDER_OLLAMA_RPM: '60',
      PROVIDER_LOCAL_VLLM_BASE_URL: 'http://127.0.0.1:8000/v1',
      PROVIDER_LOCAL_VLLM_API_KEY: 'vllm-key',
      MODEL_ROUTES: 'dengcao/*=ollama, qwen*=local_vllm,*=openai',
    });
    expect(providers.list).toEqual([
      expect.objectContaining({ name: 'openai', rpm: 500, tpm: 1_000_000 }),
      {
        name: 'local_vllm',
        baseUrl: 'http://127.0.0.1:8000/v1',
        apiKey: 'vllm-key',
        rpm: undefined,
        tpm: undefined,
      },
      {
        name: 'ollama',
        baseUrl: 'http://127.0.0.1:11434/v1',
        apiKey: undefined,
        rpm: 60,
        tpm: undefined,
      },
    ]);
    expect(providers.routes).toEqual([
      { pattern: 'dengcao/*', provider: 'ollama' },
      { pattern: 'qwen*', provider: 'local_vllm' },
      { pattern: '*', provider: 'openai' },
    ]);
    expect(embeddings.provider.reason).toBe(
      'OPENAI_API_KEY is set; providers openai, local_vllm, ollama',
    );
  });

  it('run on a named provider alone, without an OpenAI key', () => {
    const { providers, embeddings } = config({
      PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
      MODEL_ROUTES: '*=ollama',
    });
    expect(providers.list.map(({ name }) => name)).toEqual(['ollama']);
    expect(embeddings.provider.kind).toBe('providers');
  });

  it('read budgets and their store', () => {
    const { budgets } = config({
      BUDGET_DAY_TOKENS: '200000',
      BUDGET_MONTH_USD: '12.5',
      BUDGET_STORE: 'redis',
      REDIS_URL: 'redis://:secret@127.0.0.1:6379/0',
    });
    expect(budgets).toEqual({
      limits: [
        { period: 'day', unit: 'tokens', limit: 200_000 },
        { period: 'month', unit: 'usd', limit: 12.5 },
      ],
      pricesFile: undefined,
      store: { kind: 'redis', url: 'redis://:secret@127.0.0.1:6379/0' },
    });
  });

  it('name every problem on its own line, never echoing a secret', () => {
    expect(
      problems({
        OPENAI_API_KEY: 'sk-x',
        PROVIDER_OLLAMA_URL: 'http://127.0.0.1:11434',
        PROVIDER_LOCAL_API_KEY: 'k',
        PROVIDER_OPENAI_BASE_URL: 'http://127.0.0.1:1',
        PROVIDER_REMOTE_BASE_URL: 'http://user:pw@example.org/v1',
        PROVIDER_SLOW_BASE_URL: 'http://127.0.0.1:2/v1',
        PROVIDER_SLOW_RPM: 'fast',
        MODEL_ROUTES: 'x=nowhere,broken',
        BUDGET_DAY_TOKENS: '1.5',
        BUDGET_WEEK_USD: '-3',
        BUDGET_STORE: 'redis',
        REDIS_URL: 'http://:hunter2@redis',
        BUDGET_PRICES_FILE: '/nonexistent/prices.json',
      }),
    ).toEqual([
      'PROVIDER_OLLAMA_URL is not a setting: PROVIDER_<NAME>_ takes BASE_URL, API_KEY, RPM or TPM (NAME: A-Z, 0-9, _)',
      'PROVIDER_LOCAL_BASE_URL is required for the provider local',
      'PROVIDER_OPENAI_* is reserved: openai is set with OPENAI_BASE_URL and OPENAI_API_KEY, and mock needs no settings',
      'PROVIDER_REMOTE_BASE_URL must not contain credentials (user:password@)',
      'PROVIDER_SLOW_RPM must be a positive integer (got "fast")',
      'BUDGET_PRICES_FILE names no file (got "/nonexistent/prices.json")',
      'MODEL_ROUTES routes "x" to nowhere, which is not a provider: openai, slow (PROVIDER_<NAME>_BASE_URL adds one)',
      'MODEL_ROUTES must be comma-separated pattern=provider pairs, e.g. "dengcao/*=ollama,*=openai" (got "broken")',
      'BUDGET_DAY_TOKENS must be a positive integer (got "1.5")',
      'BUDGET_WEEK_USD must be a positive number (got "-3")',
      'REDIS_URL must be a redis:// or rediss:// URL',
    ]);
  });

  it('refuse BUDGET_STORE values it does not know, and redis without REDIS_URL', () => {
    expect(problems({ BUDGET_STORE: 'postgres' })).toEqual([
      'BUDGET_STORE must be sqlite:<path> or redis (got "postgres")',
    ]);
    expect(problems({ BUDGET_STORE: 'redis' })).toEqual([
      'REDIS_URL is required when BUDGET_STORE is redis',
    ]);
  });

  describe('BUDGET_FILE', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'budget-file-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** A file holding `content` (JSON-encoded unless a string). */
    const file = (content: unknown): string => {
      const path = join(dir, 'budgets.json');
      writeFileSync(
        path,
        typeof content === 'string' ? content : JSON.stringify(content),
      );
      return path;
    };
    const NAMED = { PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1' };

    it('adds its budgets, per provider or model pattern, to the environment’s', () => {
      const { budgets } = config({
        ...NAMED,
        BUDGET_DAY_TOKENS: '500000',
        BUDGET_FILE: file({
          budgets: [
            { period: 'day', tokens: 200000, provider: 'openai' },
            { period: 'month', usd: 50, model: 'gpt-4o*' },
            { period: 'hour', tokens: 10000 },
            { period: 'week', usd: 2.5, provider: 'ollama', model: 'qwen*' },
          ],
        }),
      });
      expect(budgets.limits).toEqual([
        { period: 'day', unit: 'tokens', limit: 500_000 },
        { period: 'day', unit: 'tokens', limit: 200_000, provider: 'openai' },
        { period: 'month', unit: 'usd', limit: 50, model: 'gpt-4o*' },
        { period: 'hour', unit: 'tokens', limit: 10_000 },
        {
          period: 'week',
          unit: 'usd',
          limit: 2.5,
          provider: 'ollama',
          model: 'qwen*',
        },
      ]);
    });

    it('takes an empty list', () => {
      expect(
        config({ BUDGET_FILE: file({ budgets: [] }) }).budgets.limits,
      ).toEqual([]);
    });

    it('names a missing file, and one that is not JSON', () => {
      expect(problems({ BUDGET_FILE: join(dir, 'nowhere.json') })).toEqual([
        `BUDGET_FILE names no file that can be read (got "${join(dir, 'nowhere.json')}")`,
      ]);
      const [notJson] = problems({ BUDGET_FILE: file('{"budgets": [') });
      expect(notJson).toMatch(/^BUDGET_FILE is not JSON \(.*budgets\.json\): /);
      expect(problems({ BUDGET_FILE: file([{ period: 'day' }]) })).toEqual([
        `BUDGET_FILE must hold {"budgets": [...]} and nothing else (${join(dir, 'budgets.json')})`,
      ]);
      expect(
        problems({ BUDGET_FILE: file({ budgets: [], extra: true }) }),
      ).toHaveLength(1);
    });

    it('names every problem of every entry on its own line, with its index', () => {
      expect(
        problems({
          ...NAMED,
          BUDGET_DAY_TOKENS: '1000',
          BUDGET_FILE: file({
            budgets: [
              { period: 'year', tokens: 10 },
              { period: 'day', tokens: 10, usd: 1 },
              { period: 'day' },
              { period: 'day', tokens: 1.5 },
              { period: 'day', tokens: 0 },
              { period: 'day', usd: -1 },
              { period: 'day', usd: '5' },
              { period: 'day', tokens: 10, provider: 'anthropic' },
              { period: 'day', tokens: 10, model: 'gpt 4' },
              { period: 'day', tokens: 10, providers: 'openai', limit: 1 },
              'day',
              { period: 'day', tokens: 10 },
              { period: 'hour', tokens: 10, provider: 'ollama' },
              { period: 'hour', tokens: 20, provider: 'ollama' },
              { period: 'hour', tokens: 20, provider: 'openai' },
            ],
          }),
        }),
      ).toEqual([
        'BUDGET_FILE budgets[0]: period must be one of minute, hour, day, week, month (got "year")',
        'BUDGET_FILE budgets[1] has both tokens and usd: one budget counts one unit',
        'BUDGET_FILE budgets[2] needs tokens or usd',
        'BUDGET_FILE budgets[3]: tokens must be a positive integer (got 1.5)',
        'BUDGET_FILE budgets[4]: tokens must be a positive integer (got 0)',
        'BUDGET_FILE budgets[5]: usd must be a positive number (got -1)',
        'BUDGET_FILE budgets[6]: usd must be a positive number (got "5")',
        'BUDGET_FILE budgets[7]: provider "anthropic" is not a provider: openai, ollama (PROVIDER_<NAME>_BASE_URL adds one)',
        'BUDGET_FILE budgets[8]: model must be a model name or pattern (* any characters), without spaces, at most 200 characters (got "gpt 4")',
        'BUDGET_FILE budgets[9] has unknown keys providers, limit (it takes period, tokens or usd, provider, model)',
        'BUDGET_FILE budgets[10] must be an object with period and tokens or usd',
        'BUDGET_FILE budgets[11] has the same period, unit, provider and model as BUDGET_DAY_TOKENS: one budget each',
        'BUDGET_FILE budgets[13] has the same period, unit, provider and model as BUDGET_FILE budgets[12]: one budget each',
      ]);
    });
  });
});

describe('matchesModelPattern', () => {
  it.each([
    ['dengcao/*', 'dengcao/Qwen3-Embedding-0.6B:Q8_0', true],
    ['dengcao/*', 'xdengcao/a', false],
    ['text-embedding-3-*', 'text-embedding-3-small', true],
    ['text-embedding-3-*', 'text-embedding-3.small', false],
    ['*', '', true],
    ['gpt-*-mini', 'gpt-4o-mini', true],
    ['gpt-*-mini', 'gpt-4o-mini-2024', false],
    ['*q8', 'nomic-q8', true],
    ['a*b*c', 'abxbc', true],
    ['a*b*c', 'acb', false],
    ['exact', 'exact', true],
    ['exact', 'exactly', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(matchesModelPattern(pattern, name)).toBe(expected);
  });

  it('answers a hostile name against a pattern of many stars without backtracking for ever', () => {
    const pattern = `${'a*'.repeat(20)}b`;
    // A regular expression of the same shape takes exponential time here.
    expect(matchesModelPattern(pattern, 'a'.repeat(50_000))).toBe(false);
    expect(matchesModelPattern(pattern, `${'a'.repeat(50_000)}b`)).toBe(true);
  });
});
