/**
 * How a claimed task ended. Every path through the runner returns one, so
 * the compiler catches a claimed task that would be left `in_progress`.
 */
export type TaskOutcome =
  | { status: 'succeeded' }
  | { status: 'failed'; code: string }
  | { status: 'released'; reason: string };

export type TaskOutcomeStatus = TaskOutcome['status'];

/** What became of one attempt to take a task. */
export type RunResult =
  | { kind: 'finished'; outcome: TaskOutcome }
  /** Another worker claimed it first (409). */
  | { kind: 'conflict' }
  /** The claim itself did not go through; the task was never ours. */
  | { kind: 'not_claimed'; reason: string };
