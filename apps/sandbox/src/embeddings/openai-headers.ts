import { randomUUID } from 'node:crypto';
import {
  unlimitedRequestHeaders,
  unlimitedTokenHeaders,
} from '../providers/rate-limit.js';

/**
 * The headers OpenAI puts on a successful `/v1` answer: model, timing,
 * request id and rate limits: a rate-limited provider's own `rateLimits`,
 * else generous ones that are never exhausted.
 */
export function openAiHeaders(
  model: string,
  startedMs: number,
  tokens: number,
  rateLimits?: Record<string, string>,
): Record<string, string> {
  return {
    'openai-model': model,
    'openai-processing-ms': String(Date.now() - startedMs),
    'x-request-id': `req_${randomUUID().replaceAll('-', '')}`,
    ...(rateLimits ?? {
      ...unlimitedRequestHeaders(),
      ...unlimitedTokenHeaders(tokens),
    }),
  };
}
