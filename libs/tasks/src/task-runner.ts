import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import {
  ResultTooLargeError,
  TasksApiClient,
  TasksApiError,
} from '@app/api-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import {
  type ProcessingResult,
  ProcessorRegistry,
  type TaskResult,
  type WorkPause,
  canonicalTaskType,
} from '@app/processors';
import { equalJitterBackoff } from '@app/resilience';
import { untilAborted } from './abortable.js';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import type { TakenTask } from './taken-task.js';
import type { RunResult, TaskOutcome } from './task-outcome.js';

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

type Log = { taskId: string; cycle: number } & Readonly<
  Record<string, string | number>
>;

/** How the attempts to deliver one report ended. */
type Delivery =
  | { kind: 'delivered' }
  /** The API answered 4xx: sending it again gets the same answer. */
  | { kind: 'refused'; message: string }
  /** A task route answered a redirect: the task was deleted. */
  | { kind: 'gone'; message: string }
  /** 5xx to this report for the whole bounded time while other calls succeeded. */
  | { kind: 'failing'; message: string }
  /** The grace period ended first; `mayBeSaved` when the app itself answered 5xx. */
  | { kind: 'aborted'; mayBeSaved: boolean }
  /** The body would exceed the API's request size limit: never sent. */
  | { kind: 'too_large'; message: string };

/**
 * 502, 503 and 504 come from a gateway or an app that is not serving: the
 * update was not applied. Any other 5xx came from the app, which may have
 * saved the state before failing (the reference application saves, then
 * dispatches the callback).
 */
const mayHaveApplied = (error: TasksApiError): boolean =>
  error.status !== undefined &&
  error.status >= 500 &&
  ![502, 503, 504].includes(error.status);

/**
 * A result whose PATCH body exceeds the API's request size limit (the API
 * would answer 413): failed, never sent. Permanent: the same task computes
 * a result of the same size.
 */
export const RESULT_TOO_LARGE_CODE = 'result_too_large';

/** The `task_type` label of a valid task no processor handles. */
const UNKNOWN_TASK_TYPE_LABEL = 'unknown';
/** The `task_type` label of an invalid task document. */
const INVALID_TASK_TYPE_LABEL = 'invalid';

export const COMPLETION_FAILURE_CODE = {
  /** The API answered the result with a 4xx: it may have saved it, so it is never released. */
  refused: 'completion_refused',
  /** The API answered the result with 5xx for COMPLETION_FAILURE_TIMEOUT_SECONDS while answering other calls. */
  failed: 'completion_failed',
} as const;

/**
 * Takes one task through the contract's lifecycle: claim, process, and
 * report back as succeeded, failed or released. A computed result is kept
 * and re-delivered while the API is unavailable; only `abort` (the end of
 * the shutdown grace period) makes the runner give the task back instead.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);

  private readonly completionFailureTimeoutMs: number;

  constructor(
    config: ServiceConfig,
    private readonly api: TasksApiClient,
    private readonly processors: ProcessorRegistry,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
    @InjectMetric(METRIC.tasksProcessed)
    private readonly processed: Counter<'task_type' | 'status'>,
    @InjectMetric(METRIC.taskDuration)
    private readonly duration: Histogram<'task_type'>,
    @InjectMetric(METRIC.tasksInFlight) private readonly inFlight: Gauge,
    @InjectMetric(METRIC.claimConflicts) private readonly conflicts: Counter,
    @InjectMetric(METRIC.completionFailures)
    private readonly completionFailures: Counter<'code'>,
  ) {
    this.completionFailureTimeoutMs = config.tasks.completionFailureTimeoutMs;
    // Both series exist from the start, so that increase() sees the first one.
    for (const code of Object.values(COMPLETION_FAILURE_CODE))
      completionFailures.inc({ code }, 0);
  }
  /** Whether tasks may be taken now (not while a spending budget is used up). */
  workPause(): WorkPause {
    return this.processors.workPause();
  }

  async run(
    taken: TakenTask,
    cycle: number,
    abort: AbortSignal,
  ): Promise<RunResult> {
    const taskId = taken.kind === 'valid' ? taken.task.id : taken.id;
    const taskType = this.taskTypeLabel(taken);
    try {
      if ((await this.api.claim(taskId)) === 'conflict') {
        this.conflicts.inc();
        this.logger.debug(
          { taskId, cycle },
          'claimed by another worker, skipped',
        );
        return { kind: 'conflict' };
      }
    } catch (error) {
      if (error instanceof TasksApiError && error.kind === 'gone') {
        this.logger.warn(
          { taskId, cycle },
          `skipped: the task was deleted after it was listed (${error.message})`,
        );
        return { kind: 'gone' };
      }
      this.logger.warn({ taskId, cycle }, `claim failed: ${describe(error)}`);
      return {
        kind: 'not_claimed',
        reason: describe(error),
        refused: error instanceof TasksApiError && error.kind === 'refused',
      };
    }

    this.inFlight.inc();
    const stopTimer = this.duration.startTimer({ task_type: taskType });
    try {
      const outcome = await this.process(taken, taskId, cycle, abort);
      // The contract's three outcomes; an abandoned task is the API's doing and only logged.
      if (outcome.kind !== 'abandoned')
        this.processed.inc({ task_type: taskType, status: outcome.kind });
      return { kind: 'finished', outcome };
    } finally {
      this.inFlight.dec();
      stopTimer();
    }
  }

  /**
   * Tasks name their type: a label taken from them as it is would let
   * whoever creates tasks add series without bound. Only the types this
   * service handles are named.
   */
  private taskTypeLabel(taken: TakenTask): string {
    if (taken.kind === 'invalid') return INVALID_TASK_TYPE_LABEL;
    const { type } = taken.task;
    return this.processors.handles(type)
      ? canonicalTaskType(type)
      : UNKNOWN_TASK_TYPE_LABEL;
  }

  private async process(
    taken: TakenTask,
    taskId: string,
    cycle: number,
    abort: AbortSignal,
  ): Promise<TaskOutcome> {
    const log = { taskId, cycle };
    if (taken.kind === 'invalid') {
      const message = `the task document is invalid: ${taken.reasons.join('; ')}`;
      return this.report(
        taskId,
        { kind: 'failed', code: 'invalid_task', message },
        abort,
        log,
      );
    }
    let processing;
    try {
      processing = await untilAborted(
        this.processors.process(taken.task),
        abort,
      );
    } catch (error) {
      // The registry answers every task; a throw is a defect, not the task's fault.
      return this.release(taskId, `processor error: ${describe(error)}`, log);
    }
    if (processing.aborted) {
      return this.release(taskId, 'shutdown before the work finished', log);
    }
    return this.report(taskId, processing.value, abort, log);
  }

  private async report(
    taskId: string,
    result: ProcessingResult,
    abort: AbortSignal,
    log: Log,
  ): Promise<TaskOutcome> {
    switch (result.kind) {
      case 'transient':
        return this.release(taskId, result.reason, log);
      case 'succeeded':
        return this.complete(
          taskId,
          result.result,
          abort,
          result.details ? { ...log, ...result.details } : log,
        );
      case 'failed':
        return this.reportFailure(
          taskId,
          { code: result.code, message: result.message },
          abort,
          log,
        );
    }
  }

  /**
   * Delivers a result. The reference application saves the state before it
   * dispatches the result to the callback, and answers the callback's error:
   * after any answer but a 2xx the task may already be `succeeded`, so it is
   * never released for a refusal (it would be embedded and paid for again).
   */
  private async complete(
    taskId: string,
    result: TaskResult,
    abort: AbortSignal,
    log: Log,
  ): Promise<TaskOutcome> {
    const delivery = await this.deliver(
      () => this.api.complete(taskId, result),
      abort,
      log,
      this.completionFailureTimeoutMs,
    );
    switch (delivery.kind) {
      case 'delivered':
        this.logger.log(log, 'succeeded');
        return { kind: 'succeeded' };
      case 'gone':
        return this.abandon(log, `the task was deleted: ${delivery.message}`);
      case 'too_large':
        return this.reportFailure(
          taskId,
          { code: RESULT_TOO_LARGE_CODE, message: delivery.message },
          abort,
          log,
        );
      case 'refused':
        return this.failCompletion(
          taskId,
          COMPLETION_FAILURE_CODE.refused,
          `the tasks API refused the result: ${delivery.message}`,
          abort,
          log,
        );
      case 'failing':
        return this.failCompletion(
          taskId,
          COMPLETION_FAILURE_CODE.failed,
          `the tasks API answered every delivery of the result with a server error for ${Math.round(this.completionFailureTimeoutMs / 1000)} s while it answered other calls (a failing callback); last answer: ${delivery.message}`,
          abort,
          log,
        );
      case 'aborted':
        return delivery.mayBeSaved
          ? this.abandon(
              log,
              'shutdown while the tasks API answered the result with a server error; it may have saved it, so the task is not released (the stale sweep returns it if it stays in_progress)',
            )
          : this.release(taskId, 'result not delivered before shutdown', log);
    }
  }

  /** A completion the API would not take: reported failed once, never released. */
  private async failCompletion(
    taskId: string,
    code: string,
    message: string,
    abort: AbortSignal,
    log: Log,
  ): Promise<TaskOutcome> {
    this.completionFailures.inc({ code });
    const outcome = await this.reportFailure(
      taskId,
      { code, message },
      abort,
      log,
    );
    return outcome.kind === 'released'
      ? this.abandon(log, `${message}; the failure was not delivered either`)
      : outcome;
  }

  private async reportFailure(
    taskId: string,
    failure: { code: string; message: string },
    abort: AbortSignal,
    log: Log,
  ): Promise<TaskOutcome> {
    const delivery = await this.deliver(
      () => this.api.fail(taskId, failure),
      abort,
      log,
    );
    switch (delivery.kind) {
      case 'delivered':
        this.logger.warn(
          { ...log, code: failure.code },
          `failed: ${failure.message}`,
        );
        return { kind: 'failed', code: failure.code };
      case 'gone':
        return this.abandon(log, `the task was deleted: ${delivery.message}`);
      case 'refused':
      case 'failing':
      case 'too_large':
        return this.abandon(
          log,
          `the tasks API refused the failure report (${failure.code}: ${failure.message}): ${delivery.message}`,
        );
      case 'aborted':
        return this.release(
          taskId,
          'failure not delivered before shutdown',
          log,
        );
    }
  }

  /**
   * Retries a report until the API takes it. Gives up when the API refuses
   * it for good (4xx, a redirect), when the shutdown grace period ends, and,
   * given `failingAfterMs`, when the API answers this report with 5xx for
   * that long while other calls succeed: then the API is up and this report
   * is what fails.
   */
  private async deliver(
    send: () => Promise<void>,
    abort: AbortSignal,
    log: Log,
    failingAfterMs = Number.POSITIVE_INFINITY,
  ): Promise<Delivery> {
    let mayBeSaved = false;
    let serverErrorsSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        await send();
        return { kind: 'delivered' };
      } catch (error) {
        // Checked first: it is a refusal too, but one of our own, before sending.
        if (error instanceof ResultTooLargeError)
          return { kind: 'too_large', message: error.message };
        if (!(error instanceof TasksApiError))
          return { kind: 'refused', message: describe(error) };
        if (error.kind === 'gone')
          return { kind: 'gone', message: error.message };
        if (error.kind === 'refused') {
          this.logger.error(
            log,
            `the API refused the report: ${error.message}`,
          );
          return { kind: 'refused', message: error.message };
        }
        mayBeSaved ||= mayHaveApplied(error);
        const now = this.timings.now();
        if ((error.status ?? 0) >= 500) {
          serverErrorsSince ??= now;
          const othersAnswered =
            (this.api.lastSuccessAt() ?? 0) > serverErrorsSince;
          if (now - serverErrorsSince >= failingAfterMs && othersAnswered)
            return { kind: 'failing', message: error.message };
        }
        // Retry n waits up to deliveryRetryBaseMs × 2^(n-1), capped.
        const wait = equalJitterBackoff(attempt + 1, {
          initialDelayMs: this.timings.deliveryRetryBaseMs,
          maxDelayMs: this.timings.deliveryRetryMaxMs,
        });
        this.logger.warn(
          log,
          `report not delivered, retrying in ${Math.round(wait)} ms: ${error.message}`,
        );
        if (!(await this.timings.delay(wait, abort)))
          return { kind: 'aborted', mayBeSaved };
      }
    }
  }

  private abandon(log: Log, reason: string): TaskOutcome {
    this.logger.error(log, `left as the API has it: ${reason}`);
    return { kind: 'abandoned', reason };
  }

  /** Gives the task back to `pending`; one attempt under the client's own retry policy. */
  private async release(
    taskId: string,
    reason: string,
    log: Log,
  ): Promise<TaskOutcome> {
    try {
      await this.api.release(taskId);
      this.logger.warn(log, `released: ${reason}`);
    } catch (error) {
      // The stale-task sweep (this replica's or another's) returns it later.
      this.logger.error(
        log,
        `release failed, the task stays in_progress until the stale sweep: ${describe(error)}`,
      );
    }
    return { kind: 'released', reason };
  }
}
