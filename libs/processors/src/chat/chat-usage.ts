import type { Counter } from 'prom-client';
import type { ReportedUsage } from './chat-answer.js';

/**
 * Adds a request's tokens to `llm_tokens_used_total{model, type}`: `prompt`,
 * `completion` and `reasoning` (the part of `completion` a reasoning model
 * spent thinking, so not to be added to it). A count the provider did not
 * report, or reported as something else than a whole number ≥ 0, is left
 * out.
 */
export function recordChatUsage(
  tokens: Counter<'model' | 'type'>,
  modelLabel: string,
  usage: ReportedUsage,
): void {
  const counts = [
    ['prompt', usage.promptTokens],
    ['completion', usage.completionTokens],
    ['reasoning', usage.reasoningTokens],
  ] as const;
  for (const [type, count] of counts) {
    if (count !== undefined) tokens.inc({ model: modelLabel, type }, count);
  }
}
