/** The provider of `/v1/...`; `/providers/openai/v1/...` reaches it too. */
export const DEFAULT_PROVIDER = 'openai';

/** What `/providers/<name>/v1/...` accepts as a name. */
export const PROVIDER_NAME = /^[a-z0-9_-]{1,32}$/;

/** The `apiKey` rule of a provider that needs no key (as Ollama). */
export const NO_API_KEY = 'none';

/** OpenAI states its limits per minute; tests scale the window down. */
export const DEFAULT_RATE_WINDOW_MS = 60_000;

export const isProviderName = (name: unknown): name is string =>
  typeof name === 'string' && PROVIDER_NAME.test(name);

const PROVIDER_PATH = new RegExp(
  `^/providers/${PROVIDER_NAME.source.slice(1, -1)}(/.*)$`,
);

/** `/v1/...` for `/providers/<name>/v1/...` (a valid name); any other path as it is. */
export function providerEndpoint(path: string): string {
  return PROVIDER_PATH.exec(path)?.[1] ?? path;
}

/** One provider's settings; every field has a default. */
export interface ProviderSettings {
  /**
   * Unset: the default provider's rule (`embeddingsApiKey`, else any
   * non-empty key); `none`: no key needed; anything else: the one key accepted.
   */
  apiKey?: string;
  /** Requests per window; unset or 0: no limit. */
  rpm?: number;
  /** Tokens per window; unset or 0: no limit. */
  tpm?: number;
  /** The window `rpm` and `tpm` are counted over, in milliseconds; 60,000 by default. */
  windowMs?: number;
}

/** A change of a provider's limits: `null` or 0 turns a limit off; a field left out stays. */
export interface ProviderLimits {
  rpm?: number | null;
  tpm?: number | null;
  windowMs?: number;
}

/** A change of a provider's settings: `apiKey: null` goes back to the default rule. */
export interface ProviderChanges extends ProviderLimits {
  apiKey?: string | null;
}

const isCount = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** What is wrong with a provider's name and settings, one line per problem. */
export function providerProblems(
  name: string,
  settings: ProviderChanges,
): string[] {
  const problems: string[] = [];
  if (!isProviderName(name))
    problems.push(`provider name must match ${PROVIDER_NAME.source}`);
  if (
    settings.apiKey !== undefined &&
    settings.apiKey !== null &&
    (typeof settings.apiKey !== 'string' || !settings.apiKey)
  )
    problems.push('apiKey must be a non-empty string or null');
  for (const field of ['rpm', 'tpm'] as const)
    if (
      settings[field] !== undefined &&
      settings[field] !== null &&
      !isCount(settings[field])
    )
      problems.push(`${field} must be a non-negative integer or null`);
  if (
    settings.windowMs !== undefined &&
    (!isCount(settings.windowMs) || settings.windowMs < 1)
  )
    problems.push('windowMs must be a positive integer');
  return problems;
}

/** `settings` with `changes` applied: a null (or 0) limit and a null key are removed. */
export function applyProviderChanges(
  settings: ProviderSettings,
  changes: ProviderChanges,
): ProviderSettings {
  const next: ProviderSettings = { ...settings };
  if (changes.apiKey === null) delete next.apiKey;
  else if (changes.apiKey !== undefined) next.apiKey = changes.apiKey;
  for (const field of ['rpm', 'tpm'] as const) {
    const value = changes[field];
    if (value === null || value === 0) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  if (changes.windowMs !== undefined) next.windowMs = changes.windowMs;
  return next;
}
