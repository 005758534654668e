import { Injectable, Logger } from '@nestjs/common';
import { FAILURE_CODE } from './failure-codes.js';
import type { ProcessableTask, ProcessingResult } from './task-processor.js';
import { describeError, looksLikeOutage } from './unexpected-errors.js';

/** Unexpected throws for one task before it is failed rather than released. */
export const UNEXPECTED_ERROR_ATTEMPTS = 3;
/**
 * Tasks whose strikes are remembered, a bound on memory (about a megabyte).
 * The least recently struck are forgotten first: only a bug that hits more
 * tasks than this between two attempts at one of them lets it start afresh.
 */
const REMEMBERED_TASKS = 10_000;

/**
 * Counts unexpected throws per task, so that a processor bug fails a task
 * after a few attempts instead of releasing it forever. Bounded: the
 * oldest entries are forgotten first.
 */
export class StrikeCounter {
  private readonly strikes = new Map<string, number>();

  constructor(private readonly capacity: number) {}

  /** Records one more strike and answers the total. */
  add(id: string): number {
    const count = (this.strikes.get(id) ?? 0) + 1;
    this.strikes.delete(id);
    this.strikes.set(id, count);
    if (this.strikes.size > this.capacity) {
      this.strikes.delete(this.strikes.keys().next().value!);
    }
    return count;
  }

  clear(id: string): void {
    this.strikes.delete(id);
  }
}

/**
 * What a throw out of a processor means for its task. Processors answer
 * results; a throw is either an outage that escaped (released, never
 * failed: an outage is not the task's fault) or a bug (released the first
 * times in case the condition was passing, failed with `processor_error` on
 * the last so that it cannot release the task forever).
 */
@Injectable()
export class ProcessorFailurePolicy {
  // The registry's name, as before the policy was its own class: the
  // lines operators search for are unchanged.
  private readonly logger = new Logger(ProcessorFailurePolicy.name);
  private readonly strikes = new StrikeCounter(REMEMBERED_TASKS);

  /** The processor answered a result for the task: earlier throws no longer count. */
  answered(task: ProcessableTask): void {
    this.strikes.clear(task.id);
  }

  /** The result for a task whose processor (named for the log) threw `error`. */
  afterThrow(
    task: ProcessableTask,
    processorName: string,
    error: unknown,
  ): ProcessingResult {
    const what = `${processorName} threw on task ${task.id}`;
    // Every line about a task carries its id as a field, for log queries.
    const fields = { taskId: task.id };
    if (looksLikeOutage(error)) {
      this.logger.warn(fields, `${what}: ${describeError(error)} (released)`);
      return { kind: 'transient', reason: describeError(error) };
    }
    const attempts = this.strikes.add(task.id);
    this.logger.error(
      {
        ...fields,
        err: error instanceof Error ? error : new Error(String(error)),
      },
      `${what} (attempt ${attempts} of ${UNEXPECTED_ERROR_ATTEMPTS})`,
    );
    if (attempts < UNEXPECTED_ERROR_ATTEMPTS) {
      return {
        kind: 'transient',
        reason: `unexpected error, attempt ${attempts} of ${UNEXPECTED_ERROR_ATTEMPTS}: ${describeError(error)}`,
      };
    }
    this.strikes.clear(task.id);
    return {
      kind: 'failed',
      code: FAILURE_CODE.processorError,
      message: `processing failed unexpectedly ${attempts} times; last error: ${describeError(error)}`,
    };
  }
}
