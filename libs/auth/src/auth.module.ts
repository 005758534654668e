import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { RateLimitGate } from '@app/resilience';
import { OAuth2TokenProvider } from './oauth2-token-provider.js';
import {
  AUTH_RATE_LIMIT_GATE,
  TOKEN_CLOCK,
  TOKEN_RETRY_BACKOFF,
} from './auth.constants.js';
import { TokenEndpoint } from './token-endpoint.js';
import { DEFAULT_TOKEN_RETRY_BACKOFF } from './token-options.js';
import { TokenProvider } from './token-provider.js';

/**
 * Access tokens for the tasks API: inject `TokenProvider`. Needs the global
 * `ServiceConfig` and observability providers.
 */
@Module({
  imports: [HttpModule.register({ maxRedirects: 0 })],
  providers: [
    TokenEndpoint,
    { provide: TokenProvider, useClass: OAuth2TokenProvider },
    { provide: TOKEN_RETRY_BACKOFF, useValue: DEFAULT_TOKEN_RETRY_BACKOFF },
    { provide: TOKEN_CLOCK, useValue: () => Date.now() },
    { provide: AUTH_RATE_LIMIT_GATE, useFactory: () => new RateLimitGate() },
  ],
  exports: [TokenProvider],
})
export class AuthModule {}
