import { randomUUID } from 'node:crypto';

/** The generous, never-exhausted rate limits the sandbox reports. */
const REQUEST_LIMIT = 10_000;
const TOKEN_LIMIT = 10_000_000;

/** The headers OpenAI puts on a successful `/v1` answer: model, timing, request id and rate limits. */
export function openAiHeaders(
  model: string,
  startedMs: number,
  tokens: number,
): Record<string, string> {
  return {
    'openai-model': model,
    'openai-processing-ms': String(Date.now() - startedMs),
    'x-request-id': `req_${randomUUID().replaceAll('-', '')}`,
    'x-ratelimit-limit-requests': String(REQUEST_LIMIT),
    'x-ratelimit-remaining-requests': String(REQUEST_LIMIT - 1),
    'x-ratelimit-reset-requests': '6ms',
    'x-ratelimit-limit-tokens': String(TOKEN_LIMIT),
    'x-ratelimit-remaining-tokens': String(
      TOKEN_LIMIT - Math.min(tokens, TOKEN_LIMIT),
    ),
    'x-ratelimit-reset-tokens': '0s',
  };
}
