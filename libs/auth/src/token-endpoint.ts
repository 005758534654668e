import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC, ThrottleMonitor } from '@app/observability';
import {
  type AnswerHeaders,
  RateLimitGate,
  formatDuration,
} from '@app/resilience';
import { TokenEndpointError } from './token-provider.js';
import { AUTH_RATE_LIMIT_GATE } from './auth.constants.js';

/** What one successful token request yields. */
export interface IssuedToken {
  accessToken: string;
  /** The announced lifetime (`expires_in`); undefined when none was given. */
  lifetimeMs?: number;
}

const MAX_ANSWER_BYTES = 256 * 1024;

/** Where Ory (fosite) says which method the client is registered with. */
const AUTH_METHOD_MISMATCH =
  /supports client authentication method '([a-z_]+)', but method '([a-z_]+)' was requested/;

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
const formEncode = (value: string): string =>
  new URLSearchParams([['', value]]).toString().slice(1);

const parseJsonObject = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'string') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/**
 * One client-credentials request to the token endpoint (docs/contract.md §2),
 * counted in `oauth2_token_requests_total`, every failure translated into a
 * `TokenEndpointError` a person can act on. Retries, timeout and breaker
 * belong to the caller.
 */
@Injectable()
export class TokenEndpoint {
  constructor(
    private readonly http: HttpService,
    private readonly config: ServiceConfig,
    @InjectMetric(METRIC.tokenRequests)
    private readonly requests: Counter<'status'>,
    @Inject(AUTH_RATE_LIMIT_GATE) private readonly gate: RateLimitGate,
    throttles: ThrottleMonitor,
  ) {
    throttles.watch('auth', gate);
  }

  async request(signal: AbortSignal): Promise<IssuedToken> {
    try {
      const token = await this.exchange(signal);
      this.requests.inc({ status: 'success' });
      return token;
    } catch (error) {
      this.requests.inc({ status: 'failure' });
      throw error;
    }
  }

  /**
   * Waits until the issuer's rate limit lets the next request go (a 429
   * pauses every request); pair with one `request`. Outside `request` so
   * that the request timeout does not count the wait.
   */
  waitForTurn(): Promise<void> {
    return this.gate.acquire();
  }

  /** The message of a request that ran out of time. */
  timeoutMessage(): string {
    return `the token endpoint did not answer within ${formatDuration(this.config.auth.requestTimeoutMs)}`;
  }

  private async exchange(signal: AbortSignal): Promise<IssuedToken> {
    const { tokenUrl, clientId, clientSecret, scope, authMethod } =
      this.config.auth;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope.trim() !== '') form.set('scope', scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (authMethod === 'client_secret_basic') {
      const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    let response;
    try {
      response = await this.http.axiosRef.post<string>(
        tokenUrl,
        form.toString(),
        {
          headers,
          signal,
          responseType: 'text',
          transformResponse: (data: unknown) => data,
          validateStatus: () => true,
          maxRedirects: 0,
          maxContentLength: MAX_ANSWER_BYTES,
        },
      );
    } catch (error) {
      this.gate.abandon();
      if (signal.aborted)
        throw new TokenEndpointError(this.timeoutMessage(), true);
      const reason = isAxiosError(error)
        ? (error.code ?? error.message)
        : error;
      throw new TokenEndpointError(
        `the token endpoint could not be reached (${String(reason)})`,
        true,
      );
    }
    this.gate.observe(response.status, response.headers as AnswerHeaders);
    return this.interpret(response.status, parseJsonObject(response.data));
  }

  private interpret(
    status: number,
    answer: Record<string, unknown>,
  ): IssuedToken {
    if (status === 200) return this.issuedToken(answer);
    const code = text(answer.error);
    const suffix = code ? ` (${code})` : '';
    const description = text(answer.error_description)
      ?.replaceAll(this.config.auth.clientSecret, '[REDACTED]')
      .slice(0, 500);
    if (status === 429) {
      throw new TokenEndpointError(
        `the token endpoint answered 429 (too many requests)${suffix}: calls to it pause as it asks`,
        true,
        true,
      );
    }
    if (status === 408 || status >= 500) {
      throw new TokenEndpointError(
        `the token endpoint answered ${status}${suffix}`,
        true,
      );
    }
    if (status >= 300 && status < 400) {
      throw new TokenEndpointError(
        `the token endpoint answered ${status} (a redirect): set OAUTH2_TOKEN_URL to the final address`,
        false,
      );
    }
    if (code === 'invalid_client' || (!code && status === 401))
      throw this.clientRefused(code ?? String(status), description);
    if (code === 'invalid_scope') {
      throw new TokenEndpointError(
        `the token endpoint refused the requested scope "${this.config.auth.scope}" (invalid_scope${description ? `: ${description}` : ''}): set OAUTH2_SCOPE to scopes the client is allowed`,
        false,
      );
    }
    if (code === 'unauthorized_client') {
      throw new TokenEndpointError(
        'the token endpoint does not allow this client the client_credentials grant (unauthorized_client)',
        false,
      );
    }
    throw new TokenEndpointError(
      `the token endpoint refused the request with ${status}${
        code ? ` (${code}${description ? `: ${description}` : ''})` : ''
      }`,
      false,
    );
  }

  /**
   * invalid_client: a wrong id or secret, or an authentication method the
   * client is not registered for. Ory names the registered method in its
   * description; then the message says which setting to change.
   */
  private clientRefused(
    code: string,
    description: string | undefined,
  ): TokenEndpointError {
    const { authMethod } = this.config.auth;
    const mismatch = description && AUTH_METHOD_MISMATCH.exec(description);
    if (mismatch)
      return new TokenEndpointError(
        `the token endpoint refused client authentication method ${mismatch[2]}: the client is registered for ${mismatch[1]}; set OAUTH2_TOKEN_AUTH_METHOD=${mismatch[1]} (now ${authMethod})`,
        false,
      );
    return new TokenEndpointError(
      `the token endpoint refused the client credentials (${code}${description ? `: ${description}` : ''}): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now ${authMethod})`,
      false,
    );
  }

  private issuedToken(answer: Record<string, unknown>): IssuedToken {
    const accessToken = text(answer.access_token);
    if (!accessToken) {
      throw new TokenEndpointError(
        'the token endpoint answered 200 without an access_token',
        false,
      );
    }
    const tokenType = text(answer.token_type);
    if (tokenType && tokenType.toLowerCase() !== 'bearer') {
      throw new TokenEndpointError(
        `the token endpoint issued a token of type "${tokenType}"; only Bearer tokens are supported`,
        false,
      );
    }
    const expiresIn = Number(answer.expires_in);
    return Number.isFinite(expiresIn) && expiresIn > 0
      ? { accessToken, lifetimeMs: expiresIn * 1000 }
      : { accessToken };
  }
}
