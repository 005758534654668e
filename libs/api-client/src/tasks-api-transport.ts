import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import type { Dispatcher } from 'undici';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import {
  type AnswerHeaders,
  RateLimitGate,
  messageOf,
  retryAfterMs,
} from '@app/resilience';
import { MAX_ERROR_BODY_BYTES, errorDetail } from './answer-body.js';
import {
  API_RATE_LIMIT_GATE,
  TASKS_API_DISPATCHER,
} from './api-client.constants.js';
import { UpstreamFailure } from './api-resilience.js';
import {
  type AnswerBody,
  type Attempt,
  InvalidAnswerError,
  type TasksApiCall,
} from './tasks-api-call.js';
import { TasksApiError } from './tasks-api-client.js';

const JSON_BODY = { 'content-type': 'application/json' } as const;

/**
 * One HTTP exchange with the tasks API over the keep-alive undici pool,
 * measured in `api_requests_total` and `api_request_duration_seconds`,
 * reported to the rate-limit gate, its answer read into an `Attempt`.
 * Policies (retry, breaker, timeout, pacing) belong to the caller.
 */
@Injectable()
export class TasksApiTransport implements OnApplicationShutdown {
  /** The path of `API_BASE_URL`, when the API is mounted below its origin. */
  private readonly pathPrefix: string;
  private lastSuccess?: number;

  constructor(
    @Inject(TASKS_API_DISPATCHER) private readonly dispatcher: Dispatcher,
    config: ServiceConfig,
    @InjectMetric(METRIC.apiRequests)
    private readonly requests: Counter<'endpoint' | 'method' | 'status_code'>,
    @InjectMetric(METRIC.apiRequestDuration)
    private readonly duration: Histogram<'endpoint' | 'method'>,
    @Inject(API_RATE_LIMIT_GATE) private readonly gate: RateLimitGate,
  ) {
    this.pathPrefix = new URL(config.api.baseUrl).pathname.replace(/\/$/, '');
  }

  /** When an exchange last got a 2xx answer (epoch ms); undefined before the first. */
  get lastSuccessAt(): number | undefined {
    return this.lastSuccess;
  }

  /**
   * After `beforeApplicationShutdown`, where the lifecycle reports and
   * releases its last tasks through the client: not at module destroy,
   * which Nest runs first.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }

  /** Sends `call` once; `signal` aborts it (the timeout). */
  async exchange<T>(
    call: TasksApiCall<T>,
    token: string,
    signal: AbortSignal,
  ): Promise<Attempt<T>> {
    const labels = { endpoint: call.route, method: call.method };
    const stopTimer = this.duration.startTimer(labels);
    let outcome = 'error';
    let body: AnswerBody | undefined;
    let answered = false;
    try {
      const response = await this.dispatcher.request({
        method: call.method,
        path: this.pathPrefix + call.path,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(call.body === undefined ? {} : JSON_BODY),
        },
        body: call.body,
        signal,
      });
      body = response.body;
      outcome = String(response.statusCode);
      answered = true;
      this.gate.observe(response.statusCode, response.headers);
      return await this.settle(
        call,
        response.statusCode,
        response.headers,
        response.body,
      );
    } catch (error) {
      if (error instanceof InvalidAnswerError && !signal.aborted) {
        outcome = 'invalid_body';
        return { kind: 'refusal', error };
      }
      if (signal.aborted) outcome = 'timeout';
      else if (
        !(error instanceof TasksApiError) &&
        !(error instanceof UpstreamFailure)
      )
        outcome = 'error'; // no answer, or the connection broke mid-body
      throw this.asFailure(call, error, signal);
    } finally {
      if (!answered) this.gate.abandon();
      // Whatever was left unread: the connection cannot carry another request.
      if (body && !body.readableEnded) body.destroy();
      stopTimer();
      this.requests.inc({ ...labels, status_code: outcome });
    }
  }

  private async settle<T>(
    call: TasksApiCall<T>,
    status: number,
    headers: AnswerHeaders,
    body: AnswerBody,
  ): Promise<Attempt<T>> {
    if (status >= 200 && status < 300) {
      const value = await call.read(body);
      this.lastSuccess = Date.now();
      return { kind: 'answer', value };
    }
    if (status === 401 || status === 403 || status === 429) {
      await body.dump({ limit: MAX_ERROR_BODY_BYTES });
      return status === 429
        ? { kind: 'throttled' }
        : { kind: 'credentials', status };
    }
    if (status >= 300 && status < 400) {
      await body.dump({ limit: MAX_ERROR_BODY_BYTES });
      return {
        kind: 'redirected',
        status,
        location: [headers.location].flat()[0],
      };
    }
    const accepted = call.accept?.(status);
    if (accepted !== undefined) {
      await body.dump({ limit: MAX_ERROR_BODY_BYTES });
      return { kind: 'answer', value: accepted };
    }
    const detail = await errorDetail(body);
    const what = `the tasks API answered ${status} to ${call.method} ${call.route}${detail}`;
    if (status === 408 || status >= 500)
      throw new UpstreamFailure(what, status, retryAfterMs(headers));
    return {
      kind: 'refusal',
      error: new TasksApiError(what, 'refused', status),
    };
  }

  private asFailure(
    call: TasksApiCall<unknown>,
    error: unknown,
    signal: AbortSignal,
  ): unknown {
    if (error instanceof TasksApiError || error instanceof UpstreamFailure)
      return error;
    if (signal.aborted) return error; // the timeout policy reports it
    const code = (error as { code?: unknown } | null)?.code;
    // A system error's code says it all (ECONNREFUSED); undici's own codes
    // (UND_ERR_SOCKET) read better with their message (other side closed).
    const reason =
      typeof code !== 'string'
        ? messageOf(error)
        : code.startsWith('UND_ERR')
          ? `${code}: ${messageOf(error)}`
          : code;
    return new UpstreamFailure(
      `the tasks API could not be reached for ${call.method} ${call.route} (${reason})`,
    );
  }
}
