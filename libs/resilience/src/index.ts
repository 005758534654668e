export { type AnswerHeaders, type AnyAnswerHeaders } from './answer-headers.js';
export {
  type BackoffDelays,
  equalJitterBackoff,
  retryAfterBackoff,
} from './backoff.js';
export { formatDuration, messageOf } from './error-text.js';
export {
  type OpenAiRateHeaders,
  type RateWindowReading,
  parseOpenAiDuration,
  readOpenAiRateHeaders,
} from './openai-rate-headers.js';
export {
  type PacerPermit,
  type PacerRate,
  type PacerRequest,
  ProviderPacer,
  type ProviderPacerListener,
  type ProviderPacerOptions,
} from './provider-pacer.js';
export { RequestTooLargeError } from './provider-pacer-error.js';
export {
  RateLimitGate,
  type RateLimitGateListener,
  type RateLimitGateOptions,
} from './rate-limit-gate.js';
export { retryAfterMs } from './retry-after.js';
export { UpstreamError, isTransient } from './upstream-error.js';
export {
  type ResilienceSettings,
  type UpstreamPolicies,
  type UpstreamPolicyOptions,
  attemptTimeout,
  lastFailureText,
  upstreamPolicies,
} from './upstream-policies.js';
