import { OpenAiError } from './openai-error.js';

/**
 * OpenAI's answers to a missing or wrong API key, for every `/v1` route; the
 * key itself is never echoed. `expected` unset: any non-empty key passes.
 */
export function checkApiKey(
  authorization: string | undefined,
  expected: string | undefined,
): void {
  const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!key)
    throw new OpenAiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
      { code: null },
    );
  if (expected !== undefined && key !== expected) throw new OpenAiError(401);
}
