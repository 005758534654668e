export { AuthModule } from './auth.module.js';
export { TokenEndpointError, TokenProvider } from './token-provider.js';
export { TOKEN_CLOCK, TOKEN_RETRY_BACKOFF } from './auth.constants.js';
export {
  DEFAULT_TOKEN_RETRY_BACKOFF,
  type Clock,
  type TokenRetryBackoff,
} from './token-options.js';
