export {
  RateLimitGate,
  type AnswerHeaders,
  type RateLimitGateListener,
  type RateLimitGateOptions,
} from './rate-limit-gate.js';
export { parseRetryAfter } from './retry-after.js';
