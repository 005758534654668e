/** The `model` label of every chat model this service does not know. */
export const OTHER_CHAT_MODEL_LABEL = 'other';

/** OpenAI's chat models with Structured Outputs that the metrics name. */
export const KNOWN_CHAT_MODELS: ReadonlySet<string> = new Set([
  'gpt-4o-mini',
  'gpt-4o',
  'gpt-4.1',
  'gpt-4.1-mini',
  'gpt-4.1-nano',
  'o3',
  'o3-mini',
  'o4-mini',
  'gpt-5',
  'gpt-5-mini',
  'gpt-5-nano',
]);

/**
 * The most output tokens asked of a model (`max_completion_tokens`). The
 * verification answers are small JSON documents: the bound only keeps a
 * model that loops from being paid for without end. A reasoning model's
 * thinking counts against the same bound, so it gets four times as many.
 */
export const MAX_COMPLETION_TOKENS = 4_096;
export const MAX_REASONING_COMPLETION_TOKENS = 16_384;

const REASONING = /^(o1|o3|o4|gpt-5)/;

/**
 * OpenAI's reasoning models (o1, o3, o4, gpt-5 and their variants), which
 * refuse any `temperature` but the default. A router's prefix
 * (`openai/o3` on LiteLLM or OpenRouter) is looked through.
 */
export const isReasoningModel = (model: string): boolean =>
  REASONING.test(model.slice(model.lastIndexOf('/') + 1));

export const maxCompletionTokens = (model: string): number =>
  isReasoningModel(model)
    ? MAX_REASONING_COMPLETION_TOKENS
    : MAX_COMPLETION_TOKENS;

/**
 * The `model` label of `llm_requests_total` and `llm_tokens_used_total`.
 * Tasks name their model, so a label taken from them as it is would let
 * whoever creates tasks add a series per invented name: only the known
 * models and the configured default (`LLM_DEFAULT_MODEL`) are named, every
 * other is `other`.
 */
export function chatModelLabeller(
  defaultModel: string,
): (model: string) => string {
  return (model) =>
    model === defaultModel || KNOWN_CHAT_MODELS.has(model)
      ? model
      : OTHER_CHAT_MODEL_LABEL;
}

/** A model name as a message quotes it: whoever creates tasks chooses it, and its length. */
export const shownModel = (model: string): string =>
  JSON.stringify(model.length > 80 ? `${model.slice(0, 80)}…` : model);
