export { AuthModule } from './auth.module.js';
export { TokenEndpointError, TokenProvider } from './token-provider.js';
