import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  type RetryPolicy,
  TaskCancelledError,
  type TimeoutPolicy,
  TimeoutStrategy,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
  timeout,
} from 'cockatiel';
import type { Readable } from 'node:stream';
import type { Counter, Histogram } from 'prom-client';
import type { Dispatcher } from 'undici';
import { TokenProvider } from '@app/auth';
import { ServiceConfig } from '@app/config';
import {
  BreakerMonitor,
  InjectMetric,
  METRIC,
  ReadinessRegistry,
  ThrottleMonitor,
} from '@app/observability';
import {
  type AnswerHeaders,
  RateLimitGate,
  parseRetryAfter,
} from '@app/resilience';
import {
  API_RETRY_BACKOFF,
  type ApiRetryBackoff,
  UpstreamFailure,
  apiBackoff,
  isRetryable,
} from './api-resilience.js';
import { API_RATE_LIMIT_GATE } from './api-rate-limit.js';
import { MAX_ERROR_BODY_BYTES, errorDetail } from './answer-body.js';
import { MalformedArrayError } from './json-array-splitter.js';
import {
  CLAIM_BODY,
  RELEASE_BODY,
  type ResultVector,
  failureBody,
  successBody,
} from './request-body.js';
import { MAX_TASK_BYTES, type PageRead, readTaskPage } from './task-page.js';
import { TASKS_API_DISPATCHER } from './tasks-api-dispatcher.js';
import {
  type ClaimResult,
  TasksApiClient,
  TasksApiError,
  type TaskFailure,
  type TaskPage,
  type TaskState,
} from './tasks-api-client.js';

/** `endpoint` label values: route templates, never a concrete id. */
type Route = '/api/ai-tasks/pending' | '/api/ai-tasks/:id' | '/api/ai-tasks';

interface Call<T> {
  route: Route;
  method: 'GET' | 'PATCH';
  path: string;
  /** Serialised JSON. */
  body?: string | Buffer;
  /** Reads a 2xx answer. */
  read: (body: AnswerBody) => Promise<T>;
  /** A 4xx (other than 401/403) that is an answer, not an error. */
  accept?: (status: number) => T | undefined;
}

/**
 * What one exchange came to. Refusals (4xx, a redirect, a body that breaks
 * the contract) and 429s are returned, not thrown, so that the breaker
 * counts them as the API being up; refusals are thrown once outside it, and
 * a 429 waits for the rate-limit gate and goes again.
 */
type Attempt<T> =
  | { kind: 'answer'; value: T }
  | { kind: 'credentials'; status: number }
  | { kind: 'throttled' }
  | { kind: 'refusal'; error: TasksApiError };

/**
 * 429s in a row one call waits through before it counts as an outage. Each
 * waits the pause the API asked for, so this is patience, not a retry budget.
 */
const MAX_THROTTLED_ANSWERS = 10;

/** A 2xx answer whose body is not what the contract promises. */
class InvalidAnswerError extends TasksApiError {}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

const formatDuration = (ms: number): string =>
  ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;

const JSON_BODY = { 'content-type': 'application/json' } as const;

/**
 * An answer's body. An unneeded one is read to its end with `dump` so that
 * the keep-alive connection can carry the next request (past its limit the
 * connection is dropped instead): no async iterator per PATCH answer.
 */
type AnswerBody = Dispatcher.ResponseData['body'];

/**
 * The tasks API (docs/contract.md §1) over one keep-alive undici pool. Each
 * call runs through one long-lived policy set: retry (network errors,
 * timeouts, 408, 429, 5xx; `Retry-After` honoured) around a consecutive
 * failures breaker around a per-attempt timeout. Other 4xx are answers about
 * the request: never retried, never breaker failures. A 401/403 drops the
 * token and tries once more with a fresh one.
 */
@Injectable()
export class HttpTasksApiClient
  extends TasksApiClient
  implements OnModuleInit, OnApplicationShutdown
{
  private readonly logger = new Logger(TasksApiClient.name);
  private readonly retry: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeout: TimeoutPolicy;
  private trialAt = 0;
  /** The path of `API_BASE_URL`, when the API is mounted below its origin. */
  private readonly pathPrefix: string;
  /** Why the last call failed for credentials, until a call succeeds. */
  private credentialsRefused?: string;
  /** A redirect on a listing route: API_BASE_URL points elsewhere. Until a listing succeeds. */
  private misdirected?: string;
  private lastSuccess?: number;

  constructor(
    @Inject(TASKS_API_DISPATCHER) private readonly dispatcher: Dispatcher,
    private readonly tokens: TokenProvider,
    private readonly config: ServiceConfig,
    private readonly readiness: ReadinessRegistry,
    breakers: BreakerMonitor,
    @InjectMetric(METRIC.apiRequests)
    private readonly requests: Counter<'endpoint' | 'method' | 'status_code'>,
    @InjectMetric(METRIC.apiRequestDuration)
    private readonly duration: Histogram<'endpoint' | 'method'>,
    @Inject(API_RETRY_BACKOFF) backoff: ApiRetryBackoff,
    @Inject(API_RATE_LIMIT_GATE) private readonly gate: RateLimitGate,
    throttles: ThrottleMonitor,
  ) {
    super();
    this.pathPrefix = new URL(config.api.baseUrl).pathname.replace(/\/$/, '');
    const { maxRetries, breakerThreshold, breakerResetMs } = config.resilience;
    this.retry = retry(handleWhen(isRetryable(backoff)), {
      maxAttempts: maxRetries,
      backoff: apiBackoff(backoff),
    });
    this.retry.onRetry(({ delay, attempt, ...failure }) =>
      this.logger.warn(
        `${'error' in failure ? messageOf(failure.error) : 'call failed'}; retry ${attempt} of ${maxRetries} in ${Math.round(delay)} ms`,
      ),
    );
    this.breaker = circuitBreaker(handleType(UpstreamFailure), {
      halfOpenAfter: breakerResetMs,
      breaker: new ConsecutiveBreaker(breakerThreshold),
    });
    this.breaker.onBreak(() => (this.trialAt = Date.now() + breakerResetMs));
    this.timeout = timeout(config.api.requestTimeoutMs, {
      strategy: TimeoutStrategy.Aggressive,
      // Every call reads its answer to the end or destroys it before it
      // returns, so nothing is left to abort; aborting anyway builds a
      // DOMException with a stack trace per call (3% of the CPU per task,
      // docs/performance.md). A timeout still aborts the request.
      abortOnReturn: false,
    });
    breakers.watch('api', this.breaker);
    throttles.watch('api', gate);
  }

  onModuleInit(): void {
    this.readiness.register('tasks_api', () => {
      if (this.isBreakerOpen()) {
        const seconds = Math.ceil((this.trialAt - Date.now()) / 1000);
        throw new Error(
          `the tasks API circuit breaker is open${this.lastFailure()}; next trial call in ${Math.max(0, seconds)} s`,
        );
      }
      if (this.credentialsRefused) throw new Error(this.credentialsRefused);
      if (this.misdirected) throw new Error(this.misdirected);
    });
  }

  lastSuccessAt(): number | undefined {
    return this.lastSuccess;
  }

  /**
   * After `beforeApplicationShutdown`, where the lifecycle reports and
   * releases its last tasks through this client: not at module destroy,
   * which Nest runs first.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.destroy();
  }

  isBreakerOpen(): boolean {
    const { state } = this.breaker;
    // Once the reset time has passed, the next call is the trial: not open.
    return (
      state === CircuitState.Isolated ||
      (state === CircuitState.Open && Date.now() < this.trialAt)
    );
  }

  async fetchPending(limit: number): Promise<TaskPage> {
    if (!(limit >= 1)) return { tasks: [], rejected: [] };
    const wanted = Math.floor(limit);
    return this.call({
      route: '/api/ai-tasks/pending',
      method: 'GET',
      path: `/api/ai-tasks/pending?limit=${wanted}`,
      read: (body) => this.readPage(body, wanted, 'GET /api/ai-tasks/pending'),
    });
  }

  async listByState(state: TaskState): Promise<TaskPage> {
    return this.call({
      route: '/api/ai-tasks',
      method: 'GET',
      path: `/api/ai-tasks?state=${encodeURIComponent(state)}`,
      read: (body) =>
        this.readPage(body, Number.POSITIVE_INFINITY, 'GET /api/ai-tasks'),
    });
  }

  async claim(id: string): Promise<ClaimResult> {
    return this.update(id, CLAIM_BODY, 'claimed', (status) =>
      status === 409 ? 'conflict' : undefined,
    );
  }

  async complete(id: string, result: ResultVector): Promise<void> {
    await this.update(
      id,
      successBody(result, this.config.api.maxRequestBytes),
      undefined,
    );
  }

  async fail(id: string, failure: TaskFailure): Promise<void> {
    await this.update(
      id,
      failureBody(failure.code, failure.message),
      undefined,
    );
  }

  async release(id: string): Promise<void> {
    await this.update(id, RELEASE_BODY, undefined);
  }

  private update<T>(
    id: string,
    body: string | Buffer,
    answer: T,
    accept?: (status: number) => T | undefined,
  ): Promise<T> {
    return this.call({
      route: '/api/ai-tasks/:id',
      method: 'PATCH',
      path: `/api/ai-tasks/${encodeURIComponent(id)}`,
      body,
      read: async (reply) => {
        await reply.dump({ limit: MAX_TASK_BYTES });
        return answer;
      },
      accept,
    });
  }

  private async call<T>(call: Call<T>): Promise<T> {
    try {
      return await this.retry.execute(() => this.authorised(call));
    } catch (error) {
      throw this.explain(call, error);
    }
  }

  private async authorised<T>(call: Call<T>): Promise<T> {
    const token = await this.token();
    let attempt = await this.paced(call, token);
    if (attempt.kind === 'credentials') {
      this.tokens.invalidate(token);
      attempt = await this.paced(call, await this.token());
    }
    if (attempt.kind !== 'credentials') this.credentialsRefused = undefined;
    if (attempt.kind === 'answer') return attempt.value;
    if (attempt.kind === 'refusal') throw attempt.error;
    // Our credentials, never the task's fault: transient, and not retried.
    this.credentialsRefused = `the tasks API refused a freshly issued access token (${attempt.status}): check OAUTH2_SCOPE and the client's permissions`;
    throw new TasksApiError(this.credentialsRefused, 'outage', attempt.status);
  }

  /**
   * One exchange through the rate-limit gate; a 429 pauses every call (the
   * gate), then this one goes again. Never a retry, never a breaker failure.
   */
  private async paced<T>(
    call: Call<T>,
    token: string,
  ): Promise<Exclude<Attempt<T>, { kind: 'throttled' }>> {
    for (let answers = 1; ; answers++) {
      await this.gate.acquire();
      const attempt = await this.guarded(call, token);
      if (attempt.kind !== 'throttled') return attempt;
      if (answers >= MAX_THROTTLED_ANSWERS)
        throw new UpstreamFailure(
          `the tasks API answered 429 (too many requests) to ${call.method} ${call.route} ${answers} times in a row`,
          429,
        );
    }
  }

  private async token(): Promise<string> {
    try {
      return await this.tokens.getToken();
    } catch (error) {
      throw new TasksApiError(
        `no access token for the tasks API: ${messageOf(error)}`,
        'outage',
      );
    }
  }

  private guarded<T>(call: Call<T>, token: string): Promise<Attempt<T>> {
    return this.breaker.execute(async () => {
      try {
        return await this.timeout.execute(({ signal }) =>
          this.send(call, token, signal),
        );
      } catch (error) {
        if (!(error instanceof TaskCancelledError)) throw error;
        throw new UpstreamFailure(
          `the tasks API did not answer ${call.method} ${call.route} within ${formatDuration(this.config.api.requestTimeoutMs)}`,
        );
      }
    });
  }

  /** One HTTP exchange, measured in `api_requests_total` and `api_request_duration_seconds`. */
  private async send<T>(
    call: Call<T>,
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
    call: Call<T>,
    status: number,
    headers: AnswerHeaders,
    body: AnswerBody,
  ): Promise<Attempt<T>> {
    if (status >= 200 && status < 300) {
      const value = await call.read(body);
      this.lastSuccess = Date.now();
      if (call.method === 'GET') this.misdirected = undefined;
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
      return { kind: 'refusal', error: this.redirected(call, status, headers) };
    }
    const accepted = call.accept?.(status);
    if (accepted !== undefined) {
      await body.dump({ limit: MAX_ERROR_BODY_BYTES });
      return { kind: 'answer', value: accepted };
    }
    const detail = await errorDetail(body);
    const what = `the tasks API answered ${status} to ${call.method} ${call.route}${detail}`;
    if (status === 408 || status >= 500)
      throw new UpstreamFailure(
        what,
        status,
        parseRetryAfter(headers['retry-after']),
      );
    return {
      kind: 'refusal',
      error: new TasksApiError(what, 'refused', status),
    };
  }

  /**
   * The reference application answers "not found" with a redirect to an
   * HTML page, and this client never follows one. On a task route the task
   * is gone; on a listing route the API is not where API_BASE_URL says.
   */
  private redirected(
    call: Call<unknown>,
    status: number,
    headers: AnswerHeaders,
  ): TasksApiError {
    const location = [headers.location].flat()[0];
    // Only the path: a query string may carry anything.
    const target = location
      ? ` to ${location.split('?')[0].slice(0, 200)}`
      : '';
    const what = `the tasks API answered ${call.method} ${call.route} with ${status} (a redirect${target})`;
    if (call.route === '/api/ai-tasks/:id')
      return new TasksApiError(
        `${what}: the task no longer exists`,
        'gone',
        status,
      );
    const message = `${what}: check API_BASE_URL (${this.config.api.baseUrl}); the tasks API is not there, or a proxy in front of it redirects`;
    // Once, not at every poll: /ready keeps saying it until a listing succeeds.
    if (this.misdirected !== message) this.logger.error(message);
    this.misdirected = message;
    return new TasksApiError(message, 'refused', status);
  }

  private asFailure(
    call: Call<unknown>,
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

  private explain(call: Call<unknown>, error: unknown): TasksApiError {
    if (error instanceof TasksApiError) return error;
    if (error instanceof UpstreamFailure)
      return new TasksApiError(error.message, 'outage', error.status);
    if (error instanceof BrokenCircuitError) {
      return new TasksApiError(
        `the tasks API is not called while its circuit breaker is open${this.lastFailure()}`,
        'outage',
      );
    }
    return new TasksApiError(
      `${call.method} ${call.route} failed unexpectedly: ${messageOf(error)}`,
      'outage',
    );
  }

  private async readPage(
    body: Readable,
    maxEntries: number,
    what: string,
  ): Promise<TaskPage> {
    const { maxResponseBytes } = this.config.api;
    let read: PageRead;
    try {
      read = await readTaskPage(body, maxEntries, maxResponseBytes);
    } catch (error) {
      if (!(error instanceof MalformedArrayError)) throw error;
      const message = `the tasks API answered ${what} with a body that is not a JSON array of tasks: ${error.message}`;
      this.logger.warn(message);
      throw new InvalidAnswerError(message, 'refused');
    }
    if (read.end === 'byte_cap') {
      if (read.entries === 0) {
        const message = `the answer of ${what} exceeded API_MAX_RESPONSE_BYTES (${maxResponseBytes} bytes) before its first task ended`;
        this.logger.warn(message);
        throw new InvalidAnswerError(message, 'refused');
      }
      this.logger.warn(
        `the answer of ${what} reached API_MAX_RESPONSE_BYTES (${maxResponseBytes} bytes) after ${read.entries} tasks: the page ends there`,
      );
    }
    return read.page;
  }

  /** ` (last failure: ...)` of the breaker, for messages. */
  private lastFailure(): string {
    const last = this.breaker.lastFailure;
    return last && 'error' in last
      ? ` (last failure: ${messageOf(last.error)})`
      : '';
  }
}
