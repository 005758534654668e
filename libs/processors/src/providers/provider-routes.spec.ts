import { ServiceConfig } from '@app/config';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { ProviderRoutes } from './provider-routes.js';

const routes = (env: Record<string, string>) =>
  new ProviderRoutes(
    ServiceConfig.fromEnvironment({
      ...VALID_ENVIRONMENT,
      WIKIDATA_USER_AGENT: 'tests/1.0 (https://example.org)',
      ...env,
    }),
  );

const providerOf = (table: ProviderRoutes, model: string) =>
  table.providerFor(model)?.name;

describe('ProviderRoutes', () => {
  it('sends a model to the first route that matches, else to openai', () => {
    const table = routes({
      OPENAI_API_KEY: 'sk-x',
      PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
      MODEL_ROUTES: 'dengcao/*=ollama,text-embedding-3-*=openai,*-q8=ollama',
    });
    expect(providerOf(table, 'dengcao/Qwen3-Embedding-0.6B:Q8_0')).toBe(
      'ollama',
    );
    expect(providerOf(table, 'text-embedding-3-small')).toBe('openai');
    expect(providerOf(table, 'nomic-q8')).toBe('ollama');
    // No pattern matches: openai, which has a key.
    expect(providerOf(table, 'gpt-4o-mini')).toBe('openai');
    // Patterns are whole names, with `*` the only wildcard.
    expect(providerOf(table, 'xdengcao/a')).toBe('openai');
    expect(providerOf(table, 'text-embedding-3.small')).toBe('openai');
  });

  it('serves no model that no route names when openai has no key', () => {
    const table = routes({
      PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
      MODEL_ROUTES: 'dengcao/*=ollama',
    });
    expect(providerOf(table, 'dengcao/x')).toBe('ollama');
    expect(providerOf(table, 'text-embedding-3-small')).toBeUndefined();
  });
});
