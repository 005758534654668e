import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  type RetryPolicy,
  TaskCancelledError,
  type TimeoutPolicy,
} from 'cockatiel';
import { TokenProvider } from '@app/auth';
import { ServiceConfig } from '@app/config';
import { BreakerMonitor, ThrottleMonitor } from '@app/observability';
import {
  RateLimitGate,
  attemptTimeout,
  formatDuration,
  lastFailureText,
  messageOf,
  upstreamPolicies,
} from '@app/resilience';
import {
  API_RATE_LIMIT_GATE,
  API_RETRY_BACKOFF,
} from './api-client.constants.js';
import { type ApiRetryBackoff, UpstreamFailure } from './api-resilience.js';
import type { Attempt, Outcome, TasksApiCall } from './tasks-api-call.js';
import { TasksApiError } from './tasks-api-client.js';
import { TasksApiTransport } from './tasks-api-transport.js';

/**
 * 429s in a row one call waits through before it counts as an outage. Each
 * waits the pause the API asked for, so this is patience, not a retry budget.
 */
const MAX_THROTTLED_ANSWERS = 10;

const isUpstreamFailure = (error: unknown): boolean =>
  error instanceof UpstreamFailure;

/**
 * How each call to the tasks API is carried out: one long-lived policy set,
 * so that the breaker remembers across polls. Retry (network errors,
 * timeouts, 408, 5xx; `Retry-After` honoured) around one token renewal
 * (a 401/403 drops the token and tries once more with a fresh one), around
 * the rate-limit gate's pacing (a 429 waits and goes again: no retry, no
 * breaker failure), around a consecutive-failures breaker, around a
 * per-attempt timeout.
 */
@Injectable()
export class TasksApiPolicies {
  private readonly retry: RetryPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timeout: TimeoutPolicy;
  private trialAt = 0;
  /** Why the last call failed for credentials, until a call succeeds. */
  private refusedCredentials?: string;

  constructor(
    private readonly transport: TasksApiTransport,
    private readonly tokens: TokenProvider,
    private readonly config: ServiceConfig,
    breakers: BreakerMonitor,
    @Inject(API_RETRY_BACKOFF) backoff: ApiRetryBackoff,
    @Inject(API_RATE_LIMIT_GATE) private readonly gate: RateLimitGate,
    throttles: ThrottleMonitor,
  ) {
    const policies = upstreamPolicies(
      {
        service: 'api',
        settings: config.resilience,
        delays: backoff,
        maxRetryAfterMs: backoff.maxRetryAfterMs,
        isRetryable: isUpstreamFailure,
        isBreakerFailure: isUpstreamFailure,
        logger: new Logger(TasksApiPolicies.name),
        describe: messageOf,
      },
      breakers,
    );
    this.retry = policies.retry;
    this.breaker = policies.breaker;
    const { breakerResetMs } = config.resilience;
    this.breaker.onBreak(() => (this.trialAt = Date.now() + breakerResetMs));
    // Every call reads its answer to the end or destroys it before it
    // returns, so nothing is left to abort; aborting anyway builds a
    // DOMException with a stack trace per call (3% of the CPU per task,
    // docs/performance.md). A timeout still aborts the request.
    this.timeout = attemptTimeout(config.api.requestTimeoutMs, {
      abortOnReturn: false,
    });
    throttles.watch('api', gate);
  }

  /** The message of the credentials refusal of the last call, until a call gets past them. */
  get credentialsRefused(): string | undefined {
    return this.refusedCredentials;
  }

  /** Once the reset time has passed, the next call is the trial: not open. */
  isBreakerOpen(): boolean {
    const { state } = this.breaker;
    return (
      state === CircuitState.Isolated ||
      (state === CircuitState.Open && Date.now() < this.trialAt)
    );
  }

  /** Milliseconds until the breaker lets a trial call through. */
  trialInMs(): number {
    return this.trialAt - Date.now();
  }

  /** ` (last failure: ...)` of the breaker, for messages. */
  lastFailure(): string {
    return lastFailureText(this.breaker);
  }

  /**
   * Carries `call` out. Throws `UpstreamFailure` (an outage past the
   * retries), cockatiel's `BrokenCircuitError`, or a `TasksApiError`.
   */
  run<T>(call: TasksApiCall<T>): Promise<Outcome<T>> {
    return this.retry.execute(() => this.authorised(call));
  }

  private async authorised<T>(call: TasksApiCall<T>): Promise<Outcome<T>> {
    const token = await this.token();
    let attempt = await this.paced(call, token);
    if (attempt.kind === 'credentials') {
      this.tokens.invalidate(token);
      attempt = await this.paced(call, await this.token());
    }
    if (attempt.kind !== 'credentials') {
      this.refusedCredentials = undefined;
      return attempt;
    }
    // Our credentials, never the task's fault: transient, and not retried.
    this.refusedCredentials = `the tasks API refused a freshly issued access token (${attempt.status}): check OAUTH2_SCOPE and the client's permissions`;
    throw new TasksApiError(this.refusedCredentials, 'outage', attempt.status);
  }

  /**
   * One exchange through the rate-limit gate; a 429 pauses every call (the
   * gate), then this one goes again. Never a retry, never a breaker failure.
   */
  private async paced<T>(
    call: TasksApiCall<T>,
    token: string,
  ): Promise<Exclude<Attempt<T>, { kind: 'throttled' }>> {
    for (let answers = 1; ; answers++) {
      await this.gate.acquire();
      let attempt: Attempt<T>;
      try {
        attempt = await this.guarded(call, token);
      } catch (error) {
        // An open breaker fails the call before it goes out: the transport
        // never saw it, so it would stay counted in flight at the gate.
        if (error instanceof BrokenCircuitError) this.gate.abandon();
        throw error;
      }
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

  private guarded<T>(
    call: TasksApiCall<T>,
    token: string,
  ): Promise<Attempt<T>> {
    return this.breaker.execute(async () => {
      try {
        return await this.timeout.execute(({ signal }) =>
          this.transport.exchange(call, token, signal),
        );
      } catch (error) {
        if (!(error instanceof TaskCancelledError)) throw error;
        throw new UpstreamFailure(
          `the tasks API did not answer ${call.method} ${call.route} within ${formatDuration(this.config.api.requestTimeoutMs)}`,
        );
      }
    });
  }
}
