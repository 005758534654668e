import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { BrokenCircuitError } from 'cockatiel';
import type { Readable } from 'node:stream';
import { ServiceConfig } from '@app/config';
import { ReadinessRegistry } from '@app/observability';
import { messageOf } from '@app/resilience';
import { UpstreamFailure } from './api-resilience.js';
import { MalformedArrayError } from './json-array-splitter.js';
import {
  CLAIM_BODY,
  RELEASE_BODY,
  failureBody,
  successBody,
} from './request-body.js';
import {
  InvalidAnswerError,
  type Outcome,
  type TasksApiCall,
} from './tasks-api-call.js';
import {
  type ClaimResult,
  TasksApiClient,
  TasksApiError,
  type TaskFailure,
  type TaskPage,
  type TaskState,
} from './tasks-api-client.js';
import { TasksApiPolicies } from './tasks-api-policies.js';
import { TasksApiTransport } from './tasks-api-transport.js';
import { MAX_TASK_BYTES, type PageRead, readTaskPage } from './task-page.js';

/**
 * The tasks API (docs/contract.md §1): its operations, each carried out by
 * `TasksApiPolicies` over `TasksApiTransport`, and what their failures
 * mean, as `TasksApiError`s. Registers the `tasks_api` readiness check.
 */
@Injectable()
export class HttpTasksApiClient extends TasksApiClient implements OnModuleInit {
  private readonly logger = new Logger(HttpTasksApiClient.name);
  /** A redirect on a listing route: API_BASE_URL points elsewhere. Until a listing succeeds. */
  private misdirected?: string;

  constructor(
    private readonly policies: TasksApiPolicies,
    private readonly transport: TasksApiTransport,
    private readonly config: ServiceConfig,
    private readonly readiness: ReadinessRegistry,
  ) {
    super();
  }

  onModuleInit(): void {
    this.readiness.register('tasks_api', () => {
      if (this.isBreakerOpen()) {
        const seconds = Math.ceil(this.policies.trialInMs() / 1000);
        throw new Error(
          `the tasks API circuit breaker is open${this.policies.lastFailure()}; next trial call in ${Math.max(0, seconds)} s`,
        );
      }
      const { credentialsRefused } = this.policies;
      if (credentialsRefused) throw new Error(credentialsRefused);
      if (this.misdirected) throw new Error(this.misdirected);
    });
  }

  lastSuccessAt(): number | undefined {
    return this.transport.lastSuccessAt;
  }

  isBreakerOpen(): boolean {
    return this.policies.isBreakerOpen();
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

  async complete(id: string, result: unknown): Promise<void> {
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

  private async call<T>(call: TasksApiCall<T>): Promise<T> {
    let outcome: Outcome<T>;
    try {
      outcome = await this.policies.run(call);
    } catch (error) {
      throw this.explain(call, error);
    }
    if (outcome.kind === 'refusal') throw outcome.error;
    if (outcome.kind === 'redirected')
      throw this.redirected(call, outcome.status, outcome.location);
    if (call.method === 'GET') this.misdirected = undefined;
    return outcome.value;
  }

  /**
   * The reference application answers "not found" with a redirect to an
   * HTML page, and this client never follows one. On a task route the task
   * is gone; on a listing route the API is not where API_BASE_URL says.
   */
  private redirected(
    call: TasksApiCall<unknown>,
    status: number,
    location: string | undefined,
  ): TasksApiError {
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

  private explain(call: TasksApiCall<unknown>, error: unknown): TasksApiError {
    if (error instanceof TasksApiError) return error;
    if (error instanceof UpstreamFailure)
      return new TasksApiError(error.message, 'outage', error.status);
    if (error instanceof BrokenCircuitError) {
      return new TasksApiError(
        `the tasks API is not called while its circuit breaker is open${this.policies.lastFailure()}`,
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
}
