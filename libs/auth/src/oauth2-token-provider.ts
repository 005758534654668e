import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  type IPolicy,
  TaskCancelledError,
  type TimeoutPolicy,
} from 'cockatiel';
import { ServiceConfig } from '@app/config';
import { BreakerMonitor, ReadinessRegistry } from '@app/observability';
import {
  attemptTimeout,
  isTransient,
  lastFailureText,
  messageOf,
  upstreamPolicies,
} from '@app/resilience';
import { type IssuedToken, TokenEndpoint } from './token-endpoint.js';
import { TOKEN_CLOCK, TOKEN_RETRY_BACKOFF } from './auth.constants.js';
import { type Clock, type TokenRetryBackoff } from './token-options.js';
import { TokenEndpointError, TokenProvider } from './token-provider.js';

/**
 * A token is renewed this long before it expires: 10 % of its lifetime, at
 * most a minute. A one-hour token is renewed a minute early; a 20 s token 2 s
 * early, so short-lived tokens are neither used up nor renewed on every call.
 */
export const renewalMargin = (lifetimeMs: number): number =>
  Math.min(60_000, lifetimeMs * 0.1);

interface CachedToken {
  token: string;
  renewAt: number;
  expiresAt: number;
}

/** A 429 says the issuer is up: it is waited out (the rate-limit gate), never counted by the breaker. */
const isBreakerFailure = (error: unknown): boolean =>
  error instanceof TokenEndpointError && !error.throttled;

/**
 * Client-credentials tokens for the tasks API (docs/contract.md §2), cached until
 * shortly before they expire, with one renewal in flight shared by all
 * callers. The token endpoint has its own timeout, retry (transient failures
 * only) and breaker (`circuit_breaker_state{service="auth"}`); every failure
 * counts towards the breaker, so bad credentials do not hammer the issuer.
 */
@Injectable()
export class OAuth2TokenProvider extends TokenProvider implements OnModuleInit {
  private readonly logger = new Logger(OAuth2TokenProvider.name);
  /** Retries (transient failures only) around the breaker. */
  private readonly policy: IPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeout: TimeoutPolicy;
  private cached?: CachedToken;
  private renewal?: Promise<CachedToken>;

  constructor(
    private readonly endpoint: TokenEndpoint,
    private readonly readiness: ReadinessRegistry,
    config: ServiceConfig,
    breakers: BreakerMonitor,
    @Inject(TOKEN_RETRY_BACKOFF) backoff: TokenRetryBackoff,
    @Inject(TOKEN_CLOCK) private readonly now: Clock,
  ) {
    super();
    const policies = upstreamPolicies(
      {
        service: 'auth',
        settings: config.resilience,
        delays: backoff,
        isRetryable: isTransient,
        isBreakerFailure,
        logger: this.logger,
        describe: (error) => `token request failed (${messageOf(error)})`,
      },
      breakers,
    );
    this.policy = policies.retryThroughBreaker;
    this.breaker = policies.breaker;
    this.timeout = attemptTimeout(config.auth.requestTimeoutMs);
  }

  onModuleInit(): void {
    this.readiness.register('token', async () => {
      await this.getToken();
    });
  }

  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return cached.token;
    this.renewal ??= this.fetch().finally(() => (this.renewal = undefined));
    try {
      return (await this.renewal).token;
    } catch (error) {
      // A renewal ahead of expiry that failed leaves a token still usable.
      if (cached && cached === this.cached && this.now() < cached.expiresAt)
        return cached.token;
      throw error;
    }
  }

  invalidate(refused?: string): void {
    if (refused === undefined || this.cached?.token === refused)
      this.cached = undefined;
  }

  private async fetch(): Promise<CachedToken> {
    const requestedAt = this.now();
    let issued: IssuedToken;
    try {
      issued = await this.policy.execute(() => this.attempt());
    } catch (error) {
      throw this.explain(error);
    }
    // Lifetimes count from the request, not the answer: never too late.
    const lifetime = issued.lifetimeMs ?? Number.POSITIVE_INFINITY;
    this.cached = {
      token: issued.accessToken,
      expiresAt: requestedAt + lifetime,
      renewAt: requestedAt + lifetime - renewalMargin(lifetime),
    };
    this.logger.debug(
      issued.lifetimeMs === undefined
        ? 'access token obtained without expires_in: reused until the API refuses it'
        : `access token obtained, valid for ${Math.round(issued.lifetimeMs / 1000)} s`,
    );
    return this.cached;
  }

  private async attempt(): Promise<IssuedToken> {
    await this.endpoint.waitForTurn();
    try {
      return await this.timeout.execute(({ signal }) =>
        this.endpoint.request(signal),
      );
    } catch (error) {
      if (error instanceof TaskCancelledError)
        throw new TokenEndpointError(this.endpoint.timeoutMessage(), true);
      throw error;
    }
  }

  private explain(error: unknown): TokenEndpointError {
    if (error instanceof BrokenCircuitError) {
      return new TokenEndpointError(
        `the token endpoint is not called while its circuit breaker is open${lastFailureText(this.breaker)}`,
        true,
      );
    }
    const failure =
      error instanceof TokenEndpointError
        ? error
        : new TokenEndpointError(
            `the token request failed unexpectedly (${messageOf(error)})`,
            true,
          );
    this.logger.warn(`could not obtain an access token: ${failure.message}`);
    return failure;
  }
}
