import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { isAxiosError } from 'axios';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import { TokenEndpointError } from './token-provider.js';

/** What one successful token request yields. */
export interface IssuedToken {
  accessToken: string;
  /** The announced lifetime (`expires_in`); undefined when none was given. */
  lifetimeMs?: number;
}

const MAX_ANSWER_BYTES = 256 * 1024;

/** `30 s`, or `1500 ms` when not a whole number of seconds. */
export const formatDuration = (ms: number): string =>
  ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;

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
 * One client-credentials request to the token endpoint (CONTRACT.md §2),
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
  ) {}

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
    return this.interpret(response.status, parseJsonObject(response.data));
  }

  private interpret(
    status: number,
    answer: Record<string, unknown>,
  ): IssuedToken {
    if (status === 200) return this.issuedToken(answer);
    const code = text(answer.error);
    const suffix = code ? ` (${code})` : '';
    if (status === 408 || status === 429 || status >= 500) {
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
    if (code === 'invalid_client' || (!code && status === 401)) {
      throw new TokenEndpointError(
        `the token endpoint refused the client credentials (${code ?? status})`,
        false,
      );
    }
    if (code === 'invalid_scope') {
      throw new TokenEndpointError(
        `the token endpoint refused the requested scope "${this.config.auth.scope}" (invalid_scope)`,
        false,
      );
    }
    if (code === 'unauthorized_client') {
      throw new TokenEndpointError(
        'the token endpoint does not allow this client the client_credentials grant (unauthorized_client)',
        false,
      );
    }
    const description = text(answer.error_description)?.replaceAll(
      this.config.auth.clientSecret,
      '[REDACTED]',
    );
    throw new TokenEndpointError(
      `the token endpoint refused the request with ${status}${
        code ? ` (${code}${description ? `: ${description}` : ''})` : ''
      }`,
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
