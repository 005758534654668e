import {
  applyProviderChanges,
  providerEndpoint,
  providerProblems,
} from './provider-settings.js';

describe('provider settings', () => {
  it('maps a provider’s path to its /v1 endpoint, for valid names only', () => {
    expect(providerEndpoint('/providers/local/v1/embeddings')).toBe(
      '/v1/embeddings',
    );
    expect(providerEndpoint('/providers/my_ollama-2/v1/chat/completions')).toBe(
      '/v1/chat/completions',
    );
    expect(providerEndpoint('/v1/embeddings')).toBe('/v1/embeddings');
    expect(providerEndpoint('/providers/Local/v1/embeddings')).toBe(
      '/providers/Local/v1/embeddings',
    );
    expect(providerEndpoint(`/providers/${'a'.repeat(33)}/v1/embeddings`)).toBe(
      `/providers/${'a'.repeat(33)}/v1/embeddings`,
    );
  });

  it('applies changes: a field left out stays, null or 0 removes a limit, null the key', () => {
    const start = { apiKey: 'none', rpm: 5, tpm: 100, windowMs: 3000 };
    expect(applyProviderChanges(start, { rpm: 7 })).toEqual({
      ...start,
      rpm: 7,
    });
    expect(
      applyProviderChanges(start, { rpm: null, tpm: 0, apiKey: null }),
    ).toEqual({ windowMs: 3000 });
    expect(start).toEqual({ apiKey: 'none', rpm: 5, tpm: 100, windowMs: 3000 });
  });

  it('names every problem', () => {
    expect(
      providerProblems('local', { rpm: 0, tpm: null, windowMs: 1 }),
    ).toEqual([]);
    expect(
      providerProblems('Local!', {
        apiKey: '',
        rpm: -1,
        tpm: 1.5,
        windowMs: 0,
      }),
    ).toEqual([
      'provider name must match ^[a-z0-9_-]{1,32}$',
      'apiKey must be a non-empty string or null',
      'rpm must be a non-negative integer or null',
      'tpm must be a non-negative integer or null',
      'windowMs must be a positive integer',
    ]);
  });
});
