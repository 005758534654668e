import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { type Task, TasksApiClient, TasksApiError } from '@app/api-client';
import { InjectMetric, METRIC } from '@app/observability';
import { type ProcessingResult, ProcessorRegistry } from '@app/processors';
import { delay, untilAborted } from './abortable.js';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  backoffDelay,
} from './lifecycle-timings.js';
import type { RunResult, TaskOutcome } from './task-outcome.js';

/** A task to take: a valid one, or an invalid page entry that has an id and will be failed. */
export type TakenTask =
  | { kind: 'valid'; task: Task }
  | { kind: 'invalid'; id: string; reasons: string[] };

const describe = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

type Delivery = 'delivered' | 'refused' | 'aborted';

/**
 * Takes one task through the contract's lifecycle: claim, process, and
 * report back as succeeded, failed or released. A computed result is kept
 * and re-delivered while the API is unavailable; only `abort` (the end of
 * the shutdown grace period) makes the runner give the task back instead.
 */
@Injectable()
export class TaskRunner {
  private readonly logger = new Logger(TaskRunner.name);

  constructor(
    private readonly api: TasksApiClient,
    private readonly processors: ProcessorRegistry,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
    @InjectMetric(METRIC.tasksProcessed)
    private readonly processed: Counter<'task_type' | 'status'>,
    @InjectMetric(METRIC.taskDuration)
    private readonly duration: Histogram<'task_type'>,
    @InjectMetric(METRIC.tasksInFlight) private readonly inFlight: Gauge,
    @InjectMetric(METRIC.claimConflicts) private readonly conflicts: Counter,
  ) {}

  async run(
    taken: TakenTask,
    cycle: number,
    abort: AbortSignal,
  ): Promise<RunResult> {
    const taskId = taken.kind === 'valid' ? taken.task.id : taken.id;
    const taskType = taken.kind === 'valid' ? taken.task.type : 'invalid';
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
      this.logger.warn({ taskId, cycle }, `claim failed: ${describe(error)}`);
      return { kind: 'not_claimed', reason: describe(error) };
    }

    this.inFlight.inc();
    const stopTimer = this.duration.startTimer({ task_type: taskType });
    try {
      const outcome = await this.process(taken, taskId, cycle, abort);
      this.processed.inc({ task_type: taskType, status: outcome.status });
      return { kind: 'finished', outcome };
    } finally {
      this.inFlight.dec();
      stopTimer();
    }
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
        { status: 'failed', code: 'invalid_task', message },
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
    log: { taskId: string; cycle: number },
  ): Promise<TaskOutcome> {
    switch (result.status) {
      case 'transient':
        return this.release(taskId, result.reason, log);
      case 'succeeded': {
        const delivery = await this.deliver(
          () => this.api.complete(taskId, result.result),
          abort,
          log,
        );
        if (delivery === 'delivered') {
          this.logger.log(log, 'succeeded');
          return { status: 'succeeded' };
        }
        return this.release(taskId, `result not delivered (${delivery})`, log);
      }
      case 'failed': {
        const failure = { code: result.code, message: result.message };
        const delivery = await this.deliver(
          () => this.api.fail(taskId, failure),
          abort,
          log,
        );
        if (delivery === 'delivered') {
          this.logger.warn(
            { ...log, code: result.code },
            `failed: ${result.message}`,
          );
          return { status: 'failed', code: result.code };
        }
        return this.release(taskId, `failure not delivered (${delivery})`, log);
      }
    }
  }

  /**
   * Retries a report until the API takes it. Gives up only when the API
   * refuses it for good (4xx) or the shutdown grace period ends.
   */
  private async deliver(
    send: () => Promise<void>,
    abort: AbortSignal,
    log: { taskId: string; cycle: number },
  ): Promise<Delivery> {
    for (let attempt = 0; ; attempt++) {
      try {
        await send();
        return 'delivered';
      } catch (error) {
        if (!(error instanceof TasksApiError) || !error.transient) {
          this.logger.error(
            log,
            `the API refused the report: ${describe(error)}`,
          );
          return 'refused';
        }
        const wait = backoffDelay(
          attempt,
          this.timings.deliveryRetryBaseMs,
          this.timings.deliveryRetryMaxMs,
        );
        this.logger.warn(
          log,
          `report not delivered, retrying in ${Math.round(wait)} ms: ${error.message}`,
        );
        if (!(await delay(wait, abort))) return 'aborted';
      }
    }
  }

  /** Gives the task back to `pending`; one attempt under the client's own retry policy. */
  private async release(
    taskId: string,
    reason: string,
    log: { taskId: string; cycle: number },
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
    return { status: 'released', reason };
  }
}
