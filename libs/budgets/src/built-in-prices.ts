/** US dollars per million tokens: prompt (input) and answer (output) tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/**
 * Published list prices of common OpenAI models, USD per 1M tokens.
 * Embedding models bill input only. `BUDGET_PRICES_FILE` replaces or adds
 * entries when prices change or other models are used.
 */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
  'text-embedding-ada-002': { input: 0.1, output: 0 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  o3: { input: 2, output: 8 },
  'o4-mini': { input: 1.1, output: 4.4 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
};
